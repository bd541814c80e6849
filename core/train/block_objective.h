#pragma once
#include "objective/cost_embedding.h"
#include "objective/objective.h"
#include "objective/objective_types.h"

#include <torch/torch.h>

namespace emo::model { class LanguageModel; }

namespace emo::train {

// ids [B,T] → labels [B,T]: position t predicts token t+1; the last position is ignored (−100).
torch::Tensor shiftedLabels(const torch::Tensor& ids);

// ids [B,T] token blocks → the objective of predicting every next token (shiftedLabels), with the LM head run
// inside the objective in row chunks (computeHeadObjective): no [B·T,V] logits tensor is made. `cost` may be
// null unless the objective is EMO; chunkRows 0 = automatic. The one step of training, validation and emo-bench.
objective::ObjectiveResult blockObjective(model::LanguageModel& model, const objective::ObjectiveSettings& settings,
                                          const torch::Tensor& ids, const objective::CostEmbedding* cost,
                                          int64_t chunkRows = 0);

} // namespace emo::train
