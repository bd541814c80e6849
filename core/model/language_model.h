#pragma once
#include "io/model_config.h"
#include "model/kv_cache.h"
#include "util/progress.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace emo::model {

class CheckpointStorage;

// A decoder-only causal LM (GPT-2 or LLaMA family) whose parameters are laid out by a declarative
// per-architecture tensor-name table (see architecture.h), so loading, saving and naming share one table.
class LanguageModel : public torch::nn::Module {
public:
    // Random initialisation (as transformers does: normal(0, initializer_range), zero biases, unit norms).
    static std::shared_ptr<LanguageModel> create(const io::ModelConfig& config, uint64_t seed);

    // Throws emo::Error(BadInput) naming the config field this engine cannot run (family, activation).
    static void checkSupported(const io::ModelConfig& config);

    // Loads config.json and the weights (model.safetensors, pytorch_model.bin, or either's sharded index;
    // see CheckpointStorage) from an HF folder,
    // converting F16/BF16/F32 storage to `computeType` on `device`. Unknown architecture, missing, extra
    // or mis-shaped tensors throw emo::Error(BadInput) naming the tensor and the expected shape.
    static std::shared_ptr<LanguageModel> load(const std::string& folder, torch::Device device = torch::kCPU,
                                               torch::ScalarType computeType = torch::kFloat32,
                                               const ProgressCallback& progress = {});
    // The same from a config and weight files already open (loadModelFolder reads them once).
    static std::shared_ptr<LanguageModel> load(const io::ModelConfig& config, const CheckpointStorage& storage,
                                               torch::Device device = torch::kCPU,
                                               torch::ScalarType computeType = torch::kFloat32,
                                               const ProgressCallback& progress = {});

    // Writes config.json and model.safetensors (HF names; transformers loads them) atomically.
    void save(const std::string& folder, torch::ScalarType storageType = torch::kFloat32) const;

    const io::ModelConfig& config() const;

    // ids [B,T] int64 → final hidden states [B,T,D] (after the final norm). With a cache, positions continue
    // after the cached ones and the cache grows by T. attentionMask [B, past+T] (1 = token, 0 = padding) is
    // optional; left-padded rows get positions counted from their first real token, as transformers does.
    torch::Tensor hiddenStates(const torch::Tensor& ids, KVCache* cache = nullptr,
                               const torch::Tensor& attentionMask = {});

    // ids [B,T] → logits [B,T,V] (= hiddenStates · lmHeadᵀ).
    torch::Tensor forward(const torch::Tensor& ids, KVCache* cache = nullptr, const torch::Tensor& attentionMask = {});

    torch::Tensor lmHeadWeight() const;  // [V,D]; the token embedding when tied
    int64_t parameterCount() const;      // tied weights counted once
    torch::Device device() const;

    // Parameters under their Hugging Face names (tied head omitted when tied, as transformers saves it).
    std::vector<std::pair<std::string, torch::Tensor>> namedHfTensors() const;

    struct Impl;

protected:
    explicit LanguageModel(const io::ModelConfig& config);

private:
    std::shared_ptr<Impl> m_impl;
};

} // namespace emo::model
