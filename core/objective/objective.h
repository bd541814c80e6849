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
// The fused path (DESIGN.md, performance): per chunk of rows one GEMM s = Ê[y]·Êᵀ, and the logit gradient of
// the whole objective written during the forward pass (no N×V buffer beyond it; none at all without grad).
ObjectiveResult computeObjective(const ObjectiveSettings& settings, const torch::Tensor& logits,
                                 const torch::Tensor& labels, const CostEmbedding* cost);

// The same, with an explicit number of rows per chunk (0 = automatic); for tests of chunk boundaries and benches.
// Its backward may run once (the saved gradient is scaled in place and handed over); a second throws.
ObjectiveResult computeObjectiveFused(const ObjectiveSettings& settings, const torch::Tensor& logits,
                                      const torch::Tensor& labels, const CostEmbedding* cost, int64_t chunkRows);

// The same objective through plain autograd ops (log_softmax, gather of ê_y, Êᵀq, detach for sg): slower,
// kept as the reference the fused path is tested against.
ObjectiveResult computeObjectiveReference(const ObjectiveSettings& settings, const torch::Tensor& logits,
                                          const torch::Tensor& labels, const CostEmbedding* cost);

// logitsRow [V], label → [V]: ∂(that token's objective)/∂logits (stop-gradients as in the objective), detached.
// Works under NoGradGuard / InferenceMode (for inspect). `cost` is required for emo.
torch::Tensor logitGradient(const ObjectiveSettings& settings, const torch::Tensor& logitsRow, int64_t label,
                            const CostEmbedding* cost);

} // namespace emo::objective
