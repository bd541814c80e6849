#pragma once
#include <torch/torch.h>

#include <string>

namespace emo::test {

// tests/data/model/<model>/reference.safetensors, written by tests/data/model/make_reference.py (the
// independent plain-PyTorch forward): input_ids, logits, ...
torch::Tensor referenceTensor(const std::string& model, const std::string& tensor);

// max |a − b| computed in float64 (either may be any floating type or device).
double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b);

} // namespace emo::test
