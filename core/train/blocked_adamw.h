#pragma once
#include <torch/torch.h>

namespace emo::train {

// torch::optim::AdamW with the same formulas, state, options and save/load, whose step works through each
// parameter in slices of kSlice elements: the denominator √v̂ + ε lives in one slice-sized scratch instead of
// two parameter-sized temporaries (2 × 147 MiB for GPT-2's embedding), and each slice's p, g, m, v stay in
// cache across the five in-place updates. amsgrad falls back to AdamW's own step.
class BlockedAdamW : public torch::optim::AdamW {
public:
    static constexpr int64_t kSlice = int64_t(1) << 18;

    using torch::optim::AdamW::AdamW;
    torch::Tensor step(LossClosure closure = nullptr) override;
};

} // namespace emo::train
