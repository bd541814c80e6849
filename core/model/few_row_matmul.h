#pragma once
#include <torch/torch.h>

// Products of a few rows with a large weight, as batched decoding makes them: the BLAS GEMM packs the whole
// weight for so few rows; these kernels read each weight element once for all rows, in register tiles of
// 4 rows. fp32 on a CPU with AVX2 and FMA, 2 ≤ R ≤ kFewRowsMax rows, no autograd. Each returns an undefined
// tensor where it does not apply, and the caller runs the GEMM.
// Measured at 8 rows against the GEMM (2 threads, OpenBLAS 0.3.21, cache-warm): LLaMA-demo q_proj 256×256
// 0.028 → 0.013 ms; GPT-2 c_attn 768×2304 0.62 → 0.29 ms, c_fc 768×3072 0.78 → 0.43, mlp c_proj 3072×768
// 0.84 → 0.39; the tied LM head 50257×768 19.5 → 11.9 ms. From 16 rows on the GEMM wins.
namespace emo::model::ops {

constexpr int64_t kFewRowsMax = 8;

// x [R, K] · weightᵀ (weight [O, K], nn.Linear's layout) → [R, O]
torch::Tensor fewRowLinear(const torch::Tensor& x, const torch::Tensor& weight);

// x [R, K] · weight [K, O] + bias [O] (GPT-2's Conv1D layout; bias may be undefined) → [R, O]
torch::Tensor fewRowConv1d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

// Whether this CPU runs them (AVX2 and FMA), asked once.
bool fewRowMatmulAvailable();

} // namespace emo::model::ops
