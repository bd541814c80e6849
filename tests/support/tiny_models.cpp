#include "support/tiny_models.h"

#include "model/architecture.h"
#include "model/language_model.h"
#include "support/tiny_tokenizer.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace emo::test {

io::ModelConfig tinyModelConfig(const std::string& arch, bool tied, const TinyModelOptions& options)
{
    const int64_t vocab = options.vocab > 0 ? options.vocab : 257 + options.tokenizerMerges;
    const int64_t eos = options.eos >= 0 ? options.eos : vocab - 1;  // "<|endoftext|>" is the tiny tokenizer's last id
    nlohmann::json json;
    if (arch == "gpt2") {
        json = {{"model_type", "gpt2"}, {"vocab_size", vocab}, {"n_embd", options.hidden},
                {"n_layer", options.layers}, {"n_head", options.heads}, {"n_positions", options.positions},
                {"n_inner", nullptr}, {"layer_norm_epsilon", 1e-5}, {"activation_function", "gelu_new"},
                {"bos_token_id", eos}, {"eos_token_id", eos}, {"tie_word_embeddings", tied},
                {"initializer_range", 0.02}};
    } else if (arch == "llama") {
        json = {{"model_type", "llama"}, {"vocab_size", vocab}, {"hidden_size", options.hidden},
                {"num_hidden_layers", options.layers}, {"num_attention_heads", options.heads},
                {"num_key_value_heads", options.kvHeads}, {"intermediate_size", options.intermediate},
                {"max_position_embeddings", options.positions}, {"rms_norm_eps", 1e-6},
                {"rope_theta", 10000.0}, {"hidden_act", "silu"}, {"bos_token_id", eos},
                {"eos_token_id", eos}, {"tie_word_embeddings", tied}, {"initializer_range", 0.02}};
    } else if (arch == "opt") {  // tied is OPT's only head; pre-LN with the final layer norm, as OPT-125M
        json = {{"model_type", "opt"}, {"vocab_size", vocab}, {"hidden_size", options.hidden},
                {"num_hidden_layers", options.layers}, {"num_attention_heads", options.heads},
                {"ffn_dim", options.intermediate}, {"max_position_embeddings", options.positions},
                {"activation_function", "relu"}, {"do_layer_norm_before", true},
                {"word_embed_proj_dim", options.hidden}, {"bos_token_id", eos}, {"eos_token_id", eos},
                {"init_std", 0.02}};
    } else {
        throw std::invalid_argument("tinyModelConfig: arch must be gpt2, llama or opt, not " + arch);
    }
    return io::ModelConfig::fromJson(json, "tiny " + arch + " config");
}

std::shared_ptr<model::LanguageModel> createTinyModel(const std::string& arch, bool tied, uint64_t seed,
                                                      const TinyModelOptions& options)
{
    auto model = model::LanguageModel::create(tinyModelConfig(arch, tied, options), seed);
    if (options.weightScale != 1.0) {
        torch::NoGradGuard noGrad;
        for (auto& p : model->parameters())
            if (p.dim() >= 2)
                p.mul_(options.weightScale);
    }
    return model;
}

std::string writeTinyModel(const std::string& folder, const std::string& arch, bool tied, uint64_t seed,
                           const TinyModelOptions& options)
{
    // The saved tokenizer has 257 + merges ids; a model of another size would not match it.
    if (options.writeTokenizer && options.vocab > 0 && options.vocab != 257 + options.tokenizerMerges)
        throw std::invalid_argument("writeTinyModel: vocab " + std::to_string(options.vocab) + " does not match the "
                                    + "tokenizer's 257 + " + std::to_string(options.tokenizerMerges) + " merges");
    createTinyModel(arch, tied, seed, options)->save(folder, options.storageType);
    if (options.writeTokenizer)
        writeByteLevelBpeTokenizer(folder, options.tokenizerMerges);
    return folder;
}

std::string writeSparseLlama7b(const std::string& folder)
{
    TinyModelOptions options;
    options.vocab = 32000;
    options.hidden = 4096;
    options.layers = 32;
    options.heads = 32;
    options.kvHeads = 32;
    options.intermediate = 11008;
    options.positions = 2048;
    options.writeTokenizer = false;
    const io::ModelConfig config = tinyModelConfig("llama", false, options);
    std::filesystem::create_directories(folder);
    config.save(folder + "/config.json");
    nlohmann::ordered_json header = {{"__metadata__", {{"format", "pt"}}}};
    uint64_t offset = 0;
    for (const auto& [name, shape] : model::hfTensorShapes(config)) {
        uint64_t bytes = 2;
        for (int64_t size : shape)
            bytes *= uint64_t(size);
        header[name] = {{"dtype", "F16"}, {"shape", shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    const std::string path = folder + "/model.safetensors";
    {
        std::ofstream out(path, std::ios::binary);
        const uint64_t size = text.size();
        out.write(reinterpret_cast<const char*>(&size), 8);
        out.write(text.data(), std::streamsize(text.size()));
    }
    std::filesystem::resize_file(path, 8 + text.size() + offset);
    return folder;
}

} // namespace emo::test
