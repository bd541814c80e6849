#include "io/model_config.h"

#include "util/atomic_file.h"
#include "util/error.h"

#include <algorithm>
#include <iterator>

namespace emo::io {

namespace {

using nlohmann::json;

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

    int64_t requiredInt(const char* field, int64_t minimum = 1) const
    {
        if (!has(field))
            fail(field, "is missing");
        return checkedInt(field, minimum);
    }

    int64_t optionalInt(const char* field, int64_t fallback, int64_t minimum = 1) const
    {
        return has(field) ? checkedInt(field, minimum) : fallback;
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
    int64_t checkedInt(const char* field, int64_t minimum) const
    {
        const json& value = m_document.at(field);
        if (!value.is_number_integer() || value.get<int64_t>() < minimum)
            fail(field, "must be an integer >= " + std::to_string(minimum) + ", found " + value.dump());
        return value.get<int64_t>();
    }

    const json& m_document;
    const std::string& m_source;
    const std::string& m_modelType;
};

void readGpt2(ModelConfig& config, const FieldReader& read)
{
    config.vocabSize = read.requiredInt("vocab_size");
    config.hiddenSize = read.requiredInt("n_embd");
    config.numLayers = read.requiredInt("n_layer");
    config.numHeads = read.requiredInt("n_head");
    config.numKeyValueHeads = config.numHeads;
    config.maxPositions = read.requiredInt("n_positions");
    config.intermediateSize = read.optionalInt("n_inner", 4 * config.hiddenSize);
    config.normEps = read.optionalPositiveNumber("layer_norm_epsilon", 1e-5);
    config.activation = read.optionalString("activation_function", "gelu_new");
    static const char* const known[] = {"gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu", "relu", "silu", "swish"};
    if (std::find(std::begin(known), std::end(known), config.activation) == std::end(known))
        read.fail("activation_function", "has unsupported value '" + config.activation + "'");
    config.tieWordEmbeddings = read.optionalBool("tie_word_embeddings", true);
    config.bosTokenId = read.optionalTokenId("bos_token_id");
    config.eosTokenId = read.optionalTokenId("eos_token_id");
    config.padTokenId = read.optionalTokenId("pad_token_id");
}

void readLlama(ModelConfig& config, const FieldReader& read)
{
    config.vocabSize = read.requiredInt("vocab_size");
    config.hiddenSize = read.requiredInt("hidden_size");
    config.numLayers = read.requiredInt("num_hidden_layers");
    config.numHeads = read.requiredInt("num_attention_heads");
    config.numKeyValueHeads = read.optionalInt("num_key_value_heads", config.numHeads);
    config.intermediateSize = read.requiredInt("intermediate_size");
    config.maxPositions = read.requiredInt("max_position_embeddings");
    config.normEps = read.optionalPositiveNumber("rms_norm_eps", 1e-6);
    config.ropeTheta = read.optionalPositiveNumber("rope_theta", 10000.0);
    config.tieWordEmbeddings = read.optionalBool("tie_word_embeddings", false);
    config.activation = read.optionalString("hidden_act", "silu");
    if (config.activation != "silu" && config.activation != "swish")
        read.fail("hidden_act", "has unsupported value '" + config.activation + "' (SwiGLU needs silu)");
    config.bosTokenId = read.optionalTokenId("bos_token_id");
    config.eosTokenId = read.optionalTokenId("eos_token_id");
    config.padTokenId = read.optionalTokenId("pad_token_id");

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
        throw Error::badInput(source + ": field 'model_type' is missing (expected \"gpt2\" or \"llama\")");

    ModelConfig config;
    config.modelType = document.at("model_type").get<std::string>();
    const FieldReader read(document, source, config.modelType);
    if (config.modelType == "gpt2")
        readGpt2(config, read);
    else if (config.modelType == "llama")
        readLlama(config, read);
    else
        throw Error::badInput(source + ": unknown model_type '" + config.modelType
                              + "' (supported: gpt2, llama)");

    if (config.hiddenSize % config.numHeads != 0)
        read.fail(config.modelType == "gpt2" ? "n_head" : "num_attention_heads",
                  "must divide the hidden size (" + std::to_string(config.hiddenSize) + ")");
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
        out["n_embd"] = hiddenSize;
        out["n_layer"] = numLayers;
        out["n_head"] = numHeads;
        out["n_positions"] = maxPositions;
        out["n_inner"] = intermediateSize == 4 * hiddenSize ? json(nullptr) : json(intermediateSize);
        out["layer_norm_epsilon"] = normEps;
        out["activation_function"] = activation.empty() ? "gelu_new" : activation;
        if (!out.contains("n_ctx"))
            out["n_ctx"] = maxPositions;
    } else if (modelType == "llama") {
        out["architectures"] = json::array({"LlamaForCausalLM"});
        out["hidden_size"] = hiddenSize;
        out["num_hidden_layers"] = numLayers;
        out["num_attention_heads"] = numHeads;
        out["num_key_value_heads"] = numKeyValueHeads;
        out["intermediate_size"] = intermediateSize;
        out["max_position_embeddings"] = maxPositions;
        out["rms_norm_eps"] = normEps;
        out["rope_theta"] = ropeTheta;
        out["hidden_act"] = activation.empty() ? "silu" : activation;
    }
    return out;
}

void ModelConfig::save(const std::string& path) const
{
    util::writeTextFileAtomically(path, toJson().dump(2) + "\n");
}

} // namespace emo::io
