#pragma once
#include "io/model_config.h"

#include <cstdint>
#include <string>

namespace emo::model {

// What a Hugging Face folder holds, known without reading a weight.
struct ModelDescription {
    io::ModelConfig config;
    int64_t parameters = 0;     // from the architecture table; a tied head counted once
    std::string storedDtype;    // "float32" | "float16" | "bfloat16"
    std::string weightsLayout;  // the file found: "model.safetensors", "pytorch_model.bin.index.json", …
    std::size_t weightFiles = 0;
    uint64_t bytesOnDisk = 0;
};

// config.json and the weight files' tensor tables (safetensors headers, torch.save pickles), every tensor
// checked against the architecture table, no tensor data read: `emo info` and the Model view describe a
// 7B-parameter folder in well under a second this way. Throws as LanguageModel::load would, before it
// would have read anything.
ModelDescription describeModelFolder(const std::string& folder);

class CheckpointStorage;
// The same from a config and storage already open (checkSupported done by the caller).
ModelDescription describeCheckpoint(const io::ModelConfig& config, const CheckpointStorage& storage);

} // namespace emo::model
