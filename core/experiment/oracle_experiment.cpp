#include "experiment/oracle_experiment.h"

#include "eval/continuation_eval.h"
#include "eval/model_evaluation.h"
#include "generate/sampler.h"
#include "model/model_folder.h"
#include "report/plot_writer.h"
#include "train/pretrainer.h"
#include "train/run_files.h"
#include "train/trainer.h"
#include "util/atomic_file.h"
#include "util/device.h"
#include "util/error.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace emo::experiment {
namespace {

using Clock = std::chrono::steady_clock;

const char* const kScoresFile = "scores.json";

// The experiment's metrics, in table order: name (as eval reports it), table header, plot title.
struct MetricInfo {
    const char* name;
    const char* header;
    const char* title;
};
const MetricInfo kMetrics[] = {
    {"oracle-ppl", "oracle PPL ↓", "Oracle perplexity of samples (lower is better)"},
    {"ppl", "test PPL ↓", "Test perplexity (lower is better)"},
    {"mauve", "MAUVE ↑", "MAUVE against held-out oracle text (higher is better)"},
    {"rouge-1", "ROUGE-1 ↑", "ROUGE-1 F (higher is better)"},
    {"rouge-l", "ROUGE-L ↑", "ROUGE-L F (higher is better)"},
};


double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string path(const std::string& folder, const std::string& name) { return (fs::path(folder) / name).string(); }

// "0.1", "1e-07": the shortest text that reads back as the value.
std::string shortNumber(double value)
{
    char text[32];
    std::snprintf(text, sizeof(text), "%g", value);
    return text;
}

ObjectiveConfig makeConfig(objective::ObjectiveKind kind, double value = 0.0)
{
    ObjectiveConfig c;
    c.objective.kind = kind;
    switch (kind) {
    case objective::ObjectiveKind::Mle: c.name = "mle"; c.label = "MLE"; break;
    case objective::ObjectiveKind::Emo: c.name = "emo"; c.label = "EMO"; break;
    case objective::ObjectiveKind::Tailr:
        c.objective.tailrGamma = value;
        c.name = "tailr-g" + shortNumber(value);
        c.label = "TaiLr γ=" + shortNumber(value);
        break;
    case objective::ObjectiveKind::Mixce:
        c.objective.mixceEta = value;
        c.name = "mixce-e" + shortNumber(value);
        c.label = "MixCE η=" + shortNumber(value);
        break;
    }
    return c;
}

json settingsJson(const OracleExperimentSettings& s)
{
    json configs = json::array();
    for (const auto& c : s.configs)
        configs.push_back({{"name", c.name}, {"label", c.label}, {"objective", objective::toString(c.objective.kind)},
                           {"tailr_gamma", c.objective.tailrGamma}, {"tailr_min_weight", c.objective.tailrMinWeight},
                           {"mixce_eta", c.objective.mixceEta}, {"emo_mode", objective::toString(c.objective.emoMode)}});
    return {{"scale", s.scale},
            {"oracle", fs::absolute(s.oraclePath).lexically_normal().string()},
            {"student_data", fs::absolute(s.studentDataPath).lexically_normal().string()},
            {"data", {{"train_documents", s.trainDocuments}, {"validation_documents", s.validationDocuments},
                      {"test_documents", s.testDocuments}, {"document_tokens", s.documentTokens}}},
            {"student", {{"layers", s.studentLayers}, {"hidden", s.studentHidden}, {"heads", s.studentHeads},
                         {"pretrain_steps", s.studentPretrainSteps}, {"pretrain_batch", s.studentPretrainBatch},
                         {"pretrain_lr", s.studentPretrainLearningRate}}},
            {"fine_tune", {{"block", s.blockSize}, {"steps", s.fineTuneSteps}, {"batch", s.fineTuneBatch},
                           {"lr", s.fineTuneLearningRate}, {"validate_every", s.validateEvery}}},
            {"evaluation", {{"prefix_words", s.prefixWords}, {"continuation_words", s.continuationWords},
                            {"samples_per_prefix", s.samplesPerPrefix}, {"max_prefixes", s.maxPrefixes}}},
            {"seeds", s.seeds},
            {"configs", configs}};
}

void checkSettings(const OracleExperimentSettings& s)
{
    if (s.outputDir.empty())
        throw Error::badInput("out: no output folder given");
    if (s.oraclePath.empty() || !fs::is_regular_file(path(s.oraclePath, "config.json")))
        throw Error::badInput("oracle: " + s.oraclePath + " is not a model folder (no config.json)");
    if (s.studentDataPath.empty() || !fs::is_regular_file(s.studentDataPath))
        throw Error::badInput("student data: " + s.studentDataPath + " is not a file");
    if (s.seeds.empty() || s.configs.empty())
        throw Error::badInput("experiment: no seeds or no objective configs");
    for (const auto* count : {&s.trainDocuments, &s.validationDocuments, &s.testDocuments, &s.documentTokens,
                              &s.studentPretrainSteps, &s.fineTuneSteps, &s.samplesPerPrefix, &s.maxPrefixes})
        if (*count <= 0)
            throw Error::badInput("experiment: document counts, steps, samples and prefixes must be positive");
}

// The settings of the folder: written on the first invocation; a later one must ask for the same experiment
// (the device may differ), or it would mix results of two designs.
void claimOutputFolder(const OracleExperimentSettings& s)
{
    std::error_code ec;
    fs::create_directories(s.outputDir, ec);
    if (!fs::is_directory(s.outputDir))
        throw Error::runtime("out: cannot create " + s.outputDir + (ec ? " (" + ec.message() + ")" : ""));
    const std::string file = path(s.outputDir, "experiment.json");
    const json wanted = settingsJson(s);
    if (fs::exists(file)) {
        json found;
        try {
            found = json::parse(util::readTextFile(file));
        } catch (const std::exception& e) {
            throw Error::badInput(file + ": not readable as JSON (" + e.what() + "); remove it or use another --out");
        }
        if (found != wanted)
            throw Error::badInput(file + ": this folder holds an experiment with other settings (scale '" +
                                  found.value("scale", std::string("?")) + "'); use another --out");
        return;
    }
    util::writeTextFileAtomically(file, wanted.dump(2) + "\n");
}

// Cancellation and the progress line, shared by every stage.
class Reporter {
public:
    Reporter(const ProgressCallback& callback, int64_t totalRuns) : m_callback(callback), m_total(totalRuns) {}

