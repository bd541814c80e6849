#pragma once
#include <cstdint>
#include <string>

namespace emo::train {

// Learning-rate schedules as transformers defines them (get_linear/constant/cosine_schedule_with_warmup):
// `stepIndex` is the 0-based index of the optimizer step about to be taken (the first step is 0).
//   warm-up (stepIndex < warmup): base × stepIndex / warmup
//   linear:   base × max(0, (total − stepIndex) / max(1, total − warmup))
//   cosine:   base × max(0, ½ (1 + cos(π · (stepIndex − warmup) / max(1, total − warmup))))
//   constant: base
class LearningRateSchedule {
public:
    enum class Kind { Constant, Linear, Cosine };

    // Throws emo::Error(BadInput) for an unknown schedule name or negative counts.
    LearningRateSchedule(const std::string& name, double baseRate, int64_t warmupSteps, int64_t totalSteps);

    double rateAt(int64_t stepIndex) const;

    Kind kind() const { return m_kind; }
    static bool isKnown(const std::string& name);

private:
    Kind m_kind = Kind::Linear;
    double m_base = 0.0;
    int64_t m_warmup = 0;
    int64_t m_total = 0;
};

} // namespace emo::train
