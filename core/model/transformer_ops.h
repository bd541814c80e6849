#pragma once
#include <torch/torch.h>

#include <string>

// The numeric building blocks of the decoder, written out as transformers computes them.
namespace emo::model::ops {

// x [..., in] · w [in, out] + b [out] → [..., out]   (GPT-2's Conv1D: weight stored in×out)
torch::Tensor conv1d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

// x [..., in] · weightᵀ (weight [out, in], nn.Linear's layout, no bias) → [..., out]
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight);
// Both run a single row (batch-1 decoding) as a GEMV: the BLAS GEMM with M = 1 packs the whole weight first
// (GPT-2's c_attn, cache-warm: 0.25 ms as a GEMM, 0.07 ms as a GEMV; OpenBLAS 0.3.21, 2 threads). GPT-2-small
// greedy decoding at batch 1 went from 24–31 to 48–56 tokens/s. 2 to 8 rows run the few-row kernels of
// few_row_matmul.h, which read the weight once for all rows; more rows, the GEMM.

// x [..., D], weight/bias [D] → [..., D]
torch::Tensor layerNorm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps);

// x [..., D], weight [D] → [..., D]; normalised in float32, then cast back and scaled (LlamaRMSNorm)
torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// x [...] → [...]; the named activation of config.json (gelu_new, gelu, relu, silu, ...)
torch::Tensor activate(const torch::Tensor& x, const std::string& name);
bool isKnownActivation(const std::string& name);

struct Rotary {
    torch::Tensor cos;  // [B|1, 1, T, headDim]
    torch::Tensor sin;
};
// positions [B|1, T] int64 → cos/sin [B|1, 1, T, headDim] in `dtype` (LlamaRotaryEmbedding: half-split, cat(f, f))
Rotary rotaryTables(const torch::Tensor& positions, int64_t headDim, double theta, torch::ScalarType dtype);
// x [B, H, T, headDim] → x·cos + rotate_half(x)·sin, rotate_half(x) = cat(−x₂, x₁)
torch::Tensor applyRotary(const torch::Tensor& x, const Rotary& rotary);

// attention mask [B, S] (1 token, 0 padding) or undefined; queries sit at positions past..past+T−1 of S keys
// → blocked [B|1, 1, T, S] bool (true = may not attend), or undefined when nothing is blocked
torch::Tensor blockedKeys(int64_t queries, int64_t keys, const torch::Tensor& attentionMask, torch::Device device);

// q [B, H, T, hd], k/v [B, Hkv, S, hd] (H a multiple of Hkv: grouped-query), blocked [B|1, 1, T, S] → [B, T, H·hd]
// softmax(q·kᵀ/√hd masked)·v, the softmax in float32; query heads h use key/value head h / (H/Hkv)
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& blocked);

} // namespace emo::model::ops
