#include "model/transformer_ops.h"

#include "model/few_row_matmul.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace emo::model::ops {

namespace {

// One row of fp32/fp64 on the CPU: the case where the GEMV is faster than the GEMM (see the header).
bool singleCpuRow(const torch::Tensor& x)
{
    const auto type = x.scalar_type();
    return x.numel() == x.size(-1) && x.device().is_cpu() && (type == torch::kFloat32 || type == torch::kFloat64);
}

} // namespace

torch::Tensor conv1d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias)
{
    auto outShape = x.sizes().vec();
    outShape.back() = weight.size(1);
    if (singleCpuRow(x))
        return torch::addmv(bias, weight.t(), x.reshape({-1})).view(outShape);
    const int64_t rows = x.numel() / std::max<int64_t>(1, x.size(-1));
    if (rows >= 2 && rows <= kFewRowsMax)
        if (auto y = fewRowConv1d(x.reshape({rows, x.size(-1)}), weight, bias); y.defined())
            return y.view(outShape);
    return torch::addmm(bias, x.reshape({-1, x.size(-1)}), weight).view(outShape);
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight)
{
    auto outShape = x.sizes().vec();
    outShape.back() = weight.size(0);
    if (singleCpuRow(x))
        return torch::mv(weight, x.reshape({-1})).view(outShape);
    const int64_t rows = x.numel() / std::max<int64_t>(1, x.size(-1));
    if (rows >= 2 && rows <= kFewRowsMax)
        if (auto y = fewRowLinear(x.reshape({rows, x.size(-1)}), weight); y.defined())
            return y.view(outShape);
    return torch::linear(x, weight);
}

torch::Tensor layerNorm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps)
{
    return torch::layer_norm(x, {x.size(-1)}, weight, bias, eps);
}

torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps)
{
    const auto xf = x.to(torch::kFloat32);
    const auto variance = xf.pow(2).mean(-1, /*keepdim=*/true);
    return weight * (xf * torch::rsqrt(variance + eps)).to(x.scalar_type());
}

bool isKnownActivation(const std::string& name)
{
    return name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast" || name == "gelu"
        || name == "relu" || name == "silu" || name == "swish";
}

torch::Tensor activate(const torch::Tensor& x, const std::string& name)
{
    if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast")
        return torch::gelu(x, "tanh");
    if (name == "gelu")
        return torch::gelu(x);
    if (name == "relu")
        return torch::relu(x);
    return torch::silu(x);  // "silu" | "swish"; others are refused when the model is built
}

Rotary rotaryTables(const torch::Tensor& positions, int64_t headDim, double theta, torch::ScalarType dtype)
{
    const auto floatOptions = torch::TensorOptions().dtype(torch::kFloat32).device(positions.device());
    // inv_freq = 1 / theta^(2i/d), i < d/2, in float32 as transformers computes it
    const auto exponents = torch::arange(0, headDim, 2, floatOptions.dtype(torch::kInt64)).to(torch::kFloat32) / double(headDim);
    const auto invFreq = 1.0 / torch::pow(theta, exponents);
    const auto freqs = positions.to(torch::kFloat32).unsqueeze(-1) * invFreq;  // [B, T, d/2]
    const auto angles = torch::cat({freqs, freqs}, -1).unsqueeze(1);            // [B, 1, T, d]
    return {angles.cos().to(dtype), angles.sin().to(dtype)};
}

torch::Tensor applyRotary(const torch::Tensor& x, const Rotary& rotary)
{
    const int64_t half = x.size(-1) / 2;
    const auto rotated = torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
    return x * rotary.cos + rotated * rotary.sin;
}

torch::Tensor blockedKeys(int64_t queries, int64_t keys, const torch::Tensor& attentionMask, torch::Device device)
{
    torch::Tensor blocked;
    if (queries > 1) {
        const int64_t past = keys - queries;
        const auto options = torch::TensorOptions().dtype(torch::kInt64).device(device);
        const auto queryPositions = torch::arange(past, keys, options).unsqueeze(1);  // [T, 1]
        const auto keyPositions = torch::arange(0, keys, options).unsqueeze(0);       // [1, S]
        blocked = keyPositions.gt(queryPositions).view({1, 1, queries, keys});
    }
    if (attentionMask.defined()) {
        const auto padding = attentionMask.eq(0).reshape({attentionMask.size(0), 1, 1, keys});
        blocked = blocked.defined() ? blocked.logical_or(padding) : padding;
    }
    return blocked;
}

torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& blocked)
{
    const int64_t batch = q.size(0), heads = q.size(1), queries = q.size(2), headDim = q.size(3);
    const int64_t kvHeads = k.size(1), keys = k.size(2), group = heads / kvHeads;
    // Grouped-query attention without repeating k/v: the `group` query heads of one kv head are stacked
    // along the query axis, so each kv head serves one batched GEMM.
    const auto grouped = (q * (1.0 / std::sqrt(double(headDim)))).reshape({batch, kvHeads, group * queries, headDim});
    auto scores = torch::matmul(grouped, k.transpose(2, 3)).view({batch, heads, queries, keys});
    if (blocked.defined()) {
        // The lowest finite value, not −inf: a fully padded query row then stays finite (as transformers does).
        const double lowest = scores.scalar_type() == torch::kFloat16 ? -65504.0
            : scores.scalar_type() == torch::kBFloat16 ? -3.38e38
                                                       : double(std::numeric_limits<float>::lowest());
        scores = scores.masked_fill(blocked, lowest);
    }
    const auto probs = torch::softmax(scores, -1, torch::kFloat32).to(q.scalar_type());
    const auto out = torch::matmul(probs.view({batch, kvHeads, group * queries, keys}), v);  // [B, Hkv, g·T, hd]
    return out.view({batch, heads, queries, headDim}).transpose(1, 2).reshape({batch, queries, heads * headDim});
}

} // namespace emo::model::ops
