#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace emo::generate {

// The logit filters of sampling, applied in this order (as transformers does): temperature, top-k, top-p.
// Removed tokens get −inf, so softmax gives them exactly zero probability.

// logits [B,V] → [B,V] / temperature (temperature > 0, else emo::Error)
torch::Tensor applyTemperature(const torch::Tensor& logits, double temperature);

// logits [B,V] → [B,V]: exactly the k largest of each row kept, the rest −inf (k <= 0 or k >= V: unchanged)
torch::Tensor applyTopK(const torch::Tensor& logits, int64_t k);

// logits [B,V] → [B,V]: per row, the smallest set of most probable tokens whose probability mass is ≥ p is
// kept (the most probable token always), the rest −inf (p >= 1: unchanged; p <= 0 throws emo::Error)
torch::Tensor applyTopP(const torch::Tensor& logits, double p);

// probs [B,V] (rows sum to ~1, non-negative), uniforms [B] in [0,1) → [B] int64 by inverse CDF (in double):
// token i is chosen when cdf[i-1] ≤ u·total < cdf[i], so zero-probability tokens are never chosen.
torch::Tensor drawFromProbabilities(const torch::Tensor& probs, const torch::Tensor& uniforms);

// A counter-based uniform in [0,1) (splitmix64 over the four keys): the random number of one sampling
// decision depends only on (seed, prompt, sample, step), not on which rows share a batch or on any state.
double counterUniform(uint64_t seed, uint64_t promptIndex, uint64_t sampleIndex, uint64_t step);

} // namespace emo::generate
