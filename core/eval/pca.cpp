#include "eval/pca.h"

#include "util/error.h"

namespace emo::eval {

PcaFit fitPca(const torch::Tensor& data)
{
    if (data.dim() != 2 || data.size(0) < 2 || data.size(1) < 1)
        throw Error::badInput("pca: data must be [n,D] with n >= 2, got " + std::to_string(data.dim()) + "-d");
    torch::NoGradGuard noGrad;
    const auto x = data.to(torch::kCPU, torch::kFloat64);
    PcaFit fit;
    fit.mean = x.mean(0);
    const auto centred = x - fit.mean;
    auto [u, s, vt] = torch::linalg_svd(centred, /*full_matrices=*/false);
    // svd_flip(u, v): per component, the sign making the largest |u| entry of that column positive.
    const auto maxRows = u.abs().argmax(0);                                        // [K]
    const auto signs = torch::sign(u.gather(0, maxRows.unsqueeze(0)).squeeze(0));  // [K]
    const auto safeSigns = torch::where(signs == 0, torch::ones_like(signs), signs);
    fit.components = vt * safeSigns.unsqueeze(1);
    fit.explainedVariance = s.square() / static_cast<double>(x.size(0) - 1);
    const double total = fit.explainedVariance.sum().item<double>();
    fit.explainedVarianceRatio = total > 0 ? fit.explainedVariance / total : torch::zeros_like(s);
    return fit;
}

int64_t componentsForExplainedVariance(const torch::Tensor& ratio, double threshold)
{
    const auto cumulative = ratio.to(torch::kCPU, torch::kFloat64).cumsum(0).contiguous();
    const double* values = cumulative.data_ptr<double>();
    for (int64_t i = 0; i < cumulative.size(0); ++i)
        if (values[i] >= threshold)
            return i + 1;
    return 1;  // numpy's argmax of an all-false mask is 0 (only when the data have no variance at all)
}

torch::Tensor pcaProject(const PcaFit& fit, const torch::Tensor& data, int64_t k)
{
    if (k < 1 || k > fit.components.size(0))
        throw Error::badInput("pca: cannot keep " + std::to_string(k) + " of " +
                              std::to_string(fit.components.size(0)) + " components");
    torch::NoGradGuard noGrad;
    const auto x = data.to(torch::kCPU, torch::kFloat64);
    return torch::matmul(x - fit.mean, fit.components.narrow(0, 0, k).t());
}

} // namespace emo::eval
