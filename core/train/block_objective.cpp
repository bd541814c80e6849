#include "train/block_objective.h"

#include "model/language_model.h"
#include "objective/head_objective.h"

namespace emo::train {

torch::Tensor shiftedLabels(const torch::Tensor& ids)
{
    auto labels = torch::full_like(ids, -100);
    const int64_t length = ids.size(1);
    if (length > 1)
        labels.narrow(1, 0, length - 1).copy_(ids.narrow(1, 1, length - 1));
    return labels;
}

objective::ObjectiveResult blockObjective(model::LanguageModel& model, const objective::ObjectiveSettings& settings,
                                          const torch::Tensor& ids, const objective::CostEmbedding* cost,
                                          int64_t chunkRows)
{
    const auto hidden = model.hiddenStates(ids);  // [B,T,D]
    return objective::computeHeadObjective(settings, hidden.reshape({-1, hidden.size(-1)}), model.lmHeadWeight(),
                                           shiftedLabels(ids).reshape({-1}), cost, chunkRows);
}

} // namespace emo::train
