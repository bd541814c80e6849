#pragma once
#include <torch/torch.h>

namespace emo::train {

// optimizer.zero_grad() that frees the gradients instead of zeroing them (PyTorch 2's set_to_none): they do not
// exist during the next forward, and the first gradient backward delivers for a tensor becomes its .grad
// without a copy. Every parameter of a step gets a gradient again, so Adam and weight decay see the same.
void dropGradients(torch::optim::Optimizer& optimizer);

} // namespace emo::train
