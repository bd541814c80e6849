#pragma once
#include "util/progress.h"

#include <torch/torch.h>

#include <cstdint>

namespace emo::eval {

// k-means as MAUVE runs it (faiss.Kmeans(d, k, niter, nredo, seed)): Lloyd iterations from k distinct data
// points drawn at random, empty clusters refilled by splitting a large one (faiss's rule), several restarts
// keeping the lowest objective, final labels = nearest final centre. In float64 on the CPU.
struct KMeansResult {
    torch::Tensor centroids;  // [k,d] float64
    torch::Tensor labels;     // [n] int64, index of the nearest centroid
    double objective = 0.0;   // Σ squared distance of each point to its nearest centroid
    int64_t iterations = 0;   // Lloyd iterations run by the returned restart
};

// data [n,d], centroids [k,d] → [n] int64 nearest centroid (lowest index on ties) and Σ squared distances
std::pair<torch::Tensor, double> assignToNearest(const torch::Tensor& data, const torch::Tensor& centroids);

// data [n,d], initial [k,d] → Lloyd's algorithm until the assignment no longer changes or maxIterations:
// assign, then move each centre to the mean of its points; an empty cluster takes half of a cluster chosen
// with probability ∝ its size (faiss's split, both centres nudged by ±1/1024), drawn from `seed`.
// `progress` is called once per iteration; false cancels (emo::Error Cancelled).
KMeansResult lloydKMeans(const torch::Tensor& data, const torch::Tensor& initial, int64_t maxIterations,
                         uint64_t seed, const ProgressCallback& progress = {});

// data [n,d] → best of `restarts` runs of lloydKMeans, each from k distinct random rows (seeded by seed and
// the restart number). n must be ≥ k.
KMeansResult kmeans(const torch::Tensor& data, int64_t k, int64_t maxIterations, int64_t restarts, uint64_t seed,
                    const ProgressCallback& progress = {});

} // namespace emo::eval
