#include "train/pretrainer.h"

#include "io/documents.h"
#include "io/model_config.h"
#include "model/language_model.h"
#include "text/sentencepiece_trainer.h"
#include "text/tokenizer.h"
#include "train/run_files.h"
#include "util/atomic_file.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace emo::train {

namespace {
namespace fs = std::filesystem;

// The config.json transformers writes for a fresh model of this shape.
nlohmann::json configJson(const PretrainSettings& s, int64_t vocab, int64_t positions, int64_t bos, int64_t eos)
{
    if (s.arch == "gpt2") {
        return {{"model_type", "gpt2"},          {"architectures", {"GPT2LMHeadModel"}},
                {"vocab_size", vocab},           {"n_embd", s.hidden},
                {"n_layer", s.layers},           {"n_head", s.heads},
                {"n_positions", positions},      {"n_ctx", positions},
                {"n_inner", s.intermediate > 0 ? nlohmann::json(s.intermediate) : nlohmann::json(nullptr)},
                {"layer_norm_epsilon", 1e-5},    {"activation_function", "gelu_new"},
                {"initializer_range", 0.02},     {"bos_token_id", bos},
                {"eos_token_id", eos},           {"tie_word_embeddings", true},
                {"torch_dtype", "float32"}};
    }
    int64_t intermediate = s.intermediate;
    if (intermediate <= 0)
        intermediate = ((s.hidden * 8 / 3 + 63) / 64) * 64;
    return {{"model_type", "llama"},
            {"architectures", {"LlamaForCausalLM"}},
            {"vocab_size", vocab},
            {"hidden_size", s.hidden},
            {"num_hidden_layers", s.layers},
            {"num_attention_heads", s.heads},
            {"num_key_value_heads", s.kvHeads > 0 ? s.kvHeads : s.heads},
            {"intermediate_size", intermediate},
            {"max_position_embeddings", positions},
            {"rms_norm_eps", 1e-6},
            {"rope_theta", 10000.0},
            {"hidden_act", "silu"},
            {"initializer_range", 0.02},
            {"bos_token_id", bos},
            {"eos_token_id", eos},
            {"tie_word_embeddings", false},
            {"torch_dtype", "float32"}};
}

void checkShape(const PretrainSettings& s)
{
    if (s.arch != "gpt2" && s.arch != "llama")
        throw Error::badInput("arch: unknown architecture '" + s.arch + "' (expected gpt2 or llama)");
    if (s.layers <= 0 || s.hidden <= 0 || s.heads <= 0)
        throw Error::badInput("layers, d and heads must be positive");
    if (s.hidden % s.heads != 0)
        throw Error::badInput("d: " + std::to_string(s.hidden) + " is not a multiple of heads (" +
                              std::to_string(s.heads) + ")");
    const int64_t kv = s.kvHeads > 0 ? s.kvHeads : s.heads;
    if (s.arch == "llama" && ((s.hidden / s.heads) % 2 != 0 || s.heads % kv != 0))
        throw Error::badInput("heads: llama needs an even head size and heads divisible by kv-heads");
    if (s.vocabSize < 8)
        throw Error::badInput("vocab-size: " + std::to_string(s.vocabSize) + " is too small");
    if (s.dataPaths.empty())
        throw Error::badInput("data: no training files given");
    if (s.outputDir.empty())
        throw Error::badInput("out: no output folder given");
}
} // namespace

TrainSettings PretrainSettings::defaultTrainSettings()
{
    TrainSettings t;
    t.objective.kind = objective::ObjectiveKind::Mle;
    t.learningRate = 1e-3;
    t.schedule = "cosine";
    t.warmupSteps = 50;
    t.weightDecay = 0.01;
    t.clipNorm = 1.0;
    t.batchSize = 16;
    t.blockSize = 128;
    t.epochs = 1;
    return t;
}

TrainResult pretrain(const PretrainSettings& s, const TrainProgressCallback& progress)
{
    checkShape(s);
    TrainSettings t = s.train;
    t.dataPath = s.dataPaths.front();
    t.extraDataPaths.assign(s.dataPaths.begin() + 1, s.dataPaths.end());
    t.outputDir = s.outputDir;
    Trainer::validateSettings([&] { auto v = t; v.modelPath = "init"; return v; }());

    if (t.resumeDir.empty()) {
        const std::string init = (fs::path(s.outputDir) / "init").string();
        std::error_code ec;
        fs::create_directories(init, ec);
        if (!fs::is_directory(init, ec))
            throw Error::runtime("out: cannot create " + init);
        if (!s.tokenizerFrom.empty()) {
            if (copyTokenizerFiles(s.tokenizerFrom, init).empty())
                throw Error::badInput("tokenizer: no tokenizer files in " + s.tokenizerFrom);
        } else {
            // sentencepiece reads sentences one a line.
            std::string text;
            for (const auto& path : s.dataPaths)
                for (const auto& document : io::readDocuments(path))
                    text += document + "\n";
            // Every token covers at least one byte: data shorter than a block in bytes cannot fill one in
            // tokens, whatever vocabulary is trained, so say so before training it.
            if (static_cast<int64_t>(text.size()) < t.blockSize)
                throw Error::badInput("data: " + s.dataPaths.front() + (s.dataPaths.size() > 1 ? " and the rest hold " : " holds ") + std::to_string(text.size()) + " bytes of text, fewer than one block of " +
                                      std::to_string(t.blockSize) + " tokens needs (--block)");
            if (progress) {
                TrainProgress p;
                p.stage = "loading";
                p.message = "training a sentencepiece vocabulary of " + std::to_string(s.vocabSize);
                if (!progress(p))
                    throw Error::cancelled("pretraining cancelled before its vocabulary was trained; nothing to resume yet");
            }
            const std::string input = (fs::path(init) / "sentencepiece_input.txt").string();
            util::writeTextFileAtomically(input, text);
            text::SentencePieceTrainingOptions options;
            options.inputPath = input;
            options.modelPrefix = (fs::path(init) / "tokenizer").string();
            options.vocabSize = s.vocabSize;
            options.modelType = s.tokenizerType;
            // LLaMA's layout: <unk> 0, <s> 1, </s> 2; no padding id; rare bytes fall back to byte pieces.
            // (byte fallback needs 256 byte pieces, so only for vocabularies that have room for them).
            options.extraOptions = "--unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 --hard_vocab_limit=false";
            if (s.vocabSize >= 1024)
                options.extraOptions += " --byte_fallback=true";
            try {
                text::trainSentencePieceModel(options);
            } catch (...) {
                fs::remove(input, ec);
                throw;
            }
            fs::remove(input, ec);
        }
        const auto tokenizer = text::loadTokenizer(init);
        const int64_t positions = s.maxPositions > 0 ? s.maxPositions : t.blockSize;
        const auto config = io::ModelConfig::fromJson(
            configJson(s, tokenizer->vocabSize(), positions, tokenizer->bosId(), tokenizer->eosId()),
            init + "/config.json");
        model::LanguageModel::create(config, t.seed)->save(init);
        t.modelPath = init;
    } else {
        t.modelPath.clear();  // the run's own init folder, from its run.json
    }
    Trainer trainer(t);
    return trainer.run(progress);
}

} // namespace emo::train
