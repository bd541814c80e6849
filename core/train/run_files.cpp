#include "train/run_files.h"

#include "util/atomic_file.h"
#include "util/error.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace emo::train {

namespace {
namespace fs = std::filesystem;

nlohmann::json numberOrNull(double value)
{
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

double numberOrNan(const nlohmann::json& json, const char* key)
{
    auto it = json.find(key);
    if (it == json.end() || it->is_null() || !it->is_number())
        return TrainProgress::none;
    return it->get<double>();
}

template <typename T>
void readField(const nlohmann::json& json, const char* key, T* out, const std::string& source)
{
    auto it = json.find(key);
    if (it == json.end())
        return;  // absent: keep the default (older or hand-written files)
    try {
        *out = it->get<T>();
    } catch (const std::exception& e) {
        throw Error::badInput(source + ": field '" + key + "' has the wrong type: " + e.what());
    }
}
} // namespace

nlohmann::json settingsToJson(const TrainSettings& s)
{
    nlohmann::json objective = {
        {"kind", objective::toString(s.objective.kind)},
        {"emo_mode", objective::toString(s.objective.emoMode)},
        {"emo_ratio_cap", s.objective.emoRatioCap},
        {"tailr_gamma", s.objective.tailrGamma},
        {"tailr_min_weight", s.objective.tailrMinWeight},
        {"tailr_form", objective::toString(s.objective.tailrForm)},
        {"tailr_mix", s.objective.tailrMix},
        {"mixce_eta", s.objective.mixceEta},
    };
    return {
        {"objective", objective},
        {"epochs", s.epochs},
        {"max_steps", s.maxSteps},
        {"batch_size", s.batchSize},
        {"block_size", s.blockSize},
        {"learning_rate", s.learningRate},
        {"weight_decay", s.weightDecay},
        {"adam_beta1", s.adamBeta1},
        {"adam_beta2", s.adamBeta2},
        {"adam_eps", s.adamEps},
        {"schedule", s.schedule},
        {"warmup_steps", s.warmupSteps},
        {"gradient_accumulation", s.gradientAccumulation},
        {"clip_norm", s.clipNorm},
        {"validate_every", s.validateEvery},
        {"validation_fraction", s.validationFraction},
        {"seed", s.seed},
        {"device", s.device},
        {"dtype", s.precision},
        {"data_path", s.dataPath},
        {"extra_data_paths", s.extraDataPaths},
        {"validation_path", s.validationPath},
        {"model_path", s.modelPath},
        {"output_dir", s.outputDir},
        {"resume_dir", s.resumeDir},
        {"cost_embedding_from", s.costEmbeddingFrom},
        {"world_size", s.distributed.worldSize},
    };
}

TrainSettings settingsFromJson(const nlohmann::json& json, const std::string& source)
{
    if (!json.is_object())
        throw Error::badInput(source + ": settings must be a JSON object");
    TrainSettings s;
    if (auto it = json.find("objective"); it != json.end() && it->is_object()) {
        const auto& o = *it;
        std::string kind, mode, tailrForm;
        readField(o, "kind", &kind, source);
        readField(o, "emo_mode", &mode, source);
        readField(o, "tailr_form", &tailrForm, source);
        if (!tailrForm.empty() && !objective::parseTailrForm(tailrForm, &s.objective.tailrForm))
            throw Error::badInput(source + ": field 'objective.tailr_form' has an unknown value '" + tailrForm + "'");
        if (!kind.empty() && !objective::parseObjectiveKind(kind, &s.objective.kind))
            throw Error::badInput(source + ": field 'objective.kind' has an unknown value '" + kind + "'");
        if (!mode.empty() && !objective::parseEmoMode(mode, &s.objective.emoMode))
            throw Error::badInput(source + ": field 'objective.emo_mode' has an unknown value '" + mode + "'");
        readField(o, "emo_ratio_cap", &s.objective.emoRatioCap, source);
        readField(o, "tailr_gamma", &s.objective.tailrGamma, source);
        readField(o, "tailr_min_weight", &s.objective.tailrMinWeight, source);
        readField(o, "tailr_mix", &s.objective.tailrMix, source);
        readField(o, "mixce_eta", &s.objective.mixceEta, source);
    }
    readField(json, "epochs", &s.epochs, source);
    readField(json, "max_steps", &s.maxSteps, source);
    readField(json, "batch_size", &s.batchSize, source);
    readField(json, "block_size", &s.blockSize, source);
    readField(json, "learning_rate", &s.learningRate, source);
    readField(json, "weight_decay", &s.weightDecay, source);
    readField(json, "adam_beta1", &s.adamBeta1, source);
    readField(json, "adam_beta2", &s.adamBeta2, source);
    readField(json, "adam_eps", &s.adamEps, source);
    readField(json, "schedule", &s.schedule, source);
    readField(json, "warmup_steps", &s.warmupSteps, source);
    readField(json, "gradient_accumulation", &s.gradientAccumulation, source);
    readField(json, "clip_norm", &s.clipNorm, source);
    readField(json, "validate_every", &s.validateEvery, source);
    readField(json, "validation_fraction", &s.validationFraction, source);
    readField(json, "seed", &s.seed, source);
    readField(json, "device", &s.device, source);
    readField(json, "dtype", &s.precision, source);
    readField(json, "data_path", &s.dataPath, source);
    readField(json, "extra_data_paths", &s.extraDataPaths, source);
    readField(json, "validation_path", &s.validationPath, source);
    readField(json, "model_path", &s.modelPath, source);
    readField(json, "output_dir", &s.outputDir, source);
    readField(json, "resume_dir", &s.resumeDir, source);
    readField(json, "cost_embedding_from", &s.costEmbeddingFrom, source);
    readField(json, "world_size", &s.distributed.worldSize, source);
    return s;
}

nlohmann::json progressToJson(const TrainProgress& p, const std::string& type)
{
    nlohmann::json j = {
        {"type", type},
        {"step", p.step},
        {"total_steps", p.totalSteps},
        {"epoch", p.epoch},
    };
    if (type == "validation") {
        j["validation_loss"] = numberOrNull(p.validationLoss);
        j["validation_demd"] = numberOrNull(p.validationDemd);
        j["best_validation_loss"] = numberOrNull(p.bestValidationLoss);
        j["best_step"] = p.bestStep;
    } else {
        j["loss"] = numberOrNull(p.loss);
        j["mle"] = numberOrNull(p.mlePart);
        j["demd"] = numberOrNull(p.demdPart);
        j["grad_norm"] = numberOrNull(p.gradNorm);
        j["learning_rate"] = numberOrNull(p.learningRate);
        j["tokens_per_second"] = numberOrNull(p.tokensPerSecond);
    }
    j["elapsed_seconds"] = p.elapsedSeconds;
    return j;
}

TrainProgress progressFromJson(const nlohmann::json& j)
{
    TrainProgress p;
    p.stage = j.value("type", std::string("step")) == "validation" ? "validating" : "training";
    p.step = j.value("step", int64_t(0));
    p.totalSteps = j.value("total_steps", int64_t(0));
    p.epoch = j.value("epoch", int64_t(0));
    p.loss = numberOrNan(j, "loss");
    p.mlePart = numberOrNan(j, "mle");
    p.demdPart = numberOrNan(j, "demd");
    p.gradNorm = numberOrNan(j, "grad_norm");
    p.learningRate = numberOrNan(j, "learning_rate");
    p.tokensPerSecond = numberOrNan(j, "tokens_per_second");
    p.validationLoss = numberOrNan(j, "validation_loss");
    p.validationDemd = numberOrNan(j, "validation_demd");
    p.bestValidationLoss = numberOrNan(j, "best_validation_loss");
    p.bestStep = j.value("best_step", int64_t(0));
    const double elapsed = numberOrNan(j, "elapsed_seconds");
    p.elapsedSeconds = std::isfinite(elapsed) ? elapsed : 0.0;
    return p;
}

void writeRunJson(const std::string& path, const RunRecord& r)
{
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& p : r.steps)
        steps.push_back(progressToJson(p, "step"));
    nlohmann::json validations = nlohmann::json::array();
    for (const auto& p : r.validations)
        validations.push_back(progressToJson(p, "validation"));
    nlohmann::json j = {
        {"format", 1},
        {"status", r.status},
        {"message", r.message},
        {"settings", settingsToJson(r.settings)},
        {"model", r.model},
        {"data", r.data},
        {"step", r.step},
        {"total_steps", r.totalSteps},
        {"best_step", r.bestStep},
        {"best_validation_loss", numberOrNull(r.bestValidationLoss)},
        {"history", {{"steps", steps}, {"validations", validations}}},
    };
    util::writeTextFileAtomically(path, j.dump(1) + "\n");
}

