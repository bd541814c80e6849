#include "io/model_config.h"

#include "util/atomic_file.h"
#include "util/error.h"

#include <algorithm>
#include <initializer_list>

namespace emo::io {

namespace {

using nlohmann::json;

// Upper bounds no real model reaches (the largest have ~10^6 vocabulary entries, ~10^5 hidden units, ~10^2
// layers): a config past them is malformed, and believing it would size tables and tensor lists from it.
constexpr int64_t kMaxSize = int64_t(1) << 24;
constexpr int64_t kMaxLayers = 4096;
constexpr double kMaxParameters = 1e13;

// Reads fields of one config document and names the document and the field in every error.
class FieldReader {
public:
    FieldReader(const json& document, const std::string& source, const std::string& modelType)
        : m_document(document), m_source(source), m_modelType(modelType) {}

    bool has(const char* field) const { return m_document.contains(field) && !m_document.at(field).is_null(); }

    [[noreturn]] void fail(const char* field, const std::string& what) const
    {
        throw Error::badInput(m_source + ": field '" + field + "' " + what + " (model_type " + m_modelType + ")");
    }

    int64_t requiredInt(const char* field, int64_t minimum = 1, int64_t maximum = kMaxSize) const
    {
        if (!has(field))
            fail(field, "is missing");
        return checkedInt(field, minimum, maximum);
    }

    int64_t optionalInt(const char* field, int64_t fallback, int64_t minimum = 1, int64_t maximum = kMaxSize) const
    {
        return has(field) ? checkedInt(field, minimum, maximum) : fallback;
    }

    double optionalPositiveNumber(const char* field, double fallback) const
    {
        if (!has(field))
            return fallback;
        const json& value = m_document.at(field);
        if (!value.is_number() || !(value.get<double>() > 0.0))
            fail(field, "must be a positive number, found " + value.dump());
        return value.get<double>();
    }

    bool optionalBool(const char* field, bool fallback) const
    {
        if (!has(field))
            return fallback;
        const json& value = m_document.at(field);
        if (!value.is_boolean())
            fail(field, "must be true or false, found " + value.dump());
        return value.get<bool>();
    }

    std::string optionalString(const char* field, const std::string& fallback) const
    {
        if (!has(field))
            return fallback;
        const json& value = m_document.at(field);
        if (!value.is_string())
            fail(field, "must be a string, found " + value.dump());
        return value.get<std::string>();
    }

    // Token ids may be null, an integer or (newer LLaMA configs) a list whose first entry is used.
    int64_t optionalTokenId(const char* field) const
    {
        if (!has(field))
            return -1;
        const json& value = m_document.at(field);
        const json& first = value.is_array() && !value.empty() ? value.front() : value;
        if (!first.is_number_integer() || first.get<int64_t>() < 0)
            fail(field, "must be a non-negative integer, found " + value.dump());
        return first.get<int64_t>();
    }

private:
    int64_t checkedInt(const char* field, int64_t minimum, int64_t maximum) const
    {
        const json& value = m_document.at(field);
        const bool tooLarge = value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(maximum);
        if (!value.is_number_integer() || tooLarge || value.get<int64_t>() < minimum || value.get<int64_t>() > maximum)
            fail(field, "must be an integer in [" + std::to_string(minimum) + ", " + std::to_string(maximum) +
                            "], found " + value.dump());
        return value.get<int64_t>();
    }

