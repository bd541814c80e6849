#include "bench_shape.h"

#include <stdexcept>

namespace emo::bench {

BenchShape customShape(const std::string& arch, int64_t layers, int64_t d, int64_t heads, int64_t kvHeads,
                       int64_t vocab, int64_t seq, int64_t batch)
{
    if (arch != "llama" && arch != "gpt2")
        throw std::invalid_argument("--arch must be llama or gpt2, not " + arch);
    if (layers < 1 || d < 1 || heads < 1 || d % heads != 0 || vocab < 2 || seq < 2 || batch < 1)
        throw std::invalid_argument("shape: need layers, d, heads (dividing d), vocab ≥ 2, seq ≥ 2 and batch ≥ 1");
    const bool llama = arch == "llama";
    if (llama && (kvHeads < 1 || heads % kvHeads != 0))
        throw std::invalid_argument("--kv-heads must divide --heads");
    BenchShape s;
    s.name = "custom";
    io::ModelConfig& c = s.config;
    c.modelType = arch;
    c.vocabSize = vocab;
    c.hiddenSize = d;
    c.numLayers = layers;
    c.numHeads = heads;
    c.numKeyValueHeads = llama ? kvHeads : heads;
    // LLaMA's 8/3·d rounded up to a multiple of 8 (the demo model's 688 at d 256); GPT-2's 4·d.
    c.intermediateSize = llama ? (8 * d / 3 + 7) / 8 * 8 : 4 * d;
    c.maxPositions = std::max<int64_t>(seq + 1, 1024);
    c.normEps = 1e-5;
    c.tieWordEmbeddings = true;
    c.activation = llama ? "silu" : "gelu_new";
    c.eosTokenId = vocab - 1;
    c.bosTokenId = vocab - 1;
    c.raw = nlohmann::json::object();
    s.batch = batch;
    s.seq = seq;
    return s;
}

BenchShape namedShape(const std::string& name)
{
    BenchShape s;
    if (name == "demo")
        s = customShape("llama", 4, 256, 4, 4, 8000, 256, 8);
    else if (name == "gpt2-small")
        s = customShape("gpt2", 12, 768, 12, 12, 50257, 128, 4);
    else if (name == "quick")
        s = customShape("llama", 2, 128, 4, 4, 2000, 64, 2);
    else
        throw std::invalid_argument("unknown --shape " + name + " (demo, gpt2-small, quick)");
    s.name = name;
    return s;
}

double trainingStepFlops(const BenchShape& shape)
{
    const io::ModelConfig& c = shape.config;
    const double tokens = double(shape.batch * shape.seq);
    const double d = c.hiddenSize, f = c.intermediateSize, L = c.numLayers, V = c.vocabSize;
    const double kv = double(c.numKeyValueHeads * c.headDim());
    const bool llama = c.modelType == "llama";
    const double perLayer =
        2 * tokens * (d * d + 2 * d * kv + d * d + (llama ? 3 : 2) * d * f) + 2 * 2 * tokens * double(shape.seq) * d;
    return 3 * (L * perLayer + 2 * tokens * d * V);
}

std::string describe(const BenchShape& shape)
{
    const io::ModelConfig& c = shape.config;
    return c.modelType + " L" + std::to_string(c.numLayers) + " d" + std::to_string(c.hiddenSize) + " V"
           + std::to_string(c.vocabSize) + ", " + std::to_string(shape.batch) + " x " + std::to_string(shape.seq)
           + " tokens";
}

} // namespace emo::bench
