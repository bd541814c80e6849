#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace emo::train {

// Dynamic loss scaling for float16 autocast (the rule of PyTorch's GradScaler): the loss is multiplied by
// scale() before the backward, so small gradients do not flush to zero in float16; once the gradients are
// summed, unscale() divides them by the scale and says whether all are finite. update() then halves the scale
// after an overflow (the caller skips that optimizer step) and doubles it after `growthInterval` finite steps
// in a row. Disabled (bf16, fp32): scale() is 1 and nothing is ever skipped.
class LossScaler {
public:
    explicit LossScaler(bool enabled = false, double initialScale = 65536.0, int64_t growthInterval = 2000);

    bool enabled() const { return m_enabled; }
    double scale() const { return m_enabled ? m_scale : 1.0; }
    int64_t finiteSteps() const { return m_finiteSteps; }  // finite steps since the last change of the scale

    // gradients (any shapes; undefined entries skipped) /= scale, in place. → every element finite.
    bool unscale(const std::vector<torch::Tensor>& gradients) const;
    void update(bool finite);

    void restore(double scale, int64_t finiteSteps);  // from a saved trainer state

private:
    bool m_enabled = false;
    double m_scale = 65536.0;
    int64_t m_growthInterval = 2000;
    int64_t m_finiteSteps = 0;
};

} // namespace emo::train
