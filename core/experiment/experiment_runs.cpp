#include "experiment/experiment_runs.h"

#include "eval/metric_catalog.h"

#include "eval/paired_test.h"
#include "model/language_model.h"
#include "train/pretrainer.h"
#include "train/run_files.h"
#include "train/trainer.h"
#include "util/atomic_file.h"
#include "util/error.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;
using nlohmann::json;

namespace emo::experiment {
namespace {

const char* const kScoresFile = "scores.json";

// What an earlier invocation left in a run folder.
enum class RunState { Completed, Resumable, Fresh };

RunState runState(const std::string& dir)
{
    const std::string runJson = joinPath(dir, train::kRunJson);
    if (!fs::is_regular_file(runJson))
        return RunState::Fresh;
    try {
        if (train::readRunJson(runJson).status == "completed")
            return RunState::Completed;
    } catch (const Error&) {
        return RunState::Fresh;
    }
    return fs::is_regular_file(joinPath(dir, train::kTrainerStateFile)) ? RunState::Resumable : RunState::Fresh;
}

// Prepares `dir` for a run: true when it is complete already; sets resumeDir when it can continue.
bool prepareRun(const std::string& dir, train::TrainSettings* settings)
{
    const RunState state = runState(dir);
    if (state == RunState::Completed)
        return true;
    std::error_code ec;
    if (state == RunState::Resumable) {
        settings->resumeDir = dir;
        spdlog::info("experiment: continuing the interrupted run in {}", dir);
    } else if (fs::exists(dir)) {
        fs::remove_all(dir, ec);  // interrupted before its first saved state: nothing to keep
    }
    return false;
}

train::TrainProgressCallback trainProgress(ExperimentReporter& reporter, const std::string& what)
{
    return [&reporter, what](const train::TrainProgress& p) {
        std::string stage = what + ": " + p.stage;
        if (p.totalSteps > 0)
            stage += " " + std::to_string(p.step) + "/" + std::to_string(p.totalSteps);
        return reporter.report(stage);
    };
}

// Runs `train`; a cancel says how an experiment continues (the same command again), not how a run does.
template <typename Train>
void trainOrCancel(Train train, const std::string& dir)
{
    try {
        train();
    } catch (const Error& e) {
        if (e.kind() == Error::Kind::Cancelled)
            throw Error::cancelled("cancelled; run the same command again to continue " + dir);
        throw;
    }
}

} // namespace

double secondsSince(ExperimentClock::time_point start)
{
    return std::chrono::duration<double>(ExperimentClock::now() - start).count();
}

ObjectiveConfig makeObjectiveConfig(objective::ObjectiveKind kind, double value)
{
    ObjectiveConfig c;
    c.objective.kind = kind;
    switch (kind) {
    case objective::ObjectiveKind::Mle: c.name = "mle"; c.label = "MLE"; break;
    case objective::ObjectiveKind::Emo: c.name = "emo"; c.label = "EMO"; break;
    case objective::ObjectiveKind::Tailr:
        c.objective.tailrForm = objective::TailrForm::Mixed;
        c.objective.tailrMix = value;
        c.name = "tailr-r" + shortNumber(value);
        c.label = "TaiLr r=" + shortNumber(value);
        break;
    case objective::ObjectiveKind::Mixce:
        c.objective.mixceEta = value;
        c.name = "mixce-e" + shortNumber(value);
        c.label = "MixCE η=" + shortNumber(value);
        break;
    }
    return c;
}

ObjectiveConfig emoWithCost(const std::string& costFrom)
{
    ObjectiveConfig c = makeObjectiveConfig(objective::ObjectiveKind::Emo);
    c.costFrom = costFrom;
    const bool random = costFrom.rfind("random", 0) == 0;
    c.name = random ? "emo-cost-random" : "emo-cost-" + costFrom;
    c.label = random ? "EMO, random Ê" : "EMO, " + costFrom + "'s Ê";
    return c;
}

json configsJson(const std::vector<ObjectiveConfig>& list)
{
    json configs = json::array();
    for (const auto& c : list)
        configs.push_back({{"name", c.name}, {"label", c.label}, {"objective", objective::toString(c.objective.kind)},
                           {"tailr_form", objective::toString(c.objective.tailrForm)}, {"tailr_mix", c.objective.tailrMix},
                           {"tailr_gamma", c.objective.tailrGamma}, {"tailr_min_weight", c.objective.tailrMinWeight},
                           {"mixce_eta", c.objective.mixceEta}, {"emo_mode", objective::toString(c.objective.emoMode)},
                           {"cost_from", c.costFrom}});
    return configs;
}

std::string runName(const ObjectiveConfig& config, uint64_t seed) { return config.name + "-s" + std::to_string(seed); }

int objectiveColour(const std::string& objective)
{
    if (objective == "mle") return 0;
    if (objective == "tailr") return 1;
    if (objective == "mixce") return 2;
    if (objective == "emo") return 3;
    return 9;
}

void claimExperimentFolder(const std::string& outputDir, const json& wanted)
{
    std::error_code ec;
    fs::create_directories(outputDir, ec);
    if (!fs::is_directory(outputDir))
        throw Error::runtime("out: cannot create " + outputDir + (ec ? " (" + ec.message() + ")" : ""));
    const std::string file = joinPath(outputDir, "experiment.json");
    const int format = wanted.value("format", 1);
    if (fs::exists(file)) {
        json found;
        try {
            found = json::parse(util::readTextFile(file));
        } catch (const std::exception& e) {
            throw Error::badInput(file + ": not readable as JSON (" + e.what() + "); remove it or use another --out");
        }
        auto field = [&](const char* name, auto fallback) {  // of another type: not a folder of ours
            try {
                return found.value(name, fallback);
            } catch (const json::exception&) {
                throw Error::badInput(file + ": field '" + name + "' holds " + found.at(name).dump() +
                                      ", not what an experiment record holds; remove it or use another --out");
            }
        };
        if (found.is_object())
            field("format", 1), field("experiment", std::string()), field("scale", std::string());
        if (!found.is_object() || found.value("format", 1) != format ||
            found.value("experiment", std::string("oracle")) != wanted.value("experiment", std::string("oracle")))
            throw Error::badInput(file + ": this folder was written by another version or another experiment (" +
                                  (found.is_object() ? found.value("experiment", std::string("oracle")) : "?") +
                                  ", format " + std::to_string(found.is_object() ? found.value("format", 1) : 0) +
                                  "; this one writes " + wanted.value("experiment", std::string("oracle")) + ", format " +
                                  std::to_string(format) + "); use another --out (nothing in it was changed)");
        if (found != wanted)
            throw Error::badInput(file + ": this folder holds an experiment with other settings (scale '" +
                                  found.value("scale", std::string("?")) + "'); use another --out");
        return;
    }
    util::writeTextFileAtomically(file, wanted.dump(2) + "\n");
}

void pretrainStudent(const StudentRecipe& r, const std::string& dir, ExperimentReporter& reporter, const std::string& what)
{
    train::PretrainSettings p;
    p.arch = "llama";
    p.layers = r.layers;
    p.hidden = r.hidden;
    p.heads = r.heads;
    p.tokenizerFrom = r.tokenizerFrom;
    p.dataPaths = {r.dataPath};
    p.outputDir = dir;
    p.train.maxSteps = r.steps;
    p.train.batchSize = r.batch;
    p.train.blockSize = r.blockSize;
    p.train.learningRate = r.learningRate;
    p.train.warmupSteps = std::max<int64_t>(1, r.steps / 10);
    p.train.validateEvery = std::max<int64_t>(1, r.steps / 4);
    p.train.seed = 7;
    p.train.device = r.device;
    if (prepareRun(dir, &p.train))
        return;
    trainOrCancel([&] { train::pretrain(p, trainProgress(reporter, what)); }, dir);
}

bool fineTuneRun(const FineTuneRecipe& r, const ObjectiveConfig& config, const std::string& costFrom, uint64_t seed,
                 const std::string& modelDir, const std::string& trainFile, const std::string& validationFile,
                 const std::string& dir, ExperimentReporter& reporter, const std::string& what)
{
    train::TrainSettings t;
    t.objective = config.objective;
    t.maxSteps = r.steps;
    t.epochs = r.epochs;
    t.costEmbeddingFrom = costFrom;
    t.batchSize = r.batch;
    t.blockSize = r.blockSize;
    t.learningRate = r.learningRate;
    t.schedule = "linear";
    t.validateEvery = r.validateEvery;
    t.seed = seed;
    t.device = r.device;
    t.dataPath = trainFile;
    t.validationPath = validationFile;
    t.modelPath = modelDir;
    t.outputDir = dir;
    if (prepareRun(dir, &t))
        return false;
    train::Trainer trainer(t);
    trainOrCancel([&] { trainer.run(trainProgress(reporter, what)); }, dir);
    return true;
}

double trainSeconds(const train::RunRecord& record)
{
    return record.steps.empty() ? 0.0 : record.steps.back().elapsedSeconds;
}

json metricsJson(const std::vector<eval::MetricValue>& metrics)
{
    json out = json::object();
    for (const auto& m : metrics)
        out[m.name] = {{"mean", m.mean}, {"std", m.std}, {"count", m.count}, {"unit", m.unit}, {"units", m.units}};
    return out;
}

json readScores(const std::string& dir)
{
    const std::string file = joinPath(dir, kScoresFile);
    if (!fs::is_regular_file(file))
        return nullptr;
    try {
        json j = json::parse(util::readTextFile(file));
        if (j.contains("metrics") && j["metrics"].is_object())
            return j;
    } catch (const std::exception&) {
    }
    spdlog::warn("experiment: {} is unreadable; scoring again", file);
    return nullptr;
}

json writeScores(const std::string& dir, const std::string& modelDir, uint64_t firstSeed, int64_t seeds, double seconds,
                 const std::vector<eval::MetricValue>& metrics, const json& extra)
{
    json scores = {{"model", modelDir}, {"first_seed", firstSeed}, {"seeds", seeds},
                   {"eval_seconds", seconds}, {"metrics", metricsJson(metrics)}};
    for (const auto& [key, value] : extra.items())
        scores[key] = value;
    util::writeTextFileAtomically(joinPath(dir, kScoresFile), scores.dump(2) + "\n");
    return scores;
}

eval::MetricValue metricFromScores(const json& scores, const std::string& name)
{
    eval::MetricValue m;
    m.name = name;
    m.count = 0;
    if (scores.is_object() && scores.contains("metrics") && scores["metrics"].contains(name)) {
        const auto& v = scores["metrics"][name];
        m.mean = v.value("mean", 0.0);
        m.std = v.value("std", 0.0);
        m.count = v.value("count", int64_t(0));
        m.unit = v.value("unit", std::string());
        if (v.contains("units") && v["units"].is_array())
            m.units = v["units"].get<std::vector<double>>();
    }
    return m;
}

bool significantlyBetter(const eval::PairedTestResult& t, const std::string& metric)
{
    const eval::MetricInfo* info = eval::findMetric(metric);
    if (t.pairs == 0 || !info)
        return false;
    return (info->lowerIsBetter ? t.meanDifference < 0.0 : t.meanDifference > 0.0) && t.pValue < kSignificanceLevel;
}

eval::PairedTestResult pairedAgainstMle(const SeedUnits& mine, const SeedUnits& mle, const std::string& metric)
{
    std::vector<double> a, b;
    for (const auto& [seed, units] : mine) {
        const auto mleSeed = mle.find(seed);
        if (mleSeed == mle.end())
            continue;
        const auto m = units.find(metric);
        const auto theirs = mleSeed->second.find(metric);
        if (m == units.end() || theirs == mleSeed->second.end() || m->second.size() != theirs->second.size())
            continue;  // scored by another protocol: no pairs
        a.insert(a.end(), m->second.begin(), m->second.end());
        b.insert(b.end(), theirs->second.begin(), theirs->second.end());
    }
    return eval::pairedSignFlipTest(a, b);
}

json modelSummaryJson(const model::LanguageModel& m)
{
    const auto& c = m.config();
    return {{"summary", std::to_string(c.numLayers) + " layers, d " + std::to_string(c.hiddenSize) + ", " +
                            std::to_string(m.parameterCount()) + " parameters, vocabulary " + std::to_string(c.vocabSize)},
            {"parameters", m.parameterCount()}};
}

json pairedTestJson(const eval::PairedTestResult& t, bool significantlyBetter)
{
    if (t.pairs == 0)
        return nullptr;
    return {{"mean_difference", t.meanDifference}, {"p_value", t.pValue}, {"pairs", t.pairs},
            {"exact", t.exact}, {"significantly_better", significantlyBetter}};
}

std::string formatMetricMean(const eval::MetricValue& m)
{
    if (m.count == 0)
        return "–";
    char text[64];
    const eval::MetricInfo* info = eval::findMetric(m.name);
    const bool large = info && info->scale == eval::MetricScale::Perplexity;
    if (m.count > 1)
        std::snprintf(text, sizeof(text), large ? "%.1f ± %.1f" : "%.3f ± %.3f", m.mean, m.std);
    else
        std::snprintf(text, sizeof(text), large ? "%.1f" : "%.3f", m.mean);
    return text;
}

} // namespace emo::experiment
