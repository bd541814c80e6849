#pragma once
#include "generate/generate_types.h"
#include "util/progress.h"

#include <string>
#include <vector>

namespace emo::model { class LanguageModel; }
namespace emo::text { class Tokenizer; }

namespace emo::generate {

// The Compare view's work: both models continue the same prompts with the same settings and seed, then
// every sampled token is scored under the other model too (prompt ids + continuation, one forward pass
// per sample). The two tokenizers must agree (same kind and vocabulary size), else emo::Error(BadInput)
// naming both models. Cancelling through `progress` throws Error::cancelled.
struct ComparedModel {
    model::LanguageModel* model = nullptr;
    const text::Tokenizer* tokenizer = nullptr;
    std::string name;
};

ModelComparison compareModels(const ComparedModel& a, const ComparedModel& b, const std::vector<std::string>& prompts,
                              const SampleSettings& settings, const ProgressCallback& progress = {});

// log p(ids[t] | ids[<t]) under `model` for t ≥ from: ids [L] → [L − from] natural logs.
std::vector<double> tokenLogprobs(model::LanguageModel& model, const std::vector<int64_t>& ids, size_t from);

} // namespace emo::generate
