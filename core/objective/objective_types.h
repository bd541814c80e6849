#pragma once
#include <string>

namespace emo::objective {

// Plain settings of a training objective (no torch: the GUI includes this). Formulas in DESIGN.md.
enum class ObjectiveKind { Mle, Emo, Tailr, Mixce };
enum class EmoMode { Paper, Pure, Llama };

struct ObjectiveSettings {
    ObjectiveKind kind = ObjectiveKind::Mle;
    EmoMode emoMode = EmoMode::Paper;
    double emoRatioCap = 0.0;       // > 0 caps sg(mle/demd) (paper mode) or sg(d/mle) (llama mode); 0 = off
    double tailrGamma = 1e-5;       // TaiLr γ
    double tailrMinWeight = 0.0;    // TaiLr lower clamp of the weight
    double mixceEta = 0.5;          // MixCE η (1 = pure MLE)
};

const char* toString(ObjectiveKind kind);   // "mle" | "emo" | "tailr" | "mixce"
const char* toString(EmoMode mode);         // "paper" | "pure" | "llama"
bool parseObjectiveKind(const std::string& text, ObjectiveKind* out);
bool parseEmoMode(const std::string& text, EmoMode* out);

} // namespace emo::objective
