#pragma once
#include "io/model_config.h"
#include "io/tensor_archive.h"
#include "model/architecture.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace emo::model {

// The weight files of a Hugging Face folder, looked for in transformers' order: model.safetensors,
// model.safetensors.index.json (shards), pytorch_model.bin, pytorch_model.bin.index.json (shards). Opening
// reads tensor tables only (safetensors headers, torch.save pickles), never tensor data.
class CheckpointStorage {
public:
    // Throws emo::Error(BadInput) naming the folder when it holds none of the four, the index file and
    // entry when an index is malformed or names a missing shard, the shard when a tensor is stored twice.
    static CheckpointStorage open(const std::string& folder);

    const std::string& folder() const { return m_folder; }
    const std::string& layout() const { return m_layout; }  // the file found, e.g. "model.safetensors.index.json"
    std::size_t fileCount() const { return m_files.size(); }
    uint64_t bytesOnDisk() const { return m_bytes; }

    const io::ArchivedTensor* find(const std::string& name) const;  // nullptr when absent
    const io::TensorArchive& fileOf(const std::string& name) const; // the shard holding a stored tensor
    torch::Tensor load(const std::string& name) const;              // CPU, stored dtype

    // Every stored tensor against the table: a missing, mis-shaped, non-float or unexpected tensor throws
    // naming the tensor and its file. Returns the prefix the checkpoint uses ("transformer.", "model.", …).
    std::string validate(const Architecture& arch, const io::ModelConfig& config) const;

    // The stored type of the first floating tensor, "float32" | "float16" | "bfloat16" | "float64".
    std::string storedDtype() const;

private:
    std::string m_folder;
    std::string m_layout;
    uint64_t m_bytes = 0;
    std::vector<std::unique_ptr<io::TensorArchive>> m_files;
    std::map<std::string, std::pair<std::size_t, std::size_t>> m_index;  // name → (file, tensor in file)
};

} // namespace emo::model
