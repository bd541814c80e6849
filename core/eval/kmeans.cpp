#include "eval/kmeans.h"

#include "util/error.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

namespace emo::eval {
namespace {

// faiss's perturbation of the two halves of a split cluster.
constexpr double kSplitEps = 1.0 / 1024.0;

// centroids [k,d] (modified), counts [k] (modified): refill every empty cluster by splitting another one.
void splitIntoEmptyClusters(torch::Tensor& centroids, std::vector<int64_t>& counts, std::mt19937_64& rng)
{
    const int64_t k = centroids.size(0), d = centroids.size(1);
    auto* c = centroids.data_ptr<double>();
    for (int64_t empty = 0; empty < k; ++empty) {
        if (counts[empty] != 0)
            continue;
        // A cluster with probability ∝ (size − 1), as faiss's loop draws it; none can be split → leave it.
        std::vector<double> weights(k);
        double total = 0;
        for (int64_t j = 0; j < k; ++j)
            total += weights[j] = counts[j] > 1 ? static_cast<double>(counts[j] - 1) : 0.0;
        if (total <= 0)
            return;
        std::discrete_distribution<int64_t> pick(weights.begin(), weights.end());
        const int64_t donor = pick(rng);
        for (int64_t j = 0; j < d; ++j) {
            const double v = c[donor * d + j];
            c[empty * d + j] = v * (j % 2 == 0 ? 1 + kSplitEps : 1 - kSplitEps);
            c[donor * d + j] = v * (j % 2 == 0 ? 1 - kSplitEps : 1 + kSplitEps);
        }
        counts[empty] = counts[donor] / 2;
        counts[donor] -= counts[empty];
    }
}

} // namespace

std::pair<torch::Tensor, double> assignToNearest(const torch::Tensor& data, const torch::Tensor& centroids)
{
    // ‖x − c‖² = ‖x‖² − 2x·c + ‖c‖², [n,k]
    const auto distances = (data.square().sum(1, true) - 2.0 * torch::matmul(data, centroids.t()) +
                            centroids.square().sum(1).unsqueeze(0)).clamp_min(0.0);
    auto [best, labels] = distances.min(1);
    return {labels, best.sum().item<double>()};
}

KMeansResult lloydKMeans(const torch::Tensor& data, const torch::Tensor& initial, int64_t maxIterations,
                         uint64_t seed, const ProgressCallback& progress)
{
    if (data.dim() != 2 || initial.dim() != 2 || data.size(1) != initial.size(1) || initial.size(0) < 1)
        throw Error::badInput("kmeans: data must be [n,d] and initial centres [k,d] of the same d");
    torch::NoGradGuard noGrad;
    const auto x = data.to(torch::kCPU, torch::kFloat64).contiguous();
    const int64_t k = initial.size(0);
    KMeansResult result;
    result.centroids = initial.to(torch::kCPU, torch::kFloat64).clone().contiguous();
    std::mt19937_64 rng(seed);
    torch::Tensor previous;
    bool splitLastTime = false;
    for (int64_t it = 0; it < maxIterations; ++it) {
        if (progress && !progress({"k-means", it, maxIterations}))
            throw Error::cancelled("kmeans: cancelled");
        auto labels = assignToNearest(x, result.centroids).first;
        // Same assignment as before and centres are its means: a fixed point, further iterations change nothing.
        if (previous.defined() && !splitLastTime && torch::equal(labels, previous))
            break;
        const auto counts = torch::bincount(labels, {}, k);
        auto sums = torch::zeros_like(result.centroids).index_add_(0, labels, x);
        auto means = sums / counts.clamp_min(1).to(torch::kFloat64).unsqueeze(1);
        // Empty clusters keep their centre until the split below replaces it.
        result.centroids = torch::where((counts > 0).unsqueeze(1), means, result.centroids).contiguous();
        std::vector<int64_t> countVector(counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + k);
        splitLastTime = std::find(countVector.begin(), countVector.end(), 0) != countVector.end();
        if (splitLastTime)
            splitIntoEmptyClusters(result.centroids, countVector, rng);
        previous = labels;
        result.iterations = it + 1;
    }
    auto [labels, objective] = assignToNearest(x, result.centroids);
    result.labels = labels;
    result.objective = objective;
    return result;
}

KMeansResult kmeans(const torch::Tensor& data, int64_t k, int64_t maxIterations, int64_t restarts, uint64_t seed,
                    const ProgressCallback& progress)
{
    if (data.dim() != 2)
        throw Error::badInput("kmeans: data must be [n,d]");
    const int64_t n = data.size(0);
    if (k < 1 || k > n)
        throw Error::badInput("kmeans: cannot make " + std::to_string(k) + " clusters of " + std::to_string(n) +
                              " points");
    if (restarts < 1 || maxIterations < 1)
        throw Error::badInput("kmeans: restarts and iterations must be positive");
    torch::NoGradGuard noGrad;
    const auto x = data.to(torch::kCPU, torch::kFloat64).contiguous();
    KMeansResult best;
    best.objective = std::numeric_limits<double>::infinity();
    for (int64_t restart = 0; restart < restarts; ++restart) {
        // k distinct rows by a partial Fisher–Yates shuffle (faiss seeds each redo as seed + 1 + redo·15486557).
        std::mt19937_64 rng(seed + 1 + static_cast<uint64_t>(restart) * 15486557ULL);
        std::vector<int64_t> order(n);
        std::iota(order.begin(), order.end(), int64_t{0});
        for (int64_t i = 0; i < k; ++i) {
            std::uniform_int_distribution<int64_t> pick(i, n - 1);
            std::swap(order[i], order[pick(rng)]);
        }
        const auto rows = torch::tensor(std::vector<int64_t>(order.begin(), order.begin() + k), torch::kLong);
        const ProgressCallback restartProgress = progress ? ProgressCallback([&](const Progress& p) {
            return progress({p.stage, restart * maxIterations + p.done, restarts * maxIterations});
        }) : ProgressCallback();
        auto run = lloydKMeans(x, x.index_select(0, rows), maxIterations, rng(), restartProgress);
        if (run.objective < best.objective)
            best = std::move(run);
    }
    return best;
}

} // namespace emo::eval
