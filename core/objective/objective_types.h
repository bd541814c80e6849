#pragma once
#include <string>

namespace emo::objective {

// Plain settings of a training objective (no torch: the GUI includes this). Formulas in DESIGN.md.
enum class ObjectiveKind { Mle, Emo, Tailr, Mixce };
enum class EmoMode { Paper, Pure, Llama };
// TaiLr as its own paper writes it (w·mle with w = clamp(p/(γ+(1−γ)p), min_w, 1)), or as the EMO paper ran
// it (its repository's mode "tvd"): r·mle + (1−r)·w·mle with γ = 1 − r, r the MLE share swept over {0.9, 0.8, 0.7}.
enum class TailrForm { Paper, Mixed };

struct ObjectiveSettings {
    ObjectiveKind kind = ObjectiveKind::Mle;
    EmoMode emoMode = EmoMode::Paper;
    double emoRatioCap = 0.0;       // > 0 caps sg(mle/demd) (paper mode) or sg(d/mle) (llama mode); 0 = off
    // TaiLr γ and minimum weight: thu-coai/TaiLr examples/bart/long/train_tailr.sh (open-ended generation,
    // WritingPrompts) and examples/synthetic/train_tailr.sh both pass --density-ratio-threshold 1e-7
    // --density-min-weight 0.2 (the argparse fallbacks 1.0 / 0.0 in fairseq/criterions/tailr.py are not a recipe).
    double tailrGamma = 1e-7;
    double tailrMinWeight = 0.2;
    TailrForm tailrForm = TailrForm::Paper;
    double tailrMix = 0.9;          // r of TailrForm::Mixed (1 = pure MLE)
    // MixCE η: bloomberg/MixCE-acl2023 run_clm_no_trainer.py `--mixing_ratio` default 0.5 (also run.py's default);
    // the README's released GPT-2-large models use 0.1 / 0.3 / 0.7, chosen per data set on dev MAUVE.
    double mixceEta = 0.5;          // 1 = pure MLE
};

const char* toString(ObjectiveKind kind);   // "mle" | "emo" | "tailr" | "mixce"
const char* toString(EmoMode mode);         // "paper" | "pure" | "llama"
const char* toString(TailrForm form);       // "paper" | "mixed"
bool parseObjectiveKind(const std::string& text, ObjectiveKind* out);
bool parseEmoMode(const std::string& text, EmoMode* out);
bool parseTailrForm(const std::string& text, TailrForm* out);

// Throws emo::Error(BadInput) naming the run.json field (objective.tailr_gamma, ...) of the first number outside
// its range, NaN and infinities included. Every number is checked, whichever objective is chosen.
void checkObjectiveSettings(const ObjectiveSettings& settings);

} // namespace emo::objective
