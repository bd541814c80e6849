#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace emo::io {

struct BlockSplit {
    torch::Tensor train;       // [Ntrain, T]
    torch::Tensor validation;  // [Nval, T]
};
// Holds out max(1, round(fraction × N)) blocks chosen by `seed` for validation (needs N ≥ 2).
BlockSplit splitBlocks(const torch::Tensor& blocks, double validationFraction, uint64_t seed);

} // namespace emo::io
