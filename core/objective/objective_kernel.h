#pragma once
// The per-chunk arithmetic every fused objective path shares (logits given, or computed from the LM head):
// internal to the objective area, not an API of its own.
#include "objective/cost_embedding.h"
#include "objective/objective.h"
#include "objective/objective_types.h"

#include <torch/torch.h>

namespace emo::objective::kernel {

constexpr int64_t kIgnoreIndex = -100;
constexpr double kRatioEps = 1e-10;  // the official EMO code's guard in mle/(demd+1e-10) and d/(mle+1e-10)

torch::ScalarType computeDtype(torch::ScalarType input);  // fp64 stays fp64, everything else runs in fp32
bool usesCost(const ObjectiveSettings& settings, const CostEmbedding* cost);

// Checks labels [N] against N rows and V classes, the cost embedding and the settings; throws emo::Error(BadInput)
// naming what is wrong. Returns the CPU int64 copy of labels (chunks look there for ignored rows).
torch::Tensor validateLabels(const ObjectiveSettings& settings, int64_t rows, int64_t vocab, const torch::Tensor& labels,
                             const CostEmbedding* cost);

// qy [n] → [n]: TaiLr's no-grad coefficient on each token's mle (both forms, DESIGN.md).
torch::Tensor tailrCoefficient(const ObjectiveSettings& settings, const torch::Tensor& qy);

struct ChunkInputs {
    ObjectiveSettings settings;
    torch::Tensor labels;     // [N] int64 on the compute device
    torch::Tensor labelsCpu;  // [N] int64
    torch::Tensor costRows;   // [V,D] Ê in the compute dtype on the compute device, or undefined
    int64_t chunkRows = 0;    // rows per chunk, > 0
};

ChunkInputs makeChunkInputs(const ObjectiveSettings& settings, const torch::Tensor& labels,
                            const torch::Tensor& labelsCpu, const CostEmbedding* cost, torch::Device device,
                            torch::ScalarType dtype, int64_t chunkRows);

struct ChunkOutputs {
    torch::Tensor perToken;  // [N]
    torch::Tensor ce;        // [N]
    torch::Tensor demd;      // [N] or undefined
    ChunkOutputs(int64_t rows, bool withDemd, const torch::TensorOptions& options);
};

// Rows [r0, r0+n) of the objective. z [n,V] logits (any float dtype); q [n,V] in the compute dtype, which may be
// z itself: on return q holds softmax(z) or, with wantGrad, ∂perToken_i/∂z_i (zero on ignored rows).
// s [n,V] compute-dtype scratch, used when the objective has a cost. Writes out.perToken/ce/demd rows.
// Per chunk: s = Ê[y]·Êᵀ (one GEMM), m = ⟨q,s⟩, demd = 1 − m, G = q ⊙ (a + b·m − b·s) − a·e_y.
void objectiveOnChunk(const ChunkInputs& in, int64_t r0, const torch::Tensor& z, const torch::Tensor& q,
                      const torch::Tensor& s, bool wantGrad, ChunkOutputs& out);

// perToken, ce, demd [N] (demd may be undefined), labels [N] → ObjectiveResult; loss = lossSum / valid count,
// with lossSum = Σ perToken unless given (the head path hands over its differentiable sum).
ObjectiveResult finishResult(const torch::Tensor& perToken, const torch::Tensor& ce, const torch::Tensor& demd,
                             const torch::Tensor& labels, const torch::Tensor& lossSum = {});

} // namespace emo::objective::kernel
