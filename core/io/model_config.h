#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace emo::io {

// The fields of a Hugging Face config.json that the engine uses, for model_type "gpt2", "llama" and "opt",
// read under the names transformers writes (gpt2: n_embd, n_layer, n_head, n_positions, n_inner,
// layer_norm_epsilon, activation_function; llama: hidden_size, num_hidden_layers, num_attention_heads,
// num_key_value_heads, intermediate_size, max_position_embeddings, rms_norm_eps, rope_theta,
// tie_word_embeddings, hidden_act; opt: hidden_size, num_hidden_layers, num_attention_heads, ffn_dim,
// max_position_embeddings, activation_function, do_layer_norm_before, word_embed_proj_dim,
// _remove_final_layer_norm). `raw` keeps the whole document so that saving loses nothing.
struct ModelConfig {
    std::string modelType;       // "gpt2" | "llama" | "opt"
    int64_t vocabSize = 0;
    int64_t hiddenSize = 0;
    int64_t numLayers = 0;
    int64_t numHeads = 0;
    int64_t numKeyValueHeads = 0;  // == numHeads for gpt2
    int64_t intermediateSize = 0;  // gpt2: n_inner or 4 × hidden
    int64_t maxPositions = 0;
    double normEps = 1e-5;
    double ropeTheta = 10000.0;
    bool tieWordEmbeddings = true;
    std::string activation;        // "gelu_new" (gpt2), "silu" (llama), "relu" (opt)
    // OPT: embeddings of embedProjDim projected in to hiddenSize and out again when they differ
    // (project_in / project_out); layer norms before (pre-LN) or after each block; a final layer norm
    // only for pre-LN models that keep it.
    int64_t embedProjDim = 0;      // word_embed_proj_dim; == hiddenSize for gpt2 and llama
    bool layerNormBefore = true;   // do_layer_norm_before
    bool finalLayerNorm = true;    // do_layer_norm_before and not _remove_final_layer_norm
    int64_t bosTokenId = -1;
    int64_t eosTokenId = -1;
    int64_t padTokenId = -1;
    std::string torchDtype;        // as written ("float32", "bfloat16", ...), may be empty
    nlohmann::json raw;

    int64_t headDim() const { return hiddenSize / numHeads; }

    // Throws emo::Error(BadInput) naming `source` (the file) and the missing or invalid field.
    static ModelConfig fromJson(const nlohmann::json& json, const std::string& source = "config.json");
    static ModelConfig load(const std::string& path);
    nlohmann::json toJson() const;          // raw, with the typed fields written back
    void save(const std::string& path) const;  // atomically
};

} // namespace emo::io
