#include "model/model_folder.h"

#include "util/error.h"
#include "util/runtime.h"

#include <cstdio>

namespace emo::model {

namespace {

std::string gibibytes(double bytes)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f GiB", bytes / double(1ull << 30));
    return text;
}

} // namespace

void checkFitsInMemory(const ModelDescription& description, const std::string& folder)
{
    const double needed = double(description.parameters) * 4.0;  // float32 compute weights
    const int64_t available = util::availableMemoryBytes();
    if (available >= 0 && needed > double(available))
        throw Error::badInput(folder + ": its " + std::to_string(description.parameters) + " parameters need "
                              + gibibytes(needed) + " as float32 and this machine has " + gibibytes(double(available))
                              + " available; `emo info` describes it without loading");
}

ModelFolder loadModelFolder(const std::string& folder, torch::Device device, const ProgressCallback& progress)
{
    // Everything that can be wrong with the folder is found before the weights are read.
    const ModelDescription description = describeModelFolder(folder);
    ModelFolder loaded;
    loaded.tokenizer = text::loadTokenizer(folder);
    text::checkTokenizerFitsModel(*loaded.tokenizer, description.config.vocabSize, folder);
    if (device.is_cpu())
        checkFitsInMemory(description, folder);
    loaded.model = LanguageModel::load(folder, device, torch::kFloat32, progress);
    return loaded;
}

} // namespace emo::model
