#pragma once
#include <torch/torch.h>

#include <string>

namespace emo::util {

// "cpu" | "cuda" | "cuda:N" → torch::Device; a CUDA device on a LibTorch without CUDA (Debian's) is bad
// input with a message that says so, not a crash later.
torch::Device parseDevice(const std::string& text);

// "float32" | "bfloat16" | ... as config.json writes it.
std::string dtypeName(torch::ScalarType type);

} // namespace emo::util
