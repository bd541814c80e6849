#pragma once
#include <torch/torch.h>

namespace emo::bench {

// EMO as the official code (DRSY/EMO) computes it, for comparison only: an int64 one-hot of the labels,
// Ê normalised on every call, p_repr = onehot·Ê and q_repr = (q − sg(q⊙onehot))·Ê (LM-head-sized GEMMs),
// d = 1 − ⟨q_repr, p_repr⟩, loss = mean over tokens of 0.5·(ce + sg(ce/d)·d) with d shifted as in its LLaMA
// code. logits [N,V], labels [N], embedding [V,D] → scalar.
torch::Tensor officialEmoLoss(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& embedding);

} // namespace emo::bench
