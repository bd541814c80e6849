#include "model/architecture.h"

#include "util/error.h"

namespace emo::model {

namespace {

using R = TensorRole;
using D = Dim;
using I = Init;

// GPT2LMHeadModel: Conv1D weights are stored [in, out]; saved under "transformer." (GPT2Model: no prefix).
const Architecture kGpt2{
    "gpt2",
    "GPT2LMHeadModel",
    {"transformer.", ""},
    {
        {"wte.weight", R::TokenEmbedding, {D::Vocab, D::Hidden}, I::Normal},
        {"wpe.weight", R::PositionEmbedding, {D::Positions, D::Hidden}, I::Normal},
        {"ln_f.weight", R::FinalNormWeight, {D::Hidden}, I::Ones},
        {"ln_f.bias", R::FinalNormBias, {D::Hidden}, I::Zeros},
    },
    {
        {"h.{layer}.ln_1.weight", R::AttnNormWeight, {D::Hidden}, I::Ones},
        {"h.{layer}.ln_1.bias", R::AttnNormBias, {D::Hidden}, I::Zeros},
        {"h.{layer}.attn.c_attn.weight", R::QkvWeight, {D::Hidden, D::FusedQkv}, I::Normal},
        {"h.{layer}.attn.c_attn.bias", R::QkvBias, {D::FusedQkv}, I::Zeros},
        {"h.{layer}.attn.c_proj.weight", R::AttnOutWeight, {D::Hidden, D::Hidden}, I::NormalResidual},
        {"h.{layer}.attn.c_proj.bias", R::AttnOutBias, {D::Hidden}, I::Zeros},
        {"h.{layer}.ln_2.weight", R::MlpNormWeight, {D::Hidden}, I::Ones},
        {"h.{layer}.ln_2.bias", R::MlpNormBias, {D::Hidden}, I::Zeros},
        {"h.{layer}.mlp.c_fc.weight", R::MlpUpWeight, {D::Hidden, D::Inner}, I::Normal},
        {"h.{layer}.mlp.c_fc.bias", R::MlpUpBias, {D::Inner}, I::Zeros},
        {"h.{layer}.mlp.c_proj.weight", R::MlpDownWeight, {D::Inner, D::Hidden}, I::NormalResidual},
        {"h.{layer}.mlp.c_proj.bias", R::MlpDownBias, {D::Hidden}, I::Zeros},
    },
    {"lm_head.weight", R::LmHead, {D::Vocab, D::Hidden}, I::Normal},
    {"h.{layer}.attn.bias", "h.{layer}.attn.masked_bias"},
    "n_positions",
};

// LlamaForCausalLM: nn.Linear weights are stored [out, in]; saved under "model." (LlamaModel: no prefix).
const Architecture kLlama{
    "llama",
    "LlamaForCausalLM",
    {"model.", ""},
    {
        {"embed_tokens.weight", R::TokenEmbedding, {D::Vocab, D::Hidden}, I::Normal},
        {"norm.weight", R::FinalNormWeight, {D::Hidden}, I::Ones},
    },
    {
        {"layers.{layer}.input_layernorm.weight", R::AttnNormWeight, {D::Hidden}, I::Ones},
        {"layers.{layer}.self_attn.q_proj.weight", R::QueryWeight, {D::Hidden, D::Hidden}, I::Normal},
        {"layers.{layer}.self_attn.k_proj.weight", R::KeyWeight, {D::KeyValue, D::Hidden}, I::Normal},
        {"layers.{layer}.self_attn.v_proj.weight", R::ValueWeight, {D::KeyValue, D::Hidden}, I::Normal},
        {"layers.{layer}.self_attn.o_proj.weight", R::AttnOutWeight, {D::Hidden, D::Hidden}, I::Normal},
        {"layers.{layer}.post_attention_layernorm.weight", R::MlpNormWeight, {D::Hidden}, I::Ones},
        {"layers.{layer}.mlp.gate_proj.weight", R::MlpGateWeight, {D::Inner, D::Hidden}, I::Normal},
        {"layers.{layer}.mlp.up_proj.weight", R::MlpUpWeight, {D::Inner, D::Hidden}, I::Normal},
        {"layers.{layer}.mlp.down_proj.weight", R::MlpDownWeight, {D::Hidden, D::Inner}, I::Normal},
    },
    {"lm_head.weight", R::LmHead, {D::Vocab, D::Hidden}, I::Normal},
    {"layers.{layer}.self_attn.rotary_emb.inv_freq"},
};

// OPTForCausalLM: nn.Linear weights [out, in] with biases; saved under "model.decoder." (OPTModel:
// "decoder."). The head is always tied to embed_tokens, which is word_embed_proj_dim wide.
const Architecture kOpt{
    "opt",
    "OPTForCausalLM",
    {"model.decoder.", "decoder."},
    {
        {"embed_tokens.weight", R::TokenEmbedding, {D::Vocab, D::EmbedProj}, I::Normal},
        {"embed_positions.weight", R::PositionEmbedding, {D::OffsetPositions, D::Hidden}, I::Normal},
        {"final_layer_norm.weight", R::FinalNormWeight, {D::Hidden}, I::Ones, Presence::FinalLayerNorm},
        {"final_layer_norm.bias", R::FinalNormBias, {D::Hidden}, I::Zeros, Presence::FinalLayerNorm},
        {"project_in.weight", R::ProjectInWeight, {D::Hidden, D::EmbedProj}, I::Normal, Presence::EmbedProjected},
        {"project_out.weight", R::ProjectOutWeight, {D::EmbedProj, D::Hidden}, I::Normal, Presence::EmbedProjected},
    },
    {
        {"layers.{layer}.self_attn.k_proj.weight", R::KeyWeight, {D::Hidden, D::Hidden}, I::Normal},
        {"layers.{layer}.self_attn.k_proj.bias", R::KeyBias, {D::Hidden}, I::Zeros},
        {"layers.{layer}.self_attn.v_proj.weight", R::ValueWeight, {D::Hidden, D::Hidden}, I::Normal},
        {"layers.{layer}.self_attn.v_proj.bias", R::ValueBias, {D::Hidden}, I::Zeros},
        {"layers.{layer}.self_attn.q_proj.weight", R::QueryWeight, {D::Hidden, D::Hidden}, I::Normal},
        {"layers.{layer}.self_attn.q_proj.bias", R::QueryBias, {D::Hidden}, I::Zeros},
        {"layers.{layer}.self_attn.out_proj.weight", R::AttnOutWeight, {D::Hidden, D::Hidden}, I::Normal},
        {"layers.{layer}.self_attn.out_proj.bias", R::AttnOutBias, {D::Hidden}, I::Zeros},
        {"layers.{layer}.self_attn_layer_norm.weight", R::AttnNormWeight, {D::Hidden}, I::Ones},
        {"layers.{layer}.self_attn_layer_norm.bias", R::AttnNormBias, {D::Hidden}, I::Zeros},
        {"layers.{layer}.fc1.weight", R::MlpUpWeight, {D::Inner, D::Hidden}, I::Normal},
        {"layers.{layer}.fc1.bias", R::MlpUpBias, {D::Inner}, I::Zeros},
        {"layers.{layer}.fc2.weight", R::MlpDownWeight, {D::Hidden, D::Inner}, I::Normal},
        {"layers.{layer}.fc2.bias", R::MlpDownBias, {D::Hidden}, I::Zeros},
        {"layers.{layer}.final_layer_norm.weight", R::MlpNormWeight, {D::Hidden}, I::Ones},
        {"layers.{layer}.final_layer_norm.bias", R::MlpNormBias, {D::Hidden}, I::Zeros},
    },
    {"lm_head.weight", R::LmHead, {D::Vocab, D::EmbedProj}, I::Normal},
    {},
    "max_position_embeddings",
};

} // namespace

const Architecture& architectureFor(const io::ModelConfig& config)
{
    if (config.modelType == kGpt2.modelType)
        return kGpt2;
    if (config.modelType == kLlama.modelType)
        return kLlama;
    if (config.modelType == kOpt.modelType)
        return kOpt;
    throw Error::badInput("unknown model_type '" + config.modelType + "' (supported: gpt2, llama, opt)");
}

int64_t resolveDim(Dim dim, const io::ModelConfig& config)
{
    switch (dim) {
    case Dim::Vocab: return config.vocabSize;
    case Dim::Hidden: return config.hiddenSize;
    case Dim::Inner: return config.intermediateSize;
    case Dim::Positions: return config.maxPositions;
    case Dim::FusedQkv: return 3 * config.hiddenSize;
    case Dim::KeyValue: return config.numKeyValueHeads * config.headDim();
    case Dim::EmbedProj: return config.embedProjDim > 0 ? config.embedProjDim : config.hiddenSize;
    case Dim::OffsetPositions: return config.maxPositions + 2;
    }
    return 0;
}

const char* learnedPositionsField(const io::ModelConfig& config)
{
    return architectureFor(config).learnedPositionsField;
}

bool isPresent(const TensorSpec& spec, const io::ModelConfig& config)
{
    switch (spec.presence) {
    case Presence::Always: return true;
    case Presence::EmbedProjected: return resolveDim(Dim::EmbedProj, config) != config.hiddenSize;
    case Presence::FinalLayerNorm: return config.finalLayerNorm;
    }
    return true;
}

std::vector<int64_t> expectedShape(const TensorSpec& spec, const io::ModelConfig& config)
{
    std::vector<int64_t> shape;
    for (Dim dim : spec.shape)
        shape.push_back(resolveDim(dim, config));
    return shape;
}

std::string layerName(const char* pattern, int64_t layer)
{
    std::string name = pattern;
    const auto at = name.find("{layer}");
    if (at != std::string::npos)
        name.replace(at, 7, std::to_string(layer));
    return name;
}

std::string shapeString(const std::vector<int64_t>& shape)
{
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        out += (i ? ", " : "") + std::to_string(shape[i]);
    return out + "]";
}

std::vector<std::pair<std::string, std::vector<int64_t>>> hfTensorShapes(const io::ModelConfig& config)
{
    const Architecture& arch = architectureFor(config);
    const std::string prefix = arch.prefixes.front();
    std::vector<std::pair<std::string, std::vector<int64_t>>> out;
    for (const TensorSpec& spec : arch.globals)
        if (isPresent(spec, config))
            out.emplace_back(prefix + spec.name, expectedShape(spec, config));
    for (int64_t layer = 0; layer < config.numLayers; ++layer)
        for (const TensorSpec& spec : arch.layers)
            if (isPresent(spec, config))
                out.emplace_back(prefix + layerName(spec.name, layer), expectedShape(spec, config));
    if (!config.tieWordEmbeddings)
        out.emplace_back(arch.head.name, expectedShape(arch.head, config));
    return out;
}

} // namespace emo::model
