#pragma once
#include "objective/cost_embedding.h"
#include "objective/objective.h"
#include "objective/objective_types.h"

#include <torch/torch.h>

#include <optional>

namespace emo::objective {

// The LM head fused with the objective, so that training never holds the N×V logits (the "linear + loss" of
// fused linear cross-entropy, here for all four objectives with the DEMD term):
// hidden [N,D], head [V,D] (the LM-head weight), labels [N] → ObjectiveResult. Per chunk of rows: z = h·Wᵀ, the
// objective and its logit gradient G (objective_kernel.h), then ∂/∂h = G·W and ∂/∂W += Gᵀ·h, all during the forward.
// `loss` is differentiable w.r.t. hidden and head (its backward may run once); perToken, ce and demd are detached.
// Same checks and errors as computeObjective; chunkRows 0 = automatic (headChunkRows).
// How the head's GEMMs run: its rows padded to rowMultiple (0 = the device's: 64 on CUDA, none on CPU) and their
// operands in `type` (unset = autocast's type where autocast is on for the device, else the compute type).
struct HeadGemmOptions {
    int64_t rowMultiple = 0;
    std::optional<torch::ScalarType> type;
};
ObjectiveResult computeHeadObjective(const ObjectiveSettings& settings, const torch::Tensor& hidden,
                                     const torch::Tensor& head, const torch::Tensor& labels, const CostEmbedding* cost,
                                     int64_t chunkRows = 0, const HeadGemmOptions& gemm = {});

// The automatic rows per chunk for a vocabulary of V: about 8 Mi logits (32 MiB fp32) per chunk buffer, and at
// least 256 rows (measured: thinner chunks make ∂W += Gᵀ·h memory-bound).
int64_t headChunkRows(int64_t vocab);

} // namespace emo::objective
