#pragma once
#include "io/model_config.h"

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

namespace emo::model {
class LanguageModel;
}

namespace emo::test {

// Shapes of the tiny models tests use (defaults: vocab 300, d 32, 2 layers, 4 heads, 2 kv heads for llama).
struct TinyModelOptions {
    int64_t tokenizerMerges = 43;  // vocabulary = 257 + merges (byte-level BPE of tiny_tokenizer.h; EOS last)
    int64_t vocab = 0;             // 0: 257 + tokenizerMerges; any other size only without the tokenizer
    int64_t eos = -1;              // EOS (and BOS) id; -1: the vocabulary's last id, as in the tiny tokenizer
    int64_t hidden = 32;
    int64_t layers = 2;
    int64_t heads = 4;
    int64_t kvHeads = 2;           // llama only
    int64_t intermediate = 64;     // llama; gpt2 uses 4 × hidden
    int64_t positions = 128;
    double weightScale = 1.0;      // multiplies every weight matrix after the random init (> 1: peaked outputs)
    bool writeTokenizer = true;
    torch::ScalarType storageType = torch::kFloat32;
};

// The config writeTinyModel saves, for tests that want to create a model without writing it.
io::ModelConfig tinyModelConfig(const std::string& arch /*"gpt2"|"llama"*/, bool tied,
                                const TinyModelOptions& options = {});

// LanguageModel::create(tinyModelConfig(arch, tied, options), seed), weights scaled by options.weightScale;
// in memory only (no tokenizer).
std::shared_ptr<model::LanguageModel> createTinyModel(const std::string& arch /*"gpt2"|"llama"*/, bool tied,
                                                      uint64_t seed, const TinyModelOptions& options = {});

// Creates the model of createTinyModel, saves config.json + model.safetensors into `folder` (created if
// missing) and the byte-level BPE tokenizer of tiny_tokenizer.h next to it. Returns `folder`.
std::string writeTinyModel(const std::string& folder, const std::string& arch /*"gpt2"|"llama"*/, bool tied,
                           uint64_t seed, const TinyModelOptions& options = {});

// A LLaMA-7B folder (config.json, model.safetensors with the real header in F16 and a sparse data section:
// 13.5 GB on paper, a few KB on disk) for tests that a folder is described without reading its weights.
// No tokenizer. Returns `folder`.
std::string writeSparseLlama7b(const std::string& folder);

} // namespace emo::test
