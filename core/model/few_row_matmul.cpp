#include "model/few_row_matmul.h"

#include <ATen/Parallel.h>
#include <immintrin.h>

#include <algorithm>

namespace emo::model::ops {

namespace {

__attribute__((target("avx2,fma"))) inline float horizontalSum(__m256 v)
{
    __m128 low = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    low = _mm_hadd_ps(low, low);
    low = _mm_hadd_ps(low, low);
    return _mm_cvtss_f32(low);
}

// ---- nn.Linear layout: dot products along K, 4 rows × 2 outputs a tile ----

// N rows (1..4) of x [N, K] against weight rows w0, w1 [K] → y[r, 0] and y[r, 1] (y row stride O); w1 may be
// null (an odd last output). K8 = K rounded down to 8; the rest is summed in scalar.
template <int N>
__attribute__((target("avx2,fma"), always_inline)) inline void tile(const float* x, int64_t K, const float* w0,
                                                                     const float* w1, float* y, int64_t O)
{
    const float* w1s = w1 ? w1 : w0;
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    const float* x0 = x;
    const float* x1 = x + K;
    const float* x2 = x + 2 * K;
    const float* x3 = x + 3 * K;
    const int64_t k8 = K & ~int64_t(7);
    for (int64_t k = 0; k < k8; k += 8) {
        // The weight streams from memory: ask for it 2048 floats ahead (measured best of 256, 1024, 2048).
        _mm_prefetch(reinterpret_cast<const char*>(w0 + k + 2048), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(w1s + k + 2048), _MM_HINT_T0);
        const __m256 v0 = _mm256_loadu_ps(w0 + k), v1 = _mm256_loadu_ps(w1s + k);
        __m256 xv = _mm256_loadu_ps(x0 + k);
        a00 = _mm256_fmadd_ps(xv, v0, a00);
        a01 = _mm256_fmadd_ps(xv, v1, a01);
        if (N > 1) {
            xv = _mm256_loadu_ps(x1 + k);
            a10 = _mm256_fmadd_ps(xv, v0, a10);
            a11 = _mm256_fmadd_ps(xv, v1, a11);
        }
        if (N > 2) {
            xv = _mm256_loadu_ps(x2 + k);
            a20 = _mm256_fmadd_ps(xv, v0, a20);
            a21 = _mm256_fmadd_ps(xv, v1, a21);
        }
        if (N > 3) {
            xv = _mm256_loadu_ps(x3 + k);
            a30 = _mm256_fmadd_ps(xv, v0, a30);
            a31 = _mm256_fmadd_ps(xv, v1, a31);
        }
    }
    const __m256 acc[4][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}};
    for (int r = 0; r < N; ++r) {
        const float* xr = x + r * K;
        float s0 = horizontalSum(acc[r][0]), s1 = horizontalSum(acc[r][1]);
        for (int64_t k = k8; k < K; ++k) {
            s0 += xr[k] * w0[k];
            s1 += xr[k] * w1s[k];
        }
        y[r * O] = s0;
        if (w1)
            y[r * O + 1] = s1;
    }
}

// Output pairs [begin, end) for all R rows.
__attribute__((target("avx2,fma"))) void outputPairs(const float* x, const float* w, float* y, int64_t R, int64_t K,
                                                      int64_t O, int64_t begin, int64_t end)
{
    for (int64_t pair = begin; pair < end; ++pair) {
        const int64_t o = 2 * pair;
        const float* w0 = w + o * K;
        const float* w1 = o + 1 < O ? w0 + K : nullptr;
        int64_t r = 0;
        for (; r + 4 <= R; r += 4)
            tile<4>(x + r * K, K, w0, w1, y + r * O + o, O);
        switch (R - r) {
        case 3: tile<3>(x + r * K, K, w0, w1, y + r * O + o, O); break;
        case 2: tile<2>(x + r * K, K, w0, w1, y + r * O + o, O); break;
        case 1: tile<1>(x + r * K, K, w0, w1, y + r * O + o, O); break;
        default: break;
        }
    }
}

// ---- Conv1D layout [K, O]: rows of the weight scaled and summed, 4 rows × 16 outputs a tile ----

// Adds x[r, k0:k1] · weight[k0:k1, o:o+16] to y[r, o:o+16] for N rows (1..4), or to bias instead of y where
// bias is given (the first chunk of k). Each weight row is read 64 bytes at a time, so the next ones are asked for 32 floats ahead.
template <int N>
__attribute__((target("avx2,fma"), always_inline)) inline void convTile(const float* x, int64_t K, const float* w,
                                                                         int64_t O, const float* bias, float* y,
                                                                         int64_t k0, int64_t k1)
{
    __m256 a00, a01, a10, a11, a20, a21, a30, a31;
    if (bias) {
        a00 = a10 = a20 = a30 = _mm256_loadu_ps(bias);
        a01 = a11 = a21 = a31 = _mm256_loadu_ps(bias + 8);
    } else {
        a00 = _mm256_loadu_ps(y);
        a01 = _mm256_loadu_ps(y + 8);
        a10 = N > 1 ? _mm256_loadu_ps(y + O) : a00;
        a11 = N > 1 ? _mm256_loadu_ps(y + O + 8) : a00;
        a20 = N > 2 ? _mm256_loadu_ps(y + 2 * O) : a00;
        a21 = N > 2 ? _mm256_loadu_ps(y + 2 * O + 8) : a00;
        a30 = N > 3 ? _mm256_loadu_ps(y + 3 * O) : a00;
        a31 = N > 3 ? _mm256_loadu_ps(y + 3 * O + 8) : a00;
    }
    for (int64_t k = k0; k < k1; ++k) {
        const float* wk = w + k * O;
        _mm_prefetch(reinterpret_cast<const char*>(wk + 32), _MM_HINT_T0);
        const __m256 v0 = _mm256_loadu_ps(wk), v1 = _mm256_loadu_ps(wk + 8);
        __m256 xv = _mm256_broadcast_ss(x + k);
        a00 = _mm256_fmadd_ps(xv, v0, a00);
        a01 = _mm256_fmadd_ps(xv, v1, a01);
        if (N > 1) {
            xv = _mm256_broadcast_ss(x + K + k);
            a10 = _mm256_fmadd_ps(xv, v0, a10);
            a11 = _mm256_fmadd_ps(xv, v1, a11);
        }
        if (N > 2) {
            xv = _mm256_broadcast_ss(x + 2 * K + k);
            a20 = _mm256_fmadd_ps(xv, v0, a20);
            a21 = _mm256_fmadd_ps(xv, v1, a21);
        }
        if (N > 3) {
            xv = _mm256_broadcast_ss(x + 3 * K + k);
            a30 = _mm256_fmadd_ps(xv, v0, a30);
            a31 = _mm256_fmadd_ps(xv, v1, a31);
        }
    }
    _mm256_storeu_ps(y, a00);
    _mm256_storeu_ps(y + 8, a01);
    if (N > 1) {
        _mm256_storeu_ps(y + O, a10);
        _mm256_storeu_ps(y + O + 8, a11);
    }
    if (N > 2) {
        _mm256_storeu_ps(y + 2 * O, a20);
        _mm256_storeu_ps(y + 2 * O + 8, a21);
    }
    if (N > 3) {
        _mm256_storeu_ps(y + 3 * O, a30);
        _mm256_storeu_ps(y + 3 * O + 8, a31);
    }
}

// Tiles [begin, end) of 16 outputs for all R rows, 16 weight rows at a time: a block of the weight is read from
// memory once, by the first 4 rows, and again from cache by the others (measured best of 16, 32, 64, 128).
__attribute__((target("avx2,fma"))) void outputTiles(const float* x, const float* w, const float* bias, float* y,
                                                      int64_t R, int64_t K, int64_t O, int64_t begin, int64_t end)
{
    constexpr int64_t kChunk = 16;
    for (int64_t k0 = 0; k0 < K; k0 += kChunk) {
        const int64_t k1 = std::min(K, k0 + kChunk);
        const float* b = k0 == 0 ? bias : nullptr;
        for (int64_t r = 0; r < R; r += 4)
            for (int64_t tile = begin; tile < end; ++tile) {
                const int64_t o = 16 * tile;
                const float* bo = b ? b + o : nullptr;
                float* yo = y + r * O + o;
                const float* xr = x + r * K;
                switch (std::min<int64_t>(4, R - r)) {
                case 4: convTile<4>(xr, K, w + o, O, bo, yo, k0, k1); break;
                case 3: convTile<3>(xr, K, w + o, O, bo, yo, k0, k1); break;
                case 2: convTile<2>(xr, K, w + o, O, bo, yo, k0, k1); break;
                default: convTile<1>(xr, K, w + o, O, bo, yo, k0, k1); break;
                }
            }
    }
}

bool appliesTo(const torch::Tensor& x, const torch::Tensor& weight)
{
    const bool autograd = torch::GradMode::is_enabled() && (x.requires_grad() || weight.requires_grad());
    return !autograd && x.dim() == 2 && weight.dim() == 2 && x.size(0) >= 2 && x.size(0) <= kFewRowsMax
        && x.device().is_cpu() && weight.device().is_cpu() && x.scalar_type() == torch::kFloat32
        && weight.scalar_type() == torch::kFloat32 && fewRowMatmulAvailable();
}

} // namespace

