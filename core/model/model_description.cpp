#include "model/model_description.h"

#include "model/architecture.h"
#include "model/checkpoint_storage.h"
#include "model/language_model.h"

#include <filesystem>

namespace emo::model {

ModelDescription describeModelFolder(const std::string& folder)
{
    const io::ModelConfig config = io::ModelConfig::load((std::filesystem::path(folder) / "config.json").string());
    LanguageModel::checkSupported(config);
    return describeCheckpoint(config, CheckpointStorage::open(folder));
}

ModelDescription describeCheckpoint(const io::ModelConfig& config, const CheckpointStorage& storage)
{
    ModelDescription description;
    description.config = config;
    storage.validate(architectureFor(description.config), description.config);
    for (const auto& [name, shape] : hfTensorShapes(description.config)) {
        int64_t elements = 1;
        for (const int64_t size : shape)
            elements *= size;
        description.parameters += elements;
    }
    description.storedDtype = storage.storedDtype();
    description.weightsLayout = storage.layout();
    description.weightFiles = storage.fileCount();
    description.bytesOnDisk = storage.bytesOnDisk();
    return description;
}

} // namespace emo::model