    const json& m_document;
    const std::string& m_source;
    const std::string& m_modelType;
};

// What each family calls the sizes every decoder has.
struct SizeFields {
    const char* hidden;
    const char* layers;
    const char* heads;
    const char* positions;
};
constexpr SizeFields kGpt2Sizes{"n_embd", "n_layer", "n_head", "n_positions"};
constexpr SizeFields kHiddenSizes{"hidden_size", "num_hidden_layers", "num_attention_heads", "max_position_embeddings"};

void readSizes(ModelConfig& config, const FieldReader& read, const SizeFields& fields)
{
    config.vocabSize = read.requiredInt("vocab_size");
    config.hiddenSize = read.requiredInt(fields.hidden);
    config.numLayers = read.requiredInt(fields.layers, 1, kMaxLayers);
    config.numHeads = read.requiredInt(fields.heads);
    config.numKeyValueHeads = config.numHeads;
    config.maxPositions = read.requiredInt(fields.positions);
}

void writeSizes(json& out, const ModelConfig& config, const SizeFields& fields)
{
    out[fields.hidden] = config.hiddenSize;
    out[fields.layers] = config.numLayers;
    out[fields.heads] = config.numHeads;
    out[fields.positions] = config.maxPositions;
}

void readSpecialTokens(ModelConfig& config, const FieldReader& read)
{
    config.bosTokenId = read.optionalTokenId("bos_token_id");
    config.eosTokenId = read.optionalTokenId("eos_token_id");
    config.padTokenId = read.optionalTokenId("pad_token_id");
}

// activation_function, one of the activations the family's MLP is known to use here.
void readActivation(ModelConfig& config, const FieldReader& read, const char* fallback,
                    std::initializer_list<const char*> known)
{
    config.activation = read.optionalString("activation_function", fallback);
    if (std::find(known.begin(), known.end(), config.activation) == known.end())
        read.fail("activation_function", "has unsupported value '" + config.activation + "'");
}

void readGpt2(ModelConfig& config, const FieldReader& read)
{
    readSizes(config, read, kGpt2Sizes);
    config.intermediateSize = read.optionalInt("n_inner", 4 * config.hiddenSize);
    config.normEps = read.optionalPositiveNumber("layer_norm_epsilon", 1e-5);
    readActivation(config, read, "gelu_new", {"gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu", "relu", "silu", "swish"});
    config.tieWordEmbeddings = read.optionalBool("tie_word_embeddings", true);
    readSpecialTokens(config, read);

    // Variants the engine does not implement: refuse them rather than compute something else.
    if (!read.optionalBool("scale_attn_weights", true))
        read.fail("scale_attn_weights", "is not supported (attention scaled by 1/sqrt(head_dim) only)");
    if (read.optionalBool("scale_attn_by_inverse_layer_idx", false))
        read.fail("scale_attn_by_inverse_layer_idx", "is not supported (no per-layer attention scaling)");
    if (read.optionalBool("add_cross_attention", false))
        read.fail("add_cross_attention", "is not supported (decoder-only models without cross-attention)");
}

void readLlama(ModelConfig& config, const FieldReader& read)
{
    readSizes(config, read, kHiddenSizes);
    config.numKeyValueHeads = read.optionalInt("num_key_value_heads", config.numHeads);
    config.intermediateSize = read.requiredInt("intermediate_size");
    config.normEps = read.optionalPositiveNumber("rms_norm_eps", 1e-6);
    config.ropeTheta = read.optionalPositiveNumber("rope_theta", 10000.0);
    config.tieWordEmbeddings = read.optionalBool("tie_word_embeddings", false);
    config.activation = read.optionalString("hidden_act", "silu");
    if (config.activation != "silu" && config.activation != "swish")
        read.fail("hidden_act", "has unsupported value '" + config.activation + "' (SwiGLU needs silu)");
    readSpecialTokens(config, read);

    // Variants the engine does not implement: refuse them rather than compute something else.
    if (read.has("rope_scaling"))
        read.fail("rope_scaling", "is not supported (only plain rotary embeddings)");
    if (read.optionalBool("attention_bias", false))
        read.fail("attention_bias", "is not supported (LLaMA projections without bias only)");
    if (read.optionalBool("mlp_bias", false))
        read.fail("mlp_bias", "is not supported (LLaMA projections without bias only)");
    if (read.has("head_dim") && config.hiddenSize % config.numHeads == 0
        && read.requiredInt("head_dim") != config.hiddenSize / config.numHeads)
        read.fail("head_dim", "must equal hidden_size / num_attention_heads");
    if (config.numHeads % config.numKeyValueHeads != 0)
        read.fail("num_key_value_heads", "must divide num_attention_heads (" + std::to_string(config.numHeads) + ")");
    if (config.hiddenSize % config.numHeads == 0 && (config.hiddenSize / config.numHeads) % 2 != 0)
        read.fail("num_attention_heads", "must give an even head dimension for rotary embeddings");
}

void readOpt(ModelConfig& config, const FieldReader& read)
{
    readSizes(config, read, kHiddenSizes);
    config.intermediateSize = read.requiredInt("ffn_dim");
    config.normEps = 1e-5;  // OPT's nn.LayerNorm default; its configs have no eps field
    readActivation(config, read, "relu", {"relu", "gelu", "gelu_new", "silu", "swish"});
    config.embedProjDim = read.optionalInt("word_embed_proj_dim", config.hiddenSize);
    config.layerNormBefore = read.optionalBool("do_layer_norm_before", true);
    config.finalLayerNorm = config.layerNormBefore && !read.optionalBool("_remove_final_layer_norm", false);
    config.tieWordEmbeddings = read.optionalBool("tie_word_embeddings", true);
    readSpecialTokens(config, read);

    // Variants the engine does not implement: refuse them rather than compute something else.
    if (!read.optionalBool("enable_bias", true))
        read.fail("enable_bias", "is not supported (OPT projections with bias only)");
    if (!read.optionalBool("layer_norm_elementwise_affine", true))
        read.fail("layer_norm_elementwise_affine", "is not supported (layer norms with weight and bias only)");
    if (!config.tieWordEmbeddings)
        read.fail("tie_word_embeddings", "is not supported for opt (its head is the token embedding)");
}

json tokenIdOrNull(int64_t id) { return id >= 0 ? json(id) : json(nullptr); }

// Writes a token id back, keeping a list as written (newer LLaMA configs list several EOS ids) when its
// first entry is still the id the engine uses.
void writeTokenId(json& out, const char* field, int64_t id)
{
    if (out.contains(field) && out.at(field).is_array() && !out.at(field).empty() && out.at(field).front() == json(id))
        return;
    out[field] = tokenIdOrNull(id);
}

} // namespace

ModelConfig ModelConfig::fromJson(const json& document, const std::string& source)
{
    if (!document.is_object())
        throw Error::badInput(source + ": not a JSON object");
    if (!document.contains("model_type") || !document.at("model_type").is_string())
        throw Error::badInput(source + ": field 'model_type' is missing (expected \"gpt2\", \"llama\" or \"opt\")");

    ModelConfig config;
    config.modelType = document.at("model_type").get<std::string>();
    const FieldReader read(document, source, config.modelType);
    if (config.modelType == "gpt2")
        readGpt2(config, read);
    else if (config.modelType == "llama")
        readLlama(config, read);
    else if (config.modelType == "opt")
        readOpt(config, read);
    else
        throw Error::badInput(source + ": unknown model_type '" + config.modelType
                              + "' (supported: gpt2, llama, opt)");
    if (config.embedProjDim == 0)
        config.embedProjDim = config.hiddenSize;

    if (config.hiddenSize % config.numHeads != 0)
        read.fail(config.modelType == "gpt2" ? "n_head" : "num_attention_heads",
                  "must divide the hidden size (" + std::to_string(config.hiddenSize) + ")");
    // Each field within its bound can still multiply into an impossible model (and tensor sizes that overflow).
    const double h = double(config.hiddenSize), parameters =
        double(config.numLayers) * (4.0 * h * h + 3.0 * h * double(config.intermediateSize)) +
        (double(config.vocabSize) + double(config.maxPositions)) * h;
    if (parameters > kMaxParameters)
        throw Error::badInput(source + ": these sizes describe about " + std::to_string(parameters) +
                              " parameters, more than any model (1e13); a field is wrong (model_type " +
                              config.modelType + ")");
    config.torchDtype = read.optionalString("torch_dtype", "");
    config.raw = document;
    return config;
}

ModelConfig ModelConfig::load(const std::string& path)
{
    const std::string text = util::readTextFile(path);
    json document;
    try {
        document = json::parse(text);
    } catch (const json::parse_error& error) {
        throw Error::badInput(path + ": invalid JSON: " + error.what());
    }
    return fromJson(document, path);
}

json ModelConfig::toJson() const
{
    json out = raw.is_object() ? raw : json::object();
    out["model_type"] = modelType;
    out["vocab_size"] = vocabSize;
    out["tie_word_embeddings"] = tieWordEmbeddings;
    writeTokenId(out, "bos_token_id", bosTokenId);
    writeTokenId(out, "eos_token_id", eosTokenId);
    if (padTokenId >= 0 || out.contains("pad_token_id"))
        writeTokenId(out, "pad_token_id", padTokenId);
    if (!torchDtype.empty())
        out["torch_dtype"] = torchDtype;
    if (modelType == "gpt2") {
        out["architectures"] = json::array({"GPT2LMHeadModel"});
        writeSizes(out, *this, kGpt2Sizes);
        out["n_inner"] = intermediateSize == 4 * hiddenSize ? json(nullptr) : json(intermediateSize);
        out["layer_norm_epsilon"] = normEps;
        out["activation_function"] = activation.empty() ? "gelu_new" : activation;
        if (!out.contains("n_ctx"))
            out["n_ctx"] = maxPositions;
    } else if (modelType == "llama") {
        out["architectures"] = json::array({"LlamaForCausalLM"});
        writeSizes(out, *this, kHiddenSizes);
        out["num_key_value_heads"] = numKeyValueHeads;
        out["intermediate_size"] = intermediateSize;
        out["rms_norm_eps"] = normEps;
        out["rope_theta"] = ropeTheta;
        out["hidden_act"] = activation.empty() ? "silu" : activation;
    } else if (modelType == "opt") {
        out["architectures"] = json::array({"OPTForCausalLM"});
        writeSizes(out, *this, kHiddenSizes);
        out["ffn_dim"] = intermediateSize;
        out["activation_function"] = activation.empty() ? "relu" : activation;
        out["word_embed_proj_dim"] = embedProjDim;
        out["do_layer_norm_before"] = layerNormBefore;
        out["_remove_final_layer_norm"] = layerNormBefore && !finalLayerNorm;
    }
    return out;
}

void ModelConfig::save(const std::string& path) const
{
    util::writeTextFileAtomically(path, toJson().dump(2) + "\n");
}

} // namespace emo::io
