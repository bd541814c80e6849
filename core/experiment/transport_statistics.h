#pragma once
#include "experiment/oracle_experiment_types.h"

#include <torch/torch.h>

namespace emo::model { class LanguageModel; }
namespace emo::objective { class CostEmbedding; }

namespace emo::experiment {

// The 5th, 25th, 50th, 75th and 95th percentiles of `values` (linear interpolation between order
// statistics, numpy's default); empty input → five zeros.
std::vector<double> percentiles(std::vector<double> values);

// Per-token DEMD (Σ_j q_j C(j,y) with `cost`) and mle/demd (the weight paper-mode EMO puts on DEMD) of
// `model` on `blocks`, every position predicting the next token; at most maxBlocks blocks are used.
// blocks [N,T] int64 → percentiles of both, their means and the token count
TransportPercentiles transportPercentiles(model::LanguageModel& model, const objective::CostEmbedding& cost,
                                          const torch::Tensor& blocks, int64_t batchSize = 8, int64_t maxBlocks = 64);

} // namespace emo::experiment
