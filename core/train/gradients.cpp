#include "train/gradients.h"

namespace emo::train {

void dropGradients(torch::optim::Optimizer& optimizer)
{
    for (auto& group : optimizer.param_groups())
        for (auto& parameter : group.params())
            parameter.mutable_grad() = torch::Tensor();
}

} // namespace emo::train