namespace {

RunRecord runRecordFromJson(const nlohmann::json& j, const std::string& path)
{
    RunRecord r;
    r.status = j.value("status", std::string());
    r.message = j.value("message", std::string());
    r.settings = settingsFromJson(j.at("settings"), path);
    r.model = j.value("model", nlohmann::json::object());
    r.data = j.value("data", nlohmann::json::object());
    r.step = j.value("step", int64_t(0));
    r.totalSteps = j.value("total_steps", int64_t(0));
    r.bestStep = j.value("best_step", int64_t(0));
    r.bestValidationLoss = numberOrNan(j, "best_validation_loss");
    if (auto h = j.find("history"); h != j.end() && h->is_object()) {
        for (const auto& p : h->value("steps", nlohmann::json::array()))
            r.steps.push_back(progressFromJson(p));
        for (const auto& p : h->value("validations", nlohmann::json::array()))
            r.validations.push_back(progressFromJson(p));
    }
    return r;
}

} // namespace

RunRecord readRunJson(const std::string& path)
{
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(util::readTextFile(path));
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error::badInput(path + ": not valid JSON: " + e.what());
    }
    if (!j.is_object() || !j.contains("settings"))
        throw Error::badInput(path + ": not a run record (field 'settings' missing)");
    // A field of another type than a run writes (edited by hand, or damaged) names the file, like bad JSON.
    try {
        return runRecordFromJson(j, path);
    } catch (const nlohmann::json::exception& e) {
        throw Error::badInput(path + ": a field does not hold what a run record holds (" + e.what() + ")");
    }
}

