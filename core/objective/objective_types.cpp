#include "objective/objective_types.h"

#include "util/error.h"
#include "util/short_number.h"

#include <cmath>

namespace emo::objective {

const char* toString(ObjectiveKind kind)
{
    switch (kind) {
    case ObjectiveKind::Mle: return "mle";
    case ObjectiveKind::Emo: return "emo";
    case ObjectiveKind::Tailr: return "tailr";
    case ObjectiveKind::Mixce: return "mixce";
    }
    return "mle";
}

const char* toString(EmoMode mode)
{
    switch (mode) {
    case EmoMode::Paper: return "paper";
    case EmoMode::Pure: return "pure";
    case EmoMode::Llama: return "llama";
    }
    return "paper";
}

const char* toString(TailrForm form)
{
    return form == TailrForm::Mixed ? "mixed" : "paper";
}

bool parseTailrForm(const std::string& text, TailrForm* out)
{
    for (TailrForm form : {TailrForm::Paper, TailrForm::Mixed}) {
        if (text == toString(form)) {
            if (out)
                *out = form;
            return true;
        }
    }
    return false;
}

bool parseObjectiveKind(const std::string& text, ObjectiveKind* out)
{
    for (ObjectiveKind kind : {ObjectiveKind::Mle, ObjectiveKind::Emo, ObjectiveKind::Tailr, ObjectiveKind::Mixce}) {
        if (text == toString(kind)) {
            if (out)
                *out = kind;
            return true;
        }
    }
    return false;
}

bool parseEmoMode(const std::string& text, EmoMode* out)
{
    for (EmoMode mode : {EmoMode::Paper, EmoMode::Pure, EmoMode::Llama}) {
        if (text == toString(mode)) {
            if (out)
                *out = mode;
            return true;
        }
    }
    return false;
}

void checkObjectiveSettings(const ObjectiveSettings& s)
{
    auto inUnitInterval = [](double value, const char* field) {
        if (!(value >= 0.0 && value <= 1.0))
            throw Error::badInput(std::string("objective.") + field + ": must lie in [0, 1] (got " +
                                  util::shortNumber(value) + ")");
    };
    if (!(s.emoRatioCap >= 0.0) || !std::isfinite(s.emoRatioCap))
        throw Error::badInput("objective.emo_ratio_cap: must be a finite number ≥ 0 (got " +
                              util::shortNumber(s.emoRatioCap) + ")");
    inUnitInterval(s.tailrGamma, "tailr_gamma");
    inUnitInterval(s.tailrMinWeight, "tailr_min_weight");
    inUnitInterval(s.tailrMix, "tailr_mix");
    inUnitInterval(s.mixceEta, "mixce_eta");
}

} // namespace emo::objective
