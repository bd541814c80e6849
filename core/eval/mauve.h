#pragma once
#include "eval/eval_types.h"
#include "util/progress.h"

#include <torch/torch.h>

namespace emo::eval {

// MAUVE (Pillutla et al. 2021) as krishnap25/mauve's compute_mauve computes it from features:
// stack [q; p], L2-normalise each row, PCA keeping the fewest components that explain
// `explainedVariance` of the variance, k-means (k = max(2, round(min(n_p, n_q)/10)) unless set),
// normalised cluster histograms of p and q, the divergence curve at `curvePoints` mixture weights with
// scaling c, and MAUVE = the area of that curve.
// Departures, all below the rounding of their float32 pipeline or inside what their seed fixes anyway:
// PCA and k-means run in float64; k-means is faiss's algorithm (random distinct initial rows, Lloyd, split
// of empty clusters, lowest objective of the restarts) with our own random numbers, so clusters match faiss
// only up to the choice of initial rows; Lloyd stops once the assignment is stable (a fixed point).
// pFeatures [n_p,D], qFeatures [n_q,D] (any float dtype, any device) → result; deterministic for a seed.
MauveResult computeMauve(const torch::Tensor& pFeatures, const torch::Tensor& qFeatures,
                         const MauveOptions& options = {}, const ProgressCallback& progress = {});

// n_p, n_q → max(2, round(min(n_p, n_q) / 10)) with Python's round (halves to even).
int64_t mauveAutoClusters(int64_t nP, int64_t nQ);

} // namespace emo::eval