bool fewRowMatmulAvailable()
{
    static const bool available = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return available;
}

torch::Tensor fewRowConv1d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias)
{
    if (!appliesTo(x, weight) || x.size(1) != weight.size(0))
        return {};
    const int64_t O = weight.size(1);
    if (bias.defined() && (bias.numel() != O || bias.scalar_type() != torch::kFloat32 || !bias.device().is_cpu()
                           || (torch::GradMode::is_enabled() && bias.requires_grad())))
        return {};
    const auto xc = x.contiguous();
    const auto wc = weight.contiguous();
    const auto bc = bias.defined() ? bias.contiguous() : torch::zeros({O});  // the tiles start from a bias
    const int64_t R = xc.size(0), K = xc.size(1);
    auto y = torch::empty({R, O}, xc.options());
    const float* xp = xc.data_ptr<float>();
    const float* wp = wc.data_ptr<float>();
    const float* bp = bc.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    const int64_t tiles = O / 16;
    at::parallel_for(0, tiles, 4, [&](int64_t begin, int64_t end) { outputTiles(xp, wp, bp, yp, R, K, O, begin, end); });
    for (int64_t o = 16 * tiles; o < O; ++o)  // the last O mod 16 outputs
        for (int64_t r = 0; r < R; ++r) {
            float sum = bp[o];
            for (int64_t k = 0; k < K; ++k)
                sum += xp[r * K + k] * wp[k * O + o];
            yp[r * O + o] = sum;
        }
    return y;
}

torch::Tensor fewRowLinear(const torch::Tensor& x, const torch::Tensor& weight)
{
    if (!appliesTo(x, weight) || x.size(1) != weight.size(1))
        return {};
    const auto xc = x.contiguous();
    const auto wc = weight.contiguous();
    const int64_t R = xc.size(0), K = xc.size(1), O = wc.size(0);
    auto y = torch::empty({R, O}, xc.options());
    const float* xp = xc.data_ptr<float>();
    const float* wp = wc.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    // 16 pairs (32 weight rows) at least per task, so small projections do not pay for waking threads.
    at::parallel_for(0, (O + 1) / 2, 16, [&](int64_t begin, int64_t end) { outputPairs(xp, wp, yp, R, K, O, begin, end); });
    return y;
}

} // namespace emo::model::ops
