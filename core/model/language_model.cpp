#include "model/language_model.h"

#include "io/safetensors.h"
#include "model/architecture.h"
#include "model/checkpoint_storage.h"
#include "model/transformer_ops.h"
#include "util/atomic_file.h"
#include "util/device.h"
#include "util/error.h"

#include <ATen/CPUGeneratorImpl.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

namespace emo::model {

namespace fs = std::filesystem;

struct LanguageModel::Impl {
    io::ModelConfig config;
    const Architecture* arch = nullptr;
    std::array<torch::Tensor, kTensorRoleCount> globals;
    std::vector<std::array<torch::Tensor, kTensorRoleCount>> layers;
    std::vector<std::pair<std::string, torch::Tensor>> hfTensors;  // save names, table order, tied head omitted

    const torch::Tensor& global(TensorRole role) const { return globals[static_cast<int>(role)]; }
    const torch::Tensor& layer(int64_t index, TensorRole role) const { return layers[index][static_cast<int>(role)]; }
};

namespace {

// Produces the tensor for one table entry: random (create) or read from storage (load).
using TensorSource = std::function<torch::Tensor(const std::string& hfName, const TensorSpec& spec,
                                                 const std::vector<int64_t>& shape)>;

// The weight types a model computes in or is saved as; anything else is refused by name.
torch::ScalarType weightType(torch::ScalarType type)
{
    if (type != torch::kFloat32 && type != torch::kFloat16 && type != torch::kBFloat16)
        throw Error::badInput("model storage type must be float32, float16 or bfloat16, not " + util::dtypeName(type));
    return type;
}

void checkActivation(const io::ModelConfig& config)
{
    const char* field = config.modelType == "llama" ? "hidden_act" : "activation_function";
    if (!ops::isKnownActivation(config.activation))
        throw Error::badInput("config.json: field '" + std::string(field) + "' has unsupported value '"
                              + config.activation + "'");
}

} // namespace

LanguageModel::LanguageModel(const io::ModelConfig& config)
    : m_impl(std::make_shared<Impl>())
{
    checkSupported(config);
    m_impl->config = config;
    m_impl->arch = &architectureFor(config);
}

void LanguageModel::checkSupported(const io::ModelConfig& config)
{
    architectureFor(config);
    checkActivation(config);
    if (config.modelType == "llama" && config.activation != "silu" && config.activation != "swish")
        throw Error::badInput("config.json: field 'hidden_act' must be silu for llama, found '" + config.activation + "'");
}

namespace {

// Builds every parameter of the table from `source` and registers it on the module.
void buildParameters(LanguageModel& model, LanguageModel::Impl& impl, const TensorSource& source)
{
    const Architecture& arch = *impl.arch;
    const io::ModelConfig& config = impl.config;
    const std::string savePrefix = arch.prefixes.front();
    auto add = [&](const std::string& name, const TensorSpec& spec, bool underPrefix) -> torch::Tensor {
        torch::Tensor tensor = source(name, spec, expectedShape(spec, config));
        std::string moduleName = name;  // module parameter names may not contain dots
        std::replace(moduleName.begin(), moduleName.end(), '.', '_');
        tensor = model.register_parameter(moduleName, tensor);
        impl.hfTensors.emplace_back((underPrefix ? savePrefix : std::string()) + name, tensor);
        return tensor;
    };
    for (const TensorSpec& spec : arch.globals)
        if (isPresent(spec, config))
            impl.globals[static_cast<int>(spec.role)] = add(spec.name, spec, true);
    impl.layers.resize(config.numLayers);
    for (int64_t layer = 0; layer < config.numLayers; ++layer)
        for (const TensorSpec& spec : arch.layers)
            if (isPresent(spec, config))
                impl.layers[layer][static_cast<int>(spec.role)] = add(layerName(spec.name, layer), spec, true);
    impl.globals[static_cast<int>(TensorRole::LmHead)] = config.tieWordEmbeddings
        ? impl.global(TensorRole::TokenEmbedding)
        : add(arch.head.name, arch.head, false);
}

} // namespace

std::shared_ptr<LanguageModel> LanguageModel::create(const io::ModelConfig& config, uint64_t seed)
{
    std::shared_ptr<LanguageModel> model(new LanguageModel(config));
    double initStd = 0.02;
    for (const char* field : {"initializer_range", "init_std"})  // OPT names it init_std
        if (config.raw.is_object() && config.raw.contains(field) && config.raw[field].is_number())
            initStd = config.raw[field].get<double>();
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    torch::NoGradGuard noGrad;
    buildParameters(*model, *model->m_impl, [&](const std::string&, const TensorSpec& spec, const std::vector<int64_t>& shape) {
        switch (spec.init) {
        case Init::Zeros: return torch::zeros(shape);
        case Init::Ones: return torch::ones(shape);
        case Init::Normal: return torch::empty(shape).normal_(0.0, initStd, generator);
        case Init::NormalResidual:
            return torch::empty(shape).normal_(0.0, initStd / std::sqrt(2.0 * double(config.numLayers)), generator);
        }
        return torch::Tensor();
    });
    return model;
}

std::shared_ptr<LanguageModel> LanguageModel::load(const std::string& folder, torch::Device device,
                                                   torch::ScalarType computeType, const ProgressCallback& progress)
{
    const io::ModelConfig config = io::ModelConfig::load((fs::path(folder) / "config.json").string());
    return load(config, CheckpointStorage::open(folder), device, computeType, progress);
}

std::shared_ptr<LanguageModel> LanguageModel::load(const io::ModelConfig& config, const CheckpointStorage& storage,
                                                   torch::Device device, torch::ScalarType computeType,
                                                   const ProgressCallback& progress)
{
    weightType(computeType);
    const std::string& folder = storage.folder();
    std::shared_ptr<LanguageModel> model(new LanguageModel(config));
    const std::string prefix = storage.validate(*model->m_impl->arch, config);

    const int64_t total = int64_t(hfTensorShapes(config).size());
    int64_t done = 0;
    torch::NoGradGuard noGrad;
    buildParameters(*model, *model->m_impl, [&](const std::string& name, const TensorSpec&, const std::vector<int64_t>&) {
        const bool isHead = name == model->m_impl->arch->head.name;
        const std::string stored = isHead ? name : prefix + name;
        torch::Tensor tensor = storage.load(stored).to(device, computeType).contiguous();
        if (progress && !progress({"loading", ++done, total}))
            throw Error::cancelled("loading " + folder + " cancelled");
        return tensor;
    });
    return model;
}

void LanguageModel::save(const std::string& folder, torch::ScalarType storageType) const
{
    io::ModelConfig config = m_impl->config;
    config.torchDtype = util::dtypeName(weightType(storageType));
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto& [name, tensor] : m_impl->hfTensors)
        tensors.emplace_back(name, tensor.detach().to(torch::kCPU, storageType).contiguous());
    fs::create_directories(folder);
    // transformers refuses safetensors files whose metadata lacks format = pt.
    io::writeSafetensors((fs::path(folder) / "model.safetensors").string(), tensors, {{"format", "pt"}});
    config.save((fs::path(folder) / "config.json").string());
}

