#include "model/model_folder.h"

#include "model/checkpoint_storage.h"
#include "util/byte_size.h"
#include "util/error.h"
#include "util/runtime.h"

#include <filesystem>

namespace emo::model {

void checkFitsInMemory(const ModelDescription& description, const std::string& folder)
{
    const double needed = double(description.parameters) * 4.0;  // float32 compute weights
    const int64_t available = util::availableMemoryBytes();
    if (available >= 0 && needed > double(available))
        throw Error::badInput(folder + ": its " + std::to_string(description.parameters) + " parameters need "
                              + util::formatBytes(uint64_t(needed)) + " as float32 and this machine has " + util::formatBytes(uint64_t(available))
                              + " available; `emo info` describes it without loading");
}

ModelFolder loadModelFolder(const std::string& folder, torch::Device device, const ProgressCallback& progress,
                            const std::function<void(const ModelDescription&)>& described)
{
    // Everything that can be wrong with the folder is found before the weights are read; config.json and
    // the weight files' tables are read once, for the description and the load.
    const io::ModelConfig config = io::ModelConfig::load((std::filesystem::path(folder) / "config.json").string());
    LanguageModel::checkSupported(config);
    const CheckpointStorage storage = CheckpointStorage::open(folder);
    const ModelDescription description = describeCheckpoint(config, storage);
    if (described)
        described(description);
    ModelFolder loaded;
    loaded.tokenizer = text::loadTokenizer(folder);
    text::checkTokenizerFitsModel(*loaded.tokenizer, config.vocabSize, folder);
    if (device.is_cpu())
        checkFitsInMemory(description, folder);
    loaded.model = LanguageModel::load(config, storage, device, torch::kFloat32, progress);
    return loaded;
}

} // namespace emo::model
