#pragma once
#include "util/progress.h"

#include <string>
#include <vector>

namespace emo::train {

// `emo export`: turns a run folder (or any HF folder) into a clean Hugging Face folder: config.json,
// model.safetensors stored as `dtype` ("fp32" | "fp16" | "bf16"), the tokenizer files, and (withHistory)
// run.json + metrics.jsonl so the training curves travel with the model. The optimizer state and the cost
// embedding stay behind. outputDir may not be runDir. Throws emo::Error(BadInput) naming the folder or field.
struct ExportSettings {
    std::string runDir;
    std::string outputDir;
    std::string dtype = "fp32";
    bool withHistory = true;
};

struct ExportResult {
    std::vector<std::string> files;  // names written into outputDir
    int64_t parameterCount = 0;
    int64_t bytes = 0;               // size of model.safetensors
};

ExportResult exportRun(const ExportSettings& settings, const ProgressCallback& progress = {});

} // namespace emo::train
