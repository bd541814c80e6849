#pragma once
#include "io/model_config.h"

#include <cstdint>
#include <string>
#include <vector>

namespace emo::model {

// What a parameter is for; the forward pass looks tensors up by role, never by name.
enum class TensorRole {
    TokenEmbedding, PositionEmbedding, FinalNormWeight, FinalNormBias, LmHead,
    AttnNormWeight, AttnNormBias,
    QkvWeight, QkvBias,                      // GPT-2's fused Conv1D c_attn
    QueryWeight, KeyWeight, ValueWeight,     // LLaMA's and OPT's separate projections
    QueryBias, KeyBias, ValueBias,           // OPT's
    ProjectInWeight, ProjectOutWeight,       // OPT's embedding projections (word_embed_proj_dim ≠ hidden)
    AttnOutWeight, AttnOutBias,
    MlpNormWeight, MlpNormBias,
    MlpUpWeight, MlpUpBias, MlpGateWeight, MlpDownWeight, MlpDownBias,
    Count
};
constexpr int kTensorRoleCount = static_cast<int>(TensorRole::Count);

// Symbols shapes are written in, resolved against a config.
enum class Dim {
    Vocab, Hidden, Inner, Positions, FusedQkv /* 3·hidden */, KeyValue /* kvHeads·headDim */,
    EmbedProj /* OPT's word_embed_proj_dim */, OffsetPositions /* positions + 2, OPT's learned offset */
};

// Which configs have a tensor (OPT's optional ones); every other table entry is always there.
enum class Presence { Always, EmbedProjected /* embedProjDim ≠ hidden */, FinalLayerNorm };

// How create() initialises a tensor (as transformers' _init_weights does).
enum class Init { Normal, NormalResidual /* std / sqrt(2·layers), GPT-2's c_proj */, Zeros, Ones };

struct TensorSpec {
    const char* name;  // HF name after the model prefix; "{layer}" stands for the layer index
    TensorRole role;
    std::vector<Dim> shape;
    Init init;
    Presence presence = Presence::Always;
};

// One architecture as data: the tensor-name table that loading, saving, naming and creating share.
struct Architecture {
    const char* modelType;                     // config.json model_type
    const char* hfClass;                       // architectures[0] written on save
    std::vector<std::string> prefixes;         // accepted on load; the first is written on save
    std::vector<TensorSpec> globals;           // under the prefix
    std::vector<TensorSpec> layers;            // under the prefix, once per layer
    TensorSpec head;                           // "lm_head.weight", outside the prefix; only when untied
    std::vector<const char*> ignoredBuffers;   // per-layer non-parameters older checkpoints contain
    const char* learnedPositionsField = nullptr;  // config field bounding a learned position table; null: rotary
};

// The table for config.modelType; throws emo::Error(BadInput) naming an unknown model_type.
const Architecture& architectureFor(const io::ModelConfig& config);

int64_t resolveDim(Dim dim, const io::ModelConfig& config);
bool isPresent(const TensorSpec& spec, const io::ModelConfig& config);

// The config field that bounds the sequence length ("n_positions", "max_position_embeddings") where the
// family learns a table of positions; null where positions are rotary and unbounded by the weights.
const char* learnedPositionsField(const io::ModelConfig& config);
std::vector<int64_t> expectedShape(const TensorSpec& spec, const io::ModelConfig& config);
std::string layerName(const char* pattern, int64_t layer);  // replaces "{layer}"
std::string shapeString(const std::vector<int64_t>& shape);  // "[768, 2304]"

// Every parameter of a model of this config under its HF name as saved (prefix included, tied head
// omitted), with its shape, in table order.
std::vector<std::pair<std::string, std::vector<int64_t>>> hfTensorShapes(const io::ModelConfig& config);

} // namespace emo::model
