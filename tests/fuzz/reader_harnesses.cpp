#include "reader_harnesses.h"

#include "eval/few_shot.h"
#include "experiment/experiment_runs.h"
#include "io/documents.h"
#include "io/model_config.h"
#include "io/safetensors.h"
#include "io/tensor_archive.h"
#include "model/architecture.h"
#include "model/checkpoint_storage.h"
#include "text/tokenizer.h"
#include "train/run_files.h"
#include "train/trainer_state.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <typeinfo>

namespace emo::fuzz {

namespace fs = std::filesystem;

namespace {

std::string writeFile(const std::string& scratch, const std::string& name, const std::string& bytes)
{
    const std::string path = (fs::path(scratch) / name).string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
}

// The part of `bytes` before the first separator, and what follows it ("" when there is none).
std::pair<std::string, std::string> splitParts(const std::string& bytes)
{
    const std::string separator = kPartSeparator;
    const auto at = bytes.find(separator);
    if (at == std::string::npos)
        return {bytes, ""};
    return {bytes.substr(0, at), bytes.substr(at + separator.size())};
}

// A tokenizer read from the folder must encode and decode what a user would type.
void exercise(const text::Tokenizer& tokenizer)
{
    const auto ids = tokenizer.encode("Hello world, \xc3\xa7" "a va? 123\n\ttabs  and  spaces");
    tokenizer.decode(ids);
    for (int64_t id : ids)
        tokenizer.piece(id);
    tokenizer.vocabSize();
}

void safetensors(const std::string& bytes, const std::string& scratch)
{
    const auto file = io::SafetensorsFile::open(writeFile(scratch, "model.safetensors", bytes));
    for (const auto& tensor : file.tensors())
        file.load(tensor.name);
}

void torchCheckpoint(const std::string& bytes, const std::string& scratch)
{
    const auto archive = io::openTensorArchive(writeFile(scratch, "pytorch_model.bin", bytes));
    for (const auto& tensor : archive->tensors())
        archive->load(tensor.name);
}

// model.safetensors.index.json, then the shard it may name (model-00001-of-00001.safetensors).
void checkpointIndex(const std::string& bytes, const std::string& scratch)
{
    const auto [index, shard] = splitParts(bytes);
    writeFile(scratch, "model.safetensors.index.json", index);
    writeFile(scratch, "model-00001-of-00001.safetensors", shard);
    const auto storage = model::CheckpointStorage::open(scratch);
    storage.storedDtype();
}

void modelConfig(const std::string& bytes, const std::string& scratch)
{
    const auto config = io::ModelConfig::load(writeFile(scratch, "config.json", bytes));
    model::hfTensorShapes(config);  // the shapes a folder must hold: sizes that overflow must be refused
}

// vocab.json, then merges.txt.
void gpt2Bpe(const std::string& bytes, const std::string& scratch)
{
    const auto [vocab, merges] = splitParts(bytes);
    writeFile(scratch, "vocab.json", vocab);
    writeFile(scratch, "merges.txt", merges);
    exercise(*text::loadTokenizer(scratch));
}

void tokenizerJson(const std::string& bytes, const std::string& scratch)
{
    writeFile(scratch, "tokenizer.json", bytes);
    exercise(*text::loadTokenizer(scratch));
}

void sentencepiece(const std::string& bytes, const std::string& scratch)
{
    writeFile(scratch, "tokenizer.model", bytes);
    exercise(*text::loadTokenizer(scratch));
}

// The first byte picks the file name (and so the format): even → data.txt (plain or WikiText), odd → .jsonl.
std::string dataFileName(const std::string& bytes, const char* stem)
{
    const bool jsonl = !bytes.empty() && (static_cast<unsigned char>(bytes[0]) & 1);
    return std::string(stem) + (jsonl ? ".jsonl" : ".txt");
}

void documents(const std::string& bytes, const std::string& scratch)
{
    const std::string body = bytes.empty() ? bytes : bytes.substr(1);
    io::readDocuments(writeFile(scratch, dataFileName(bytes, "data"), body));
}

void prompts(const std::string& bytes, const std::string& scratch)
{
    const std::string body = bytes.empty() ? bytes : bytes.substr(1);
    io::readPrompts(writeFile(scratch, dataFileName(bytes, "prompts"), body));
}

void fewShot(const std::string& bytes, const std::string& scratch)
{
    eval::readLabelledJsonl(writeFile(scratch, "fewshot.jsonl", bytes));
}

void runJson(const std::string& bytes, const std::string& scratch)
{
    train::readRunJson(writeFile(scratch, "run.json", bytes));
}

void metricsJsonl(const std::string& bytes, const std::string& scratch)
{
    train::readMetrics(writeFile(scratch, "metrics.jsonl", bytes));
}

void trainerState(const std::string& bytes, const std::string& scratch)
{
    train::TrainerState::load(writeFile(scratch, "trainer_state.safetensors", bytes));
}

// An experiment folder on resume: experiment.json claimed against the settings asked for, scores.json read.
void experimentFolder(const std::string& bytes, const std::string& scratch)
{
    writeFile(scratch, "scores.json", bytes);
    experiment::readScores(scratch);
    writeFile(scratch, "experiment.json", bytes);
    experiment::claimExperimentFolder(scratch, {{"experiment", "oracle"}, {"format", 1}, {"scale", "micro"}});
}

} // namespace

const std::vector<ReaderHarness>& readerHarnesses()
{
    static const std::vector<ReaderHarness> harnesses = {
        {"safetensors", "model.safetensors (header and every tensor's data)", safetensors},
        {"torch_checkpoint", "pytorch_model.bin (torch.save zip and its pickle)", torchCheckpoint},
        {"checkpoint_index", "model.safetensors.index.json + the shard it names", checkpointIndex},
        {"model_config", "config.json of any family", modelConfig},
        {"gpt2_bpe", "vocab.json + merges.txt", gpt2Bpe},
        {"tokenizer_json", "tokenizer.json", tokenizerJson},
        {"sentencepiece", "tokenizer.model (through the shim)", sentencepiece},
        {"documents", "a data set: .txt, WikiText raw or .jsonl", documents},
        {"prompts", "a prompt file: lines or JSON lines", prompts},
        {"few_shot", "the few-shot JSONL (text, label)", fewShot},
        {"run_json", "run.json (the resume path)", runJson},
        {"metrics_jsonl", "metrics.jsonl (the resume path)", metricsJsonl},
        {"trainer_state", "trainer_state.safetensors (the resume path)", trainerState},
        {"experiment", "an experiment folder's experiment.json and scores.json", experimentFolder},
    };
    return harnesses;
}

const ReaderHarness* findHarness(const std::string& name)
{
    for (const auto& harness : readerHarnesses())
        if (name == harness.name)
            return &harness;
    return nullptr;
}

HarnessOutcome runHarness(const ReaderHarness& harness, const std::string& bytes, const std::string& scratch)
{
    using Kind = HarnessOutcome::Kind;
    std::error_code ignored;
    fs::remove_all(scratch, ignored);
    fs::create_directories(scratch);
    try {
        harness.run(bytes, scratch);
    } catch (const Error& e) {
        return {Kind::Refused, e.what()};
    } catch (const std::exception& e) {
        return {Kind::Escaped, std::string("an exception other than emo::Error escaped (") + typeid(e).name() + "): " +
                                   e.what()};
    } catch (...) {
        return {Kind::Escaped, "a non-standard exception escaped"};
    }
    return {Kind::Accepted, {}};
}

} // namespace emo::fuzz
