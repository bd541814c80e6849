#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace emo::eval {

// Principal component analysis as sklearn's PCA(n_components=None, whiten=False) with the full SVD solver
// fits it, in float64: centre the columns, thin SVD, components = rows of Vᵀ with sklearn's sign rule
// (svd_flip: the largest-magnitude entry of each column of U is positive).
struct PcaFit {
    torch::Tensor mean;                    // [D]
    torch::Tensor components;              // [K,D], K = min(n, D), by decreasing variance
    torch::Tensor explainedVariance;       // [K], S²/(n − 1)
    torch::Tensor explainedVarianceRatio;  // [K], explainedVariance / its sum
};

// data [n,D] (n ≥ 2) → fit
PcaFit fitPca(const torch::Tensor& data);

// ratio [K] → the fewest leading components whose cumulative ratio is ≥ threshold (mauve's
// argmax(cumsum ≥ threshold) + 1); 1 if none reaches it (data without variance), as numpy's argmax gives.
int64_t componentsForExplainedVariance(const torch::Tensor& ratio, double threshold);

// data [n,D] → [n,k]: (data − mean) · components[:k]ᵀ, float64
torch::Tensor pcaProject(const PcaFit& fit, const torch::Tensor& data, int64_t k);

} // namespace emo::eval
