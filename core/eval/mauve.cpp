#include "eval/mauve.h"

#include "eval/divergence_curve.h"
#include "eval/kmeans.h"
#include "eval/pca.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>

namespace emo::eval {

int64_t mauveAutoClusters(int64_t nP, int64_t nQ)
{
    const double tenth = static_cast<double>(std::min(nP, nQ)) / 10.0;
    return std::max<int64_t>(2, static_cast<int64_t>(std::nearbyint(tenth)));  // FE_TONEAREST: halves to even
}

MauveResult computeMauve(const torch::Tensor& pFeatures, const torch::Tensor& qFeatures, const MauveOptions& options,
                         const ProgressCallback& progress)
{
    if (pFeatures.dim() != 2 || qFeatures.dim() != 2 || pFeatures.size(1) != qFeatures.size(1))
        throw Error::badInput("mauve: p and q features must be [n,D] with the same D");
    if (pFeatures.size(0) < 1 || qFeatures.size(0) < 1)
        throw Error::badInput("mauve: p and q need at least one feature row each");
    if (!(options.explainedVariance > 0.0 && options.explainedVariance < 1.0))
        throw Error::badInput("mauve: explained variance must be in (0, 1)");
    torch::NoGradGuard noGrad;
    const int64_t nP = pFeatures.size(0), nQ = qFeatures.size(0);
    MauveResult result;
    result.numClusters = options.numClusters > 0 ? options.numClusters : mauveAutoClusters(nP, nQ);
    if (result.numClusters > nP + nQ)
        throw Error::badInput("mauve: " + std::to_string(result.numClusters) + " clusters for " +
                              std::to_string(nP + nQ) + " feature rows");

    if (progress && !progress({"mauve: PCA", 0, 0}))
        throw Error::cancelled("mauve: cancelled");
    // q first, as compute_mauve stacks them; rows of zero norm stay zero (sklearn's normalize).
    auto data = torch::cat({qFeatures.to(torch::kCPU, torch::kFloat64), pFeatures.to(torch::kCPU, torch::kFloat64)});
    const auto norms = data.norm(2, 1, true);
    data = data / torch::where(norms == 0, torch::ones_like(norms), norms);
    const PcaFit pca = fitPca(data);
    result.pcaComponents = componentsForExplainedVariance(pca.explainedVarianceRatio, options.explainedVariance);
    const auto projected = pcaProject(pca, data, result.pcaComponents);

    // faiss.Kmeans(..., seed=seed + 2) in compute_mauve.
    const KMeansResult clusters = kmeans(projected, result.numClusters, options.kmeansIterations,
                                         options.kmeansRestarts, options.seed + 2, progress);
    result.kmeansObjective = clusters.objective;

    const auto histogram = [&](int64_t start, int64_t count) {
        const auto counts = torch::bincount(clusters.labels.narrow(0, start, count), {}, result.numClusters)
                                .to(torch::kFloat64);
        const auto normalised = (counts / static_cast<double>(count)).contiguous();
        return std::vector<double>(normalised.data_ptr<double>(), normalised.data_ptr<double>() + result.numClusters);
    };
    result.qHistogram = histogram(0, nQ);
    result.pHistogram = histogram(nQ, nP);

    const DivergenceCurve curve =
        divergenceCurve(result.pHistogram, result.qHistogram, options.curvePoints, options.scalingFactor);
    result.curveX = curve.x;
    result.curveY = curve.y;
    result.score = mauveArea(curve);
    return result;
}

} // namespace emo::eval
