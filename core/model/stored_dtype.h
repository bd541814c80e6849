#pragma once
#include <string>

namespace emo::model {

// The dtype the weights of an HF folder are stored in ("float32", "float16", "bfloat16"; of the first
// floating tensor of model.safetensors or its first shard), read from the safetensors header only.
std::string storedWeightsDtype(const std::string& folder);

} // namespace emo::model
