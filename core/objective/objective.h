#pragma once
#include "objective/cost_embedding.h"
#include "objective/objective_types.h"

#include <torch/torch.h>

namespace emo::objective {

// The outcome of one objective on a batch of predicted positions.
struct ObjectiveResult {
    torch::Tensor loss;       // scalar, mean of perToken over valid labels; differentiable w.r.t. logits
    torch::Tensor perToken;   // [N] token-wise objective (0 where label == -100), differentiable
    torch::Tensor ce;         // [N] −log q_y, detached (0 where ignored)
    torch::Tensor demd;       // [N] Σ_j q_j C(j,y), detached; undefined when no cost embedding was given
    torch::Tensor valid;      // [N] bool, label != -100
    int64_t validCount = 0;
    double mlePart = 0.0;     // mean CE over valid tokens
    double demdPart = 0.0;    // mean DEMD over valid tokens (0 when not computed)
};

// logits [N,V] (any float dtype), labels [N] int64 with −100 = ignore → ObjectiveResult.
// `cost` is required for emo (throws emo::Error otherwise) and, when given, fills `demd` for every objective.
// Throws emo::Error(BadInput) when every label is −100.
ObjectiveResult computeObjective(const ObjectiveSettings& settings, const torch::Tensor& logits,
                                 const torch::Tensor& labels, const CostEmbedding* cost);

} // namespace emo::objective
