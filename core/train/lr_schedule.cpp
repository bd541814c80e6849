#include "train/lr_schedule.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>

namespace emo::train {

bool LearningRateSchedule::isKnown(const std::string& name)
{
    return name == "linear" || name == "constant" || name == "cosine";
}

LearningRateSchedule::LearningRateSchedule(const std::string& name, double baseRate, int64_t warmupSteps,
                                           int64_t totalSteps)
    : m_base(baseRate), m_warmup(warmupSteps), m_total(totalSteps)
{
    if (name == "linear")
        m_kind = Kind::Linear;
    else if (name == "constant")
        m_kind = Kind::Constant;
    else if (name == "cosine")
        m_kind = Kind::Cosine;
    else
        throw Error::badInput("schedule: unknown learning-rate schedule '" + name +
                              "' (expected linear, constant or cosine)");
    if (warmupSteps < 0)
        throw Error::badInput("warmup_steps: must not be negative");
    if (totalSteps < 0)
        throw Error::badInput("totalSteps: must not be negative");
    if (!(baseRate >= 0.0) || !std::isfinite(baseRate))
        throw Error::badInput("learning_rate: must be a finite number ≥ 0");
}

double LearningRateSchedule::rateAt(int64_t stepIndex) const
{
    if (stepIndex < m_warmup)
        return m_base * double(stepIndex) / double(std::max<int64_t>(1, m_warmup));
    const double span = double(std::max<int64_t>(1, m_total - m_warmup));
    switch (m_kind) {
    case Kind::Constant:
        return m_base;
    case Kind::Linear:
        return m_base * std::max(0.0, double(m_total - stepIndex) / span);
    case Kind::Cosine: {
        const double progress = double(stepIndex - m_warmup) / span;
        return m_base * std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * progress)));
    }
    }
    return m_base;
}

} // namespace emo::train
