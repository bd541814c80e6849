#include "train/loss_scaler.h"

#include <algorithm>

namespace emo::train {

LossScaler::LossScaler(bool enabled, double initialScale, int64_t growthInterval)
    : m_enabled(enabled), m_scale(initialScale), m_growthInterval(std::max<int64_t>(1, growthInterval))
{
}

bool LossScaler::unscale(const std::vector<torch::Tensor>& gradients) const
{
    if (!m_enabled)
        return true;
    torch::NoGradGuard noGrad;
    bool finite = true;
    for (const auto& gradient : gradients) {
        if (!gradient.defined())
            continue;
        gradient.div_(m_scale);
        finite = finite && gradient.isfinite().all().item<bool>();
    }
    return finite;
}

void LossScaler::update(bool finite)
{
    if (!m_enabled)
        return;
    if (!finite) {
        m_scale = std::max(m_scale * 0.5, 1.0 / 65536.0);
        m_finiteSteps = 0;
        return;
    }
    if (++m_finiteSteps >= m_growthInterval) {
        m_scale = std::min(m_scale * 2.0, 65536.0 * 65536.0);
        m_finiteSteps = 0;
    }
}

void LossScaler::restore(double scale, int64_t finiteSteps)
{
    m_scale = scale;
    m_finiteSteps = finiteSteps;
}

} // namespace emo::train
