#pragma once
#include "model/language_model.h"
#include "text/tokenizer.h"
#include "util/progress.h"

#include <memory>
#include <string>

namespace emo::model {

// A Hugging Face folder's model and tokenizer, checked to fit each other.
struct ModelFolder {
    std::shared_ptr<LanguageModel> model;
    std::unique_ptr<text::Tokenizer> tokenizer;
};

// LanguageModel::load + text::loadTokenizer + text::checkTokenizerFitsModel: what every command and the app
// do before they use a folder. Errors as those functions throw them (emo::Error(BadInput) naming the folder).
ModelFolder loadModelFolder(const std::string& folder, torch::Device device = torch::kCPU,
                            const ProgressCallback& progress = {});

} // namespace emo::model