    void setRunsDone(int64_t done) { m_done = done; }
    bool report(const std::string& stage)
    {
        if (!m_callback)
            return true;
        Progress p;
        p.stage = stage;
        p.done = m_done;
        p.total = m_total;
        return m_callback(p);
    }
    void check(const std::string& stage)
    {
        if (!report(stage))
            throw Error::cancelled();
    }

private:
    const ProgressCallback& m_callback;
    int64_t m_total;
    int64_t m_done = 0;
};

// Unconditional oracle samples (from BOS), one JSONL document each; written once, kept on later invocations.
void writeOracleSamples(model::LanguageModel& oracle, const text::Tokenizer& tokenizer, const std::string& file,
                        int64_t documents, int64_t tokens, uint64_t seed, Reporter& reporter)
{
    if (fs::is_regular_file(file))
        return;
    const std::string name = fs::path(file).filename().string();
    reporter.check("oracle samples " + name);
    generate::SampleSettings settings;
    settings.maxNewTokens = tokens;
    settings.samplesPerPrompt = 1;
    settings.seed = seed;
    settings.maxBatchRows = 64;
    generate::Sampler sampler(oracle, &tokenizer);
    const std::vector<std::string> prompts(static_cast<size_t>(documents), std::string());
    const auto samples = sampler.sample(prompts, settings, [&](const Progress& p) {
        return reporter.report("oracle samples " + name + ": " + std::to_string(p.done) + "/" + std::to_string(p.total));
    });
    std::string text;
    int64_t kept = 0;
    for (const auto& sample : samples) {
        if (sample.text.find_first_not_of(" \t\r\n") == std::string::npos)
            continue;  // EOS at once: an empty document would be dropped by the reader anyway
        text += json{{"text", sample.text}}.dump() + "\n";
        ++kept;
    }
    if (kept == 0)
        throw Error::runtime("oracle samples: every sample of " + file + " was empty");
    util::writeTextFileAtomically(file, text);
    spdlog::info("experiment: {} oracle samples in {}", kept, file);
}

// What an earlier invocation left in a run folder.
enum class RunState { Completed, Resumable, Fresh };

RunState runState(const std::string& dir)
{
    const std::string runJson = path(dir, train::kRunJson);
    if (!fs::is_regular_file(runJson))
        return RunState::Fresh;
    try {
        if (train::readRunJson(runJson).status == "completed")
            return RunState::Completed;
    } catch (const Error&) {
        return RunState::Fresh;
    }
    return fs::is_regular_file(path(dir, train::kTrainerStateFile)) ? RunState::Resumable : RunState::Fresh;
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

train::TrainProgressCallback trainProgress(Reporter& reporter, const std::string& what)
{
    return [&reporter, what](const train::TrainProgress& p) {
        std::string stage = what + ": " + p.stage;
        if (p.totalSteps > 0)
            stage += " " + std::to_string(p.step) + "/" + std::to_string(p.totalSteps);
        return reporter.report(stage);
    };
}

void finishTraining(const train::TrainResult& result, const std::string& dir)
{
    if (result.status == train::TrainStatus::Cancelled)
        throw Error::cancelled("cancelled; run the same command again to continue " + dir);
}

void pretrainStudent(const OracleExperimentSettings& s, const std::string& dir, Reporter& reporter)
{
    train::PretrainSettings p;
    p.arch = "llama";
    p.layers = s.studentLayers;
    p.hidden = s.studentHidden;
    p.heads = s.studentHeads;
    p.tokenizerFrom = s.oraclePath;
    p.dataPaths = {s.studentDataPath};
    p.outputDir = dir;
    p.train.maxSteps = s.studentPretrainSteps;
    p.train.batchSize = s.studentPretrainBatch;
    p.train.blockSize = s.blockSize;
    p.train.learningRate = s.studentPretrainLearningRate;
    p.train.warmupSteps = std::max<int64_t>(1, s.studentPretrainSteps / 10);
    p.train.validateEvery = std::max<int64_t>(1, s.studentPretrainSteps / 4);
    p.train.seed = 7;
    p.train.device = s.device;
    if (prepareRun(dir, &p.train))
        return;
    finishTraining(train::pretrain(p, trainProgress(reporter, "pretraining the student")), dir);
}

// Trains the run in `dir` unless it is complete; true when it trained now (from the start or resumed).
bool fineTune(const OracleExperimentSettings& s, const ObjectiveConfig& config, uint64_t seed,
              const std::string& studentDir, const std::string& dataDir, const std::string& dir, Reporter& reporter,
              const std::string& what)
{
    train::TrainSettings t;
    t.objective = config.objective;
    t.maxSteps = s.fineTuneSteps;
    t.batchSize = s.fineTuneBatch;
    t.blockSize = s.blockSize;
    t.learningRate = s.fineTuneLearningRate;
    t.schedule = "linear";
    t.validateEvery = s.validateEvery;
    t.seed = seed;
    t.device = s.device;
    t.dataPath = path(dataDir, "train.jsonl");
    t.validationPath = path(dataDir, "validation.jsonl");
    t.modelPath = studentDir;
    t.outputDir = dir;
    if (prepareRun(dir, &t))
        return false;
    train::Trainer trainer(t);
    finishTraining(trainer.run(trainProgress(reporter, what)), dir);
    return true;
}

// The experiment's metrics of one model (oracle perplexity, test perplexity, MAUVE with oracle features,
// ROUGE-1/L), sampling with seeds firstSeed … firstSeed + seeds − 1.
std::vector<eval::MetricValue> scoreModel(const OracleExperimentSettings& s, model::LanguageModel& model,
                                          const text::Tokenizer& tokenizer, model::LanguageModel& oracle,
                                          const text::Tokenizer& oracleTokenizer, const std::string& testFile,
                                          uint64_t firstSeed, int64_t seeds, Reporter& reporter, const std::string& what)
{
    eval::ContinuationModels models;
    models.model = &model;
    models.tokenizer = &tokenizer;
    models.oracle = &oracle;
    models.oracleTokenizer = &oracleTokenizer;
    eval::ModelEvaluationSettings settings;
    settings.metrics = {"oracle-ppl", "ppl", "mauve", "rouge"};
    settings.seed = firstSeed;
    settings.continuation.prefixWords = s.prefixWords;
    settings.continuation.continuationWords = s.continuationWords;
    settings.continuation.samplesPerPrefix = s.samplesPerPrefix;
    settings.continuation.maxPrefixes = s.maxPrefixes;
    settings.continuation.seeds = seeds;
    settings.continuation.firstSeed = firstSeed;
    const auto evaluation = eval::evaluateModel(models, testFile, settings, [&](const Progress& p) {
        return reporter.report(what + ": " + p.stage + (p.total > 0 ? " " + std::to_string(p.done) + "/" +
                                                                          std::to_string(p.total) : ""));
    });
    return evaluation.report.metrics;
}

json metricsJson(const std::vector<eval::MetricValue>& metrics)
{
    json out = json::object();
    for (const auto& m : metrics)
        out[m.name] = {{"mean", m.mean}, {"std", m.std}, {"count", m.count}};
    return out;
}

// scores.json of a folder, or null when there is none (or it does not parse: then it is computed again).
json readScores(const std::string& dir)
{
    const std::string file = path(dir, kScoresFile);
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

// The contents of a scores.json, and whether this invocation computed them.
struct Scores {
    json scores;
    bool computedNow = false;
};

// Scores the model in `modelDir` unless `scoresDir` holds its scores.json already.
Scores scoreFolder(const OracleExperimentSettings& s, const std::string& modelDir, const std::string& scoresDir,
                 model::LanguageModel& oracle, const text::Tokenizer& oracleTokenizer, const std::string& testFile,
                 uint64_t firstSeed, int64_t seeds, Reporter& reporter, const std::string& what)
{
    json scores = readScores(scoresDir);
    if (!scores.is_null())
        return {scores, false};
    reporter.check(what + ": loading");
    const auto start = Clock::now();
    const bool isOracle = fs::equivalent(modelDir, s.oraclePath);
    model::ModelFolder loaded;
    if (!isOracle)
        loaded = model::loadModelFolder(modelDir, util::parseDevice(s.device));
    const auto metrics = scoreModel(s, isOracle ? oracle : *loaded.model, isOracle ? oracleTokenizer : *loaded.tokenizer,
                                    oracle, oracleTokenizer, testFile, firstSeed, seeds, reporter, what);
    scores = {{"model", modelDir}, {"first_seed", firstSeed}, {"seeds", seeds},
              {"eval_seconds", secondsSince(start)}, {"metrics", metricsJson(metrics)}};
    util::writeTextFileAtomically(path(scoresDir, kScoresFile), scores.dump(2) + "\n");
    return {scores, true};
}

// A reference row from one scores.json (its metrics are already mean ± std over the seeds).
ResultRow referenceRow(const std::string& name, const std::string& label, const json& scores)
{
    ResultRow row;
    row.name = name;
    row.label = label;
    row.objective = "reference";
    for (const auto& metric : kMetrics) {
        eval::MetricValue m;
        m.name = metric.name;
        if (scores.is_object() && scores["metrics"].contains(metric.name)) {
            const auto& v = scores["metrics"][metric.name];
            m.mean = v.value("mean", 0.0);
            m.std = v.value("std", 0.0);
            m.count = v.value("count", int64_t(0));
        }
        row.metrics.push_back(m);
    }
    return row;
}

std::string runName(const ObjectiveConfig& config, uint64_t seed) { return config.name + "-s" + std::to_string(seed); }

// Training time of a completed run folder: the wall time its history records (across resumes).
double trainSeconds(const train::RunRecord& record)
{
    return record.steps.empty() ? 0.0 : record.steps.back().elapsedSeconds;
}

// A config's mean training curves and how the line plots draw it.
struct Curve {
    std::string label;
    int colour = 0;   // the objective's colour, as in the bar charts
    int dash = 0;     // grid points of one objective apart
    std::vector<double> validationSteps, validationCe;
    std::vector<double> trainSteps, trainCe;
};

// Mean over the seeds' run.json histories: validation CE at each validation step, and the training CE of
// each step averaged over windows of `window` steps (the per-step value is noisy).
Curve meanCurve(const std::vector<train::RunRecord>& records, int64_t window)
{
    std::map<int64_t, std::pair<double, int>> validation, training;
    for (const auto& r : records) {
        for (const auto& v : r.validations)
            if (std::isfinite(v.validationLoss)) {
                validation[v.step].first += v.validationLoss;
                validation[v.step].second += 1;
            }
        for (const auto& st : r.steps)
            if (std::isfinite(st.mlePart)) {
                const int64_t bucket = ((st.step - 1) / window + 1) * window;
                training[bucket].first += st.mlePart;
                training[bucket].second += 1;
            }
    }
    Curve curve;
    for (const auto& [step, sum] : validation) {
        curve.validationSteps.push_back(static_cast<double>(step));
        curve.validationCe.push_back(sum.first / sum.second);
    }
    for (const auto& [step, sum] : training) {
        curve.trainSteps.push_back(static_cast<double>(step));
        curve.trainCe.push_back(sum.first / sum.second);
    }
    return curve;
}

int colourOf(const std::string& objective)
{
    if (objective == "mle") return 0;
    if (objective == "tailr") return 1;
    if (objective == "mixce") return 2;
    if (objective == "emo") return 3;
    return 9;
}

std::string formatMean(const eval::MetricValue& m)
{
    if (m.count == 0)
        return "–";
    char text[64];
    const bool large = m.name == "ppl" || m.name == "oracle-ppl";
    if (m.count > 1)
        std::snprintf(text, sizeof(text), large ? "%.1f ± %.1f" : "%.3f ± %.3f", m.mean, m.std);
    else
        std::snprintf(text, sizeof(text), large ? "%.1f" : "%.3f", m.mean);
    return text;
}

void writePlots(const OracleExperimentSettings& s, const std::vector<ResultRow>& rows, const std::vector<Curve>& curves)
{
    std::vector<const ResultRow*> configRows;
    for (const auto& r : rows)
        if (r.objective != "reference")
            configRows.push_back(&r);
    for (size_t k = 0; k < std::size(kMetrics); ++k) {
        report::Plot plot;
        plot.kind = report::Plot::Kind::Bars;
        plot.title = kMetrics[k].title;
        plot.subtitle = "mean ± std over " + std::to_string(s.seeds.size()) + " seeds; student fine-tuned on oracle samples";
        plot.yLabel = kMetrics[k].header;
        report::PlotSeries series;
        series.name = kMetrics[k].name;
        for (const auto* r : configRows) {
            plot.categories.push_back(r->label);
            plot.categoryColours.push_back(colourOf(r->objective));
            series.y.push_back(r->metrics[k].count > 0 ? r->metrics[k].mean : NAN);
            series.error.push_back(r->metrics[k].std);
        }
        plot.series.push_back(series);
        if (series.name == "mauve")
            plot.yCeiling = 1.0;
        report::writePlot(plot, path(s.outputDir, kMetrics[k].name));
    }
    for (int which = 0; which < 2; ++which) {
        report::Plot plot;
        plot.kind = report::Plot::Kind::Lines;
        plot.title = which == 0 ? "Validation cross-entropy while fine-tuning" : "Training cross-entropy while fine-tuning";
        plot.subtitle = which == 0 ? "oracle-sampled validation set; mean over seeds"
                                   : "mean over seeds and windows of steps (the objectives' own losses differ)";
        plot.xLabel = "optimizer step";
        plot.yLabel = "cross-entropy (nats per token)";
        for (const Curve& c : curves) {
            report::PlotSeries series;
            series.name = c.label;
            series.colour = c.colour;
            series.dash = c.dash;
            series.x = which == 0 ? c.validationSteps : c.trainSteps;
            series.y = which == 0 ? c.validationCe : c.trainCe;
            plot.series.push_back(series);
        }
        plot.height = 480;
        report::writePlot(plot, path(s.outputDir, which == 0 ? "training-curves" : "training-ce"));
    }
}

std::string setupMarkdown(const OracleExperimentSettings& s, const json& oracleInfo, const json& studentInfo)
{
    std::ostringstream md;
    md << "- **Oracle**: `" << fs::path(s.oraclePath).filename().string() << "` (" << oracleInfo.value("summary", "")
       << "), sampling " << s.trainDocuments << " training, " << s.validationDocuments << " validation and "
       << s.testDocuments << " test documents of at most " << s.documentTokens
       << " tokens each, unconditionally (from BOS), by unbiased ancestral sampling.\n";
    md << "- **Student**: LLaMA-family, " << s.studentLayers << " layers, d " << s.studentHidden << ", "
       << s.studentHeads << " heads, the oracle's vocabulary (" << studentInfo.value("summary", "")
       << "), pretrained from scratch with MLE on `" << fs::path(s.studentDataPath).parent_path().filename().string()
       << "/" << fs::path(s.studentDataPath).filename().string() << "` for " << s.studentPretrainSteps
       << " steps (other text than the oracle's).\n";
    md << "- **Fine-tuning**: each objective from the same student, " << s.fineTuneSteps << " steps × "
       << s.fineTuneBatch << " blocks of " << s.blockSize << " tokens, AdamW lr " << shortNumber(s.fineTuneLearningRate)
       << ", linear decay, no warm-up, validation every " << s.validateEvery
       << " steps, the best validation checkpoint kept; seeds";
    for (auto seed : s.seeds)
        md << " " << seed;
    md << " (data order and sampling).\n";
    md << "- **Scoring** on the oracle's held-out test documents: prefix " << s.prefixWords << " words, continuation "
       << s.continuationWords << " words, " << s.samplesPerPrefix << " samples per prefix for up to " << s.maxPrefixes
       << " prefixes (unbiased sampling). Oracle PPL = exp(mean NLL of the sampled tokens under the oracle); test "
          "PPL = the model's perplexity of the test documents; MAUVE of prefix-inclusive samples vs references with the "
          "oracle's last-token features; ROUGE-1/L F with stemming, prefix-inclusive.\n";
    return md.str();
}

} // namespace

OracleExperimentSettings OracleExperimentSettings::preset(const std::string& scale)
{
    using objective::ObjectiveKind;
    OracleExperimentSettings s;
    s.scale = scale;
    if (scale == "full") {
        s.configs = {makeConfig(ObjectiveKind::Mle)};
        for (double gamma : {1e-7, 0.1, 0.5})
            s.configs.push_back(makeConfig(ObjectiveKind::Tailr, gamma));
        for (double eta : {0.1, 0.3, 0.5, 0.7})
            s.configs.push_back(makeConfig(ObjectiveKind::Mixce, eta));
        s.configs.push_back(makeConfig(ObjectiveKind::Emo));
    } else if (scale == "quick") {
        s.trainDocuments = 400;
        s.validationDocuments = 40;
        s.testDocuments = 60;
        s.documentTokens = 96;
        s.studentPretrainSteps = 120;
        s.fineTuneSteps = 50;
        s.validateEvery = 25;
        s.maxPrefixes = 40;
        s.configs = {makeConfig(ObjectiveKind::Mle), makeConfig(ObjectiveKind::Tailr, 1e-7),
                     makeConfig(ObjectiveKind::Mixce, 0.5), makeConfig(ObjectiveKind::Emo)};
    } else if (scale == "micro") {
        s.trainDocuments = 24;
        s.validationDocuments = 6;
        s.testDocuments = 8;
        s.documentTokens = 24;
        s.studentLayers = 1;
        s.studentHidden = 32;
        s.studentHeads = 2;
        s.studentPretrainSteps = 4;
        s.studentPretrainBatch = 4;
        s.blockSize = 32;
        s.fineTuneSteps = 3;
        s.fineTuneBatch = 4;
        s.validateEvery = 2;
        s.prefixWords = 3;
        s.continuationWords = 8;
        s.samplesPerPrefix = 2;
        s.maxPrefixes = 4;
        s.seeds = {1, 2};
        s.configs = {makeConfig(ObjectiveKind::Mle), makeConfig(ObjectiveKind::Tailr, 1e-7),
                     makeConfig(ObjectiveKind::Mixce, 0.5), makeConfig(ObjectiveKind::Emo)};
    } else {
        throw Error::badInput("scale: unknown scale '" + scale + "' (full, quick, micro)");
    }
    return s;
}

std::string resultsMarkdownTable(const std::vector<ResultRow>& rows)
{
    std::ostringstream md;
    md << "| model |";
    for (const auto& metric : kMetrics)
        md << " " << metric.header << " |";
    md << " fine-tune time |\n|---|";
    for (size_t k = 0; k < std::size(kMetrics); ++k)
        md << "---:|";
    md << "---:|\n";
    for (const auto& row : rows) {
        md << "| " << row.label << " |";
        for (const auto& m : row.metrics)
            md << " " << formatMean(m) << " |";
        char time[32];
        std::snprintf(time, sizeof(time), "%.0f s", row.trainSeconds);
        md << " " << (row.objective == "reference" ? "–" : time) << " |\n";
    }
    return md.str();
}

OracleExperimentResult runOracleExperiment(const OracleExperimentSettings& s, const ProgressCallback& progress)
{
    const auto start = Clock::now();
    checkSettings(s);
    claimOutputFolder(s);
    const int64_t totalRuns = static_cast<int64_t>(s.configs.size() * s.seeds.size());
    Reporter reporter(progress, totalRuns);
    OracleExperimentResult result;
    result.outputDir = s.outputDir;

    reporter.check("loading the oracle");
    const auto device = util::parseDevice(s.device);
    auto [oracle, oracleTokenizer] = model::loadModelFolder(s.oraclePath, device);
    if (s.documentTokens + 1 > oracle->config().maxPositions)
        throw Error::badInput("oracle: " + s.oraclePath + " has " + std::to_string(oracle->config().maxPositions) +
                              " positions, fewer than a synthetic document needs");

    const std::string dataDir = path(s.outputDir, "data");
    fs::create_directories(dataDir);
    writeOracleSamples(*oracle, *oracleTokenizer, path(dataDir, "train.jsonl"), s.trainDocuments, s.documentTokens, 101, reporter);
    writeOracleSamples(*oracle, *oracleTokenizer, path(dataDir, "validation.jsonl"), s.validationDocuments, s.documentTokens, 202, reporter);
    writeOracleSamples(*oracle, *oracleTokenizer, path(dataDir, "test.jsonl"), s.testDocuments, s.documentTokens, 303, reporter);
    const std::string testFile = path(dataDir, "test.jsonl");

    const std::string studentDir = path(s.outputDir, "student");
    pretrainStudent(s, studentDir, reporter);

    // Fine-tune and score every (config, seed), in that order; finished ones are kept as they are.
    std::vector<ResultRow> rows;
    std::vector<Curve> curves;
    json runsJson = json::array();
    int64_t done = 0;
    for (const auto& config : s.configs) {
        std::map<std::string, std::vector<double>> values;
        std::vector<train::RunRecord> records;
        double seconds = 0.0;
        for (uint64_t seed : s.seeds) {
            const std::string name = runName(config, seed);
            const std::string dir = path(path(s.outputDir, "runs"), name);
            const std::string what = "run " + std::to_string(done + 1) + "/" + std::to_string(totalRuns) + " " + name;
            reporter.setRunsDone(done);
            const bool trained = fineTune(s, config, seed, studentDir, dataDir, dir, reporter, what);
            const auto [scores, scored] = scoreFolder(s, dir, dir, *oracle, *oracleTokenizer, testFile, seed, 1, reporter, what);
            const auto record = train::readRunJson(path(dir, train::kRunJson));
            records.push_back(record);
            seconds += trainSeconds(record);
            json runMetrics = json::object();
            for (const auto& metric : kMetrics)
                if (scores["metrics"].contains(metric.name)) {
                    const double v = scores["metrics"][metric.name].value("mean", 0.0);
                    values[metric.name].push_back(v);
                    runMetrics[metric.name] = v;
                }
            runsJson.push_back({{"name", name}, {"config", config.name}, {"seed", seed}, {"metrics", runMetrics},
                                {"train_seconds", trainSeconds(record)}, {"eval_seconds", scores.value("eval_seconds", 0.0)},
                                {"best_step", record.bestStep},
                                {"best_validation_loss", std::isfinite(record.bestValidationLoss) ? json(record.bestValidationLoss) : json(nullptr)}});
            ++done;
            result.runsSkipped += !trained && !scored;
            reporter.setRunsDone(done);
            reporter.report(what + ": done");
        }
        ResultRow row;
        row.name = config.name;
        row.label = config.label;
        row.objective = objective::toString(config.objective.kind);
        for (const auto& metric : kMetrics)
            row.metrics.push_back(values[metric.name].empty() ? eval::MetricValue{metric.name, 0.0, 0.0, 0}
                                                              : eval::summarizeMetric(metric.name, values[metric.name]));
        row.trainSeconds = seconds / s.seeds.size();
        rows.push_back(row);
        Curve curve = meanCurve(records, std::max<int64_t>(1, s.fineTuneSteps / 20));
        curve.label = config.label;
        curve.colour = colourOf(row.objective);
        for (const auto& other : curves)
            curve.dash += other.colour == curve.colour;
        curve.dash %= 4;
        curves.push_back(std::move(curve));
    }
    result.runsDone = done;

    // References: the student before fine-tuning and the oracle itself, over the same sampling seeds.
    const auto seeds = static_cast<int64_t>(s.seeds.size());
    const json studentScores = scoreFolder(s, studentDir, studentDir, *oracle, *oracleTokenizer, testFile,
                                           s.seeds.front(), seeds, reporter, "scoring the student before fine-tuning").scores;
    const json oracleScores = scoreFolder(s, s.oraclePath, dataDir, *oracle, *oracleTokenizer, testFile,
                                          s.seeds.front(), seeds, reporter, "scoring the oracle").scores;
    rows.push_back(referenceRow("student", "student before fine-tuning", studentScores));
    rows.push_back(referenceRow("oracle", "oracle (its own samples)", oracleScores));

    // Results: JSON, Markdown, plots.
    reporter.check("writing results");
    const auto describe = [](const model::LanguageModel& m) {
        const auto& c = m.config();
        return json{{"summary", std::to_string(c.numLayers) + " layers, d " + std::to_string(c.hiddenSize) + ", " +
                                    std::to_string(m.parameterCount()) + " parameters, vocabulary " + std::to_string(c.vocabSize)},
                    {"parameters", m.parameterCount()}};
    };
    const json oracleInfo = describe(*oracle);
    json studentInfo;
    {
        auto student = model::LanguageModel::load(studentDir, torch::kCPU);
        studentInfo = describe(*student);
    }
    json rowsJson = json::array();
    for (const auto& row : rows) {
        json metrics = json::array();
        for (const auto& m : row.metrics)
            metrics.push_back({{"name", m.name}, {"mean", m.mean}, {"std", m.std}, {"count", m.count}});
        rowsJson.push_back({{"name", row.name}, {"label", row.label}, {"objective", row.objective},
                            {"metrics", metrics}, {"train_seconds", row.trainSeconds}});
    }
    json curvesJson = json::array();
    for (const auto& c : curves)
        curvesJson.push_back({{"config", c.label}, {"validation_steps", c.validationSteps}, {"validation_ce", c.validationCe},
                              {"train_steps", c.trainSteps}, {"train_ce", c.trainCe}});
    result.seconds = secondsSince(start);
    const json results = {{"format", 1}, {"experiment", "oracle"}, {"settings", settingsJson(s)},
                          {"oracle", oracleInfo}, {"student", studentInfo}, {"rows", rowsJson}, {"runs", runsJson},
                          {"curves", curvesJson}, {"seconds_this_invocation", result.seconds},
                          {"runs_skipped", result.runsSkipped}};
    util::writeTextFileAtomically(path(s.outputDir, "results.json"), results.dump(2) + "\n");

    bool plotted = report::canWritePlots();
    if (plotted)
        writePlots(s, rows, curves);

    std::ostringstream md;
    md << "# Oracle experiment (" << s.scale << " scale)\n\n"
       << "The design of the EMO paper's oracle experiment (Table 2) with models this machine trains: the oracle's "
          "samples stand in for human text, so the oracle's perplexity of a model's samples measures precision and "
          "the model's perplexity of held-out oracle text measures recall.\n\n"
       << "Mean ± sample standard deviation over " << s.seeds.size() << " seeds (fine-tuning and sampling). Fine-tune "
          "time is wall time per run on this machine.\n\n"
       << resultsMarkdownTable(rows) << "\n"
       << "## Setup\n\n"
       << setupMarkdown(s, oracleInfo, studentInfo) << "\n";
    if (plotted) {
        md << "## Plots\n\n";
        for (const auto& metric : kMetrics)
            md << "![" << metric.title << "](" << metric.name << ".png)\n";
        md << "![validation cross-entropy](training-curves.png)\n![training cross-entropy](training-ce.png)\n";
    } else {
        md << "(No plots: this build of emo has no cairo.)\n";
    }
    util::writeTextFileAtomically(path(s.outputDir, "results.md"), md.str());
    result.rows = rows;
    return result;
}

} // namespace emo::experiment