void appendMetricsLine(const std::string& path, const nlohmann::json& line)
{
    // Append-only log: a crash can at most cut the last line, which truncateMetrics drops on resume.
    std::FILE* file = std::fopen(path.c_str(), "ab");
    if (!file)
        throw Error::runtime("cannot open " + path + " for appending");
    const std::string text = line.dump() + "\n";
    const bool ok = std::fwrite(text.data(), 1, text.size(), file) == text.size() && std::fflush(file) == 0;
    std::fclose(file);
    if (!ok)
        throw Error::runtime("cannot append to " + path);
}

namespace {

// Calls `use(line, json)` for each line of metrics.jsonl that is a JSON object with fields of the right
// types; skips the others (a line cut by a crash, or edited by hand).
template <typename Use>
void forEachMetricsLine(const std::string& path, Use use)
{
    std::istringstream in(util::readTextFile(path));
    for (std::string line; std::getline(in, line);) {
        const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!j.is_object())
            continue;
        try {
            use(line, j);
        } catch (const nlohmann::json::exception&) {
            // a field of another type than a run writes
        }
    }
}

} // namespace

MetricsLog readMetrics(const std::string& path)
{
    MetricsLog log;
    forEachMetricsLine(path, [&](const std::string&, const nlohmann::json& j) {
        (j.value("type", std::string("step")) == "validation" ? log.validations : log.steps)
            .push_back(progressFromJson(j));
    });
    return log;
}

void truncateMetrics(const std::string& path, int64_t lastStep)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        return;
    std::string kept;
    forEachMetricsLine(path, [&](const std::string& line, const nlohmann::json& j) {
        if (j.value("step", int64_t(0)) <= lastStep)
            kept += line + "\n";
    });
    util::writeTextFileAtomically(path, kept);
}

void copyFileAtomically(const std::string& from, const std::string& to)
{
    std::ifstream in(from, std::ios::binary);
    if (!in)
        throw Error::badInput(from + ": cannot open for reading");
    util::writeFileAtomically(to, [&](const util::ByteSink& sink) {
        std::vector<char> buffer(1 << 20);
        while (in) {
            in.read(buffer.data(), std::streamsize(buffer.size()));
            if (in.gcount() > 0)
                sink(buffer.data(), std::size_t(in.gcount()));
        }
        if (in.bad())
            throw Error::runtime("cannot read " + from);
    });
}

std::vector<std::string> copyTokenizerFiles(const std::string& fromFolder, const std::string& toFolder)
{
    static const char* const names[] = {"vocab.json",          "merges.txt",         "tokenizer.json",
                                        "tokenizer.model",     "tokenizer_config.json",
                                        "special_tokens_map.json", "added_tokens.json", "generation_config.json"};
    std::vector<std::string> copied;
    std::error_code ec;
    if (fs::equivalent(fromFolder, toFolder, ec))
        return copied;
    for (const char* name : names) {
        const fs::path source = fs::path(fromFolder) / name;
        if (fs::is_regular_file(source, ec)) {
            copyFileAtomically(source.string(), (fs::path(toFolder) / name).string());
            copied.emplace_back(name);
        }
    }
    return copied;
}

} // namespace emo::train
