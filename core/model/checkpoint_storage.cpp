#include "model/checkpoint_storage.h"

#include "util/atomic_file.h"
#include "util/device.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

namespace emo::model {

namespace fs = std::filesystem;

namespace {

// A checkpoint layout: the single file, or the index whose weight_map names the shards.
struct Layout {
    const char* file;
    bool isIndex;
};
constexpr Layout kLayouts[] = {
    {"model.safetensors", false},
    {"model.safetensors.index.json", true},
    {"pytorch_model.bin", false},
    {"pytorch_model.bin.index.json", true},
};

std::vector<std::string> shardsOfIndex(const fs::path& index)
{
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(util::readTextFile(index.string()));
    } catch (const nlohmann::json::exception& error) {
        throw Error::badInput(index.string() + ": invalid JSON: " + error.what());
    }
    if (!document.is_object() || !document.contains("weight_map") || !document["weight_map"].is_object())
        throw Error::badInput(index.string() + ": field 'weight_map' is missing");
    std::vector<std::string> shards;
    for (const auto& entry : document["weight_map"].items()) {
        if (!entry.value().is_string())
            throw Error::badInput(index.string() + ": weight_map entry '" + entry.key() + "' is not a file name");
        const std::string shard = entry.value().get<std::string>();
        if (shard.empty() || shard.find('/') != std::string::npos || shard == "..")
            throw Error::badInput(index.string() + ": weight_map entry '" + entry.key() + "' names a file outside the folder");
        if (!fs::exists(index.parent_path() / shard))
            throw Error::badInput(index.string() + ": weight_map entry '" + entry.key() + "' is in shard '" + shard
                                  + "', which is not in the folder");
        if (std::find(shards.begin(), shards.end(), shard) == shards.end())
            shards.push_back(shard);
    }
    return shards;
}

bool isFloating(torch::ScalarType type)
{
    return type == torch::kFloat32 || type == torch::kFloat16 || type == torch::kBFloat16 || type == torch::kFloat64;
}

} // namespace

CheckpointStorage CheckpointStorage::open(const std::string& folder)
{
    CheckpointStorage storage;
    storage.m_folder = folder;
    std::vector<std::string> files;
    for (const Layout& layout : kLayouts) {  // transformers prefers safetensors, and a single file over an index
        const fs::path path = fs::path(folder) / layout.file;
        if (!fs::exists(path))
            continue;
        storage.m_layout = layout.file;
        files = layout.isIndex ? shardsOfIndex(path) : std::vector<std::string>{layout.file};
        break;
    }
    if (storage.m_layout.empty())
        throw Error::badInput(folder + ": no weights (model.safetensors, model.safetensors.index.json, "
                              "pytorch_model.bin or pytorch_model.bin.index.json)");
    for (const std::string& name : files) {
        const std::string path = (fs::path(folder) / name).string();
        storage.m_files.push_back(io::openTensorArchive(path));
        storage.m_bytes += fs::file_size(path);
        const std::size_t fileIndex = storage.m_files.size() - 1;
        const auto& tensors = storage.m_files.back()->tensors();
        for (std::size_t t = 0; t < tensors.size(); ++t) {
            const auto [where, inserted] = storage.m_index.emplace(tensors[t].name, std::make_pair(fileIndex, t));
            if (!inserted)
                throw Error::badInput(path + ": tensor '" + tensors[t].name + "' is stored twice (also in "
                                      + storage.m_files[where->second.first]->path() + ")");
        }
    }
    return storage;
}

const io::ArchivedTensor* CheckpointStorage::find(const std::string& name) const
{
    const auto found = m_index.find(name);
    return found == m_index.end() ? nullptr : &m_files[found->second.first]->tensors()[found->second.second];
}

const io::TensorArchive& CheckpointStorage::fileOf(const std::string& name) const
{
    const auto found = m_index.find(name);
    if (found == m_index.end())
        throw Error::badInput(m_folder + ": no tensor named '" + name + "'");
    return *m_files[found->second.first];
}

torch::Tensor CheckpointStorage::load(const std::string& name) const { return fileOf(name).load(name); }

std::string CheckpointStorage::validate(const Architecture& arch, const io::ModelConfig& config) const
{
    const TensorSpec& embedding = arch.globals.front();
    std::string prefix = arch.prefixes.front();
    for (const std::string& candidate : arch.prefixes)
        if (m_index.count(candidate + embedding.name)) {
            prefix = candidate;
            break;
        }

    std::set<std::string> known;
    auto check = [&](const std::string& name, const TensorSpec& spec, bool required) {
        known.insert(name);
        const io::ArchivedTensor* info = find(name);
        const auto expected = expectedShape(spec, config);
        if (!info) {
            if (required)
                throw Error::badInput(m_folder + ": missing tensor '" + name + "' (expected shape "
                                      + shapeString(expected) + ")");
            return;
        }
        const std::string& file = fileOf(name).path();
        if (info->shape != expected)
            throw Error::badInput(file + ": tensor '" + name + "' has shape " + shapeString(info->shape)
                                  + ", expected " + shapeString(expected));
        if (!isFloating(info->dtype))
            throw Error::badInput(file + ": tensor '" + name + "' has dtype " + util::dtypeName(info->dtype)
                                  + ", expected float32, float16 or bfloat16");
    };
    // A tensor the config does not have stays unknown, so a stored one is reported as unexpected.
    for (const TensorSpec& spec : arch.globals)
        if (isPresent(spec, config))
            check(prefix + spec.name, spec, true);
    for (int64_t layer = 0; layer < config.numLayers; ++layer)
        for (const TensorSpec& spec : arch.layers)
            if (isPresent(spec, config))
                check(prefix + layerName(spec.name, layer), spec, true);
    // A tied head may still be stored (transformers ties it to the embedding and ignores the copy).
    check(arch.head.name, arch.head, !config.tieWordEmbeddings);
    for (int64_t layer = 0; layer < config.numLayers; ++layer)
        for (const char* buffer : arch.ignoredBuffers)
            known.insert(prefix + layerName(buffer, layer));

    for (const auto& [name, where] : m_index)
        if (!known.count(name))
            throw Error::badInput(m_files[where.first]->path() + ": unexpected tensor '" + name + "' for a "
                                  + config.modelType + " model with " + std::to_string(config.numLayers) + " layers");
    return prefix;
}

std::string CheckpointStorage::storedDtype() const
{
    for (const auto& file : m_files)
        for (const auto& tensor : file->tensors())
            if (isFloating(tensor.dtype))
                return util::dtypeName(tensor.dtype);
    return "unknown";
}

} // namespace emo::model
