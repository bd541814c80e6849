#include "model/model_folder.h"

namespace emo::model {

ModelFolder loadModelFolder(const std::string& folder, torch::Device device, const ProgressCallback& progress)
{
    ModelFolder loaded;
    loaded.model = LanguageModel::load(folder, device, torch::kFloat32, progress);
    loaded.tokenizer = text::loadTokenizer(folder);
    text::checkTokenizerFitsModel(*loaded.tokenizer, loaded.model->config().vocabSize, folder);
    return loaded;
}

} // namespace emo::model
