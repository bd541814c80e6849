#pragma once
#include "model/language_model.h"
#include "model/model_description.h"
#include "text/tokenizer.h"
#include "util/progress.h"

#include <functional>
#include <memory>
#include <string>

namespace emo::model {

// A Hugging Face folder's model and tokenizer, checked to fit each other.
struct ModelFolder {
    std::shared_ptr<LanguageModel> model;
    std::unique_ptr<text::Tokenizer> tokenizer;
};

// Throws emo::Error(BadInput) naming the folder, the memory its float32 weights need and the memory
// available, when they would not fit: a clear message instead of the kernel's OOM killer halfway through.
void checkFitsInMemory(const ModelDescription& description, const std::string& folder);

// The folder described (describeCheckpoint), `described` told, text::loadTokenizer + checkTokenizerFitsModel,
// checkFitsInMemory, then the weights loaded: what every command and the app do before they use a folder,
// every check before a weight is read, config.json and the weight tables read once. Errors as those functions
// throw them (emo::Error(BadInput) naming the folder). `described` lets a view show the folder before the
// long part.
ModelFolder loadModelFolder(const std::string& folder, torch::Device device = torch::kCPU,
                            const ProgressCallback& progress = {},
                            const std::function<void(const ModelDescription&)>& described = {});

} // namespace emo::model