const io::ModelConfig& LanguageModel::config() const { return m_impl->config; }

torch::Tensor LanguageModel::lmHeadWeight() const { return m_impl->global(TensorRole::LmHead); }

int64_t LanguageModel::parameterCount() const
{
    int64_t count = 0;
    for (const auto& parameter : parameters())
        count += parameter.numel();
    return count;
}

torch::Device LanguageModel::device() const { return m_impl->global(TensorRole::TokenEmbedding).device(); }

std::vector<std::pair<std::string, torch::Tensor>> LanguageModel::namedHfTensors() const { return m_impl->hfTensors; }

torch::Tensor LanguageModel::forward(const torch::Tensor& ids, KVCache* cache, const torch::Tensor& attentionMask)
{
    return ops::linear(hiddenStates(ids, cache, attentionMask), lmHeadWeight());
}

torch::Tensor LanguageModel::hiddenStates(const torch::Tensor& idsIn, KVCache* cache, const torch::Tensor& attentionMaskIn)
{
    const Impl& impl = *m_impl;
    const io::ModelConfig& config = impl.config;
    const torch::Device dev = device();
    if (idsIn.dim() != 2 || idsIn.size(1) == 0)
        throw Error::badInput("token ids must be [batch, length] with length > 0, got " + shapeString(idsIn.sizes().vec()));
    const torch::Tensor ids = idsIn.to(dev, torch::kLong);
    const int64_t batch = ids.size(0), length = ids.size(1);
    if (ids.numel() > 0) {
        const auto [minimum, maximum] = torch::aminmax(ids);
        if (minimum.item<int64_t>() < 0 || maximum.item<int64_t>() >= config.vocabSize)
            throw Error::badInput("token id outside the vocabulary [0, " + std::to_string(config.vocabSize) + ")");
    }

    const int64_t past = cache ? cache->length() : 0;
    const int64_t total = past + length;
    if (cache && past > 0 && (cache->keys.size() != std::size_t(config.numLayers) || cache->keys[0].size(0) != batch))
        throw Error::badInput("KV cache does not fit this model or batch");
    if (cache && past == 0)
        cache->clear();

    // The mask of all keys: given, or the cached one extended by the new (real) tokens.
    torch::Tensor mask;
    if (attentionMaskIn.defined()) {
        if (attentionMaskIn.dim() != 2 || attentionMaskIn.size(0) != batch || attentionMaskIn.size(1) != total)
            throw Error::badInput("attention mask must be [" + std::to_string(batch) + ", " + std::to_string(total)
                                  + "] (cached + new tokens), got " + shapeString(attentionMaskIn.sizes().vec()));
        mask = attentionMaskIn.to(dev, torch::kLong);
    } else if (cache && cache->attentionMask.defined()) {
        mask = torch::cat({cache->attentionMask.to(dev, torch::kLong), torch::ones({batch, length}, ids.options())}, 1);
    }
    if (cache)
        cache->attentionMask = mask;

    // Positions count real tokens only: cumsum(mask) − 1, padding at 1 (as transformers' generate does).
    torch::Tensor positions;
    if (mask.defined())
        positions = (mask.cumsum(-1) - 1).masked_fill(mask.eq(0), 1).narrow(1, past, length);
    else
        positions = torch::arange(past, total, ids.options()).unsqueeze(0);

    const torch::Tensor blocked = ops::blockedKeys(length, total, mask, dev);
    const int64_t heads = config.numHeads, kvHeads = config.numKeyValueHeads, headDim = config.headDim();
    const bool isGpt2 = config.modelType == "gpt2";
    const bool isOpt = config.modelType == "opt";
    using R = TensorRole;

    auto remember = [&](int64_t layer, torch::Tensor k, torch::Tensor v) -> std::pair<torch::Tensor, torch::Tensor> {
        if (!cache)
            return {k, v};
        return cache->append(size_t(layer), k, v);
    };

    torch::Tensor x = torch::embedding(impl.global(R::TokenEmbedding), ids);  // [B, T, D] (OPT: [B, T, E])
    if (const char* field = impl.arch->learnedPositionsField; field && total > config.maxPositions)
        throw Error::badInput("sequence of " + std::to_string(total) + " tokens exceeds " + field + " "
                              + std::to_string(config.maxPositions));
    if (isOpt) {
        // modeling_opt.py: project_in, learned positions offset by 2, pre- or post-LN blocks with biased
        // projections and fc1 → activation → fc2, the final layer norm (pre-LN), project_out.
        const bool pre = config.layerNormBefore;
        auto norm = [&](const torch::Tensor& t, int64_t l, R weight, R bias) {
            return ops::layerNorm(t, impl.layer(l, weight), impl.layer(l, bias), config.normEps);
        };
        auto split = [&](const torch::Tensor& t) { return t.view({batch, length, heads, headDim}).transpose(1, 2); };
        if (impl.global(R::ProjectInWeight).defined())
            x = ops::linear(x, impl.global(R::ProjectInWeight));
        x = x + torch::embedding(impl.global(R::PositionEmbedding), positions + 2);
        for (int64_t l = 0; l < config.numLayers; ++l) {
            auto h = pre ? norm(x, l, R::AttnNormWeight, R::AttnNormBias) : x;
            auto q = split(ops::linear(h, impl.layer(l, R::QueryWeight)) + impl.layer(l, R::QueryBias));
            auto k = split(ops::linear(h, impl.layer(l, R::KeyWeight)) + impl.layer(l, R::KeyBias));
            auto v = split(ops::linear(h, impl.layer(l, R::ValueWeight)) + impl.layer(l, R::ValueBias));
            auto [keys, values] = remember(l, k, v);
            x = x + ops::linear(ops::attention(q, keys, values, blocked), impl.layer(l, R::AttnOutWeight))
                + impl.layer(l, R::AttnOutBias);
            if (!pre)
                x = norm(x, l, R::AttnNormWeight, R::AttnNormBias);
            h = pre ? norm(x, l, R::MlpNormWeight, R::MlpNormBias) : x;
            h = ops::activate(ops::linear(h, impl.layer(l, R::MlpUpWeight)) + impl.layer(l, R::MlpUpBias), config.activation);
            x = x + ops::linear(h, impl.layer(l, R::MlpDownWeight)) + impl.layer(l, R::MlpDownBias);
            if (!pre)
                x = norm(x, l, R::MlpNormWeight, R::MlpNormBias);
        }
        if (config.finalLayerNorm)
            x = ops::layerNorm(x, impl.global(R::FinalNormWeight), impl.global(R::FinalNormBias), config.normEps);
        if (impl.global(R::ProjectOutWeight).defined())
            x = ops::linear(x, impl.global(R::ProjectOutWeight));
        return x;
    }
    if (isGpt2) {
        x = x + torch::embedding(impl.global(R::PositionEmbedding), positions);
        for (int64_t l = 0; l < config.numLayers; ++l) {
            auto h = ops::layerNorm(x, impl.layer(l, R::AttnNormWeight), impl.layer(l, R::AttnNormBias), config.normEps);
            auto qkv = ops::conv1d(h, impl.layer(l, R::QkvWeight), impl.layer(l, R::QkvBias))
                           .view({batch, length, 3, heads, headDim})
                           .permute({2, 0, 3, 1, 4});  // [3, B, H, T, hd]
            auto [k, v] = remember(l, qkv[1], qkv[2]);
            auto attended = ops::attention(qkv[0], k, v, blocked);
            x = x + ops::conv1d(attended, impl.layer(l, R::AttnOutWeight), impl.layer(l, R::AttnOutBias));
            h = ops::layerNorm(x, impl.layer(l, R::MlpNormWeight), impl.layer(l, R::MlpNormBias), config.normEps);
            h = ops::activate(ops::conv1d(h, impl.layer(l, R::MlpUpWeight), impl.layer(l, R::MlpUpBias)), config.activation);
            x = x + ops::conv1d(h, impl.layer(l, R::MlpDownWeight), impl.layer(l, R::MlpDownBias));
        }
        return ops::layerNorm(x, impl.global(R::FinalNormWeight), impl.global(R::FinalNormBias), config.normEps);
    }

    const ops::Rotary rotary = ops::rotaryTables(positions, headDim, config.ropeTheta, x.scalar_type());
    for (int64_t l = 0; l < config.numLayers; ++l) {
        auto h = ops::rmsNorm(x, impl.layer(l, R::AttnNormWeight), config.normEps);
        auto q = ops::linear(h, impl.layer(l, R::QueryWeight)).view({batch, length, heads, headDim}).transpose(1, 2);
        auto k = ops::linear(h, impl.layer(l, R::KeyWeight)).view({batch, length, kvHeads, headDim}).transpose(1, 2);
        auto v = ops::linear(h, impl.layer(l, R::ValueWeight)).view({batch, length, kvHeads, headDim}).transpose(1, 2);
        q = ops::applyRotary(q, rotary);
        auto [keys, values] = remember(l, ops::applyRotary(k, rotary), v);
        x = x + ops::linear(ops::attention(q, keys, values, blocked), impl.layer(l, R::AttnOutWeight));
        h = ops::rmsNorm(x, impl.layer(l, R::MlpNormWeight), config.normEps);
        auto gated = torch::silu(ops::linear(h, impl.layer(l, R::MlpGateWeight))) * ops::linear(h, impl.layer(l, R::MlpUpWeight));
        x = x + ops::linear(gated, impl.layer(l, R::MlpDownWeight));
    }
    return ops::rmsNorm(x, impl.global(R::FinalNormWeight), config.normEps);
}

} // namespace emo::model
