#include "experiment/oracle_experiment.h"

// The orchestration: oracle samples, the student, the fine-tunes, their scores, the gate and Figure 2's
// cross-entropies. Presets: oracle_experiment_settings.cpp; results files: oracle_experiment_report.cpp.

#include "eval/continuation_eval.h"
#include "eval/paired_test.h"
#include "eval/sequence_scoring.h"
#include "eval/token_cross_entropy.h"
#include "experiment/experiment_runs.h"
#include "experiment/oracle_experiment_report.h"
#include "experiment/transport_statistics.h"
#include "io/documents.h"
#include "objective/cost_embedding.h"
#include "text/document_blocks.h"
#include "text/tokenizer.h"
#include "eval/model_evaluation.h"
#include "generate/sampler.h"
#include "model/model_folder.h"
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
#include <tuple>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace emo::experiment {
namespace {


// Unconditional oracle samples (from BOS), one JSONL document each; written once, kept on later invocations.
void writeOracleSamples(model::LanguageModel& oracle, const text::Tokenizer& tokenizer, const std::string& file,
                        int64_t documents, int64_t tokens, uint64_t seed, ExperimentReporter& reporter)
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

// `count` unconditional samples of `model` (from the family's start token, stopped at EOS or after
// `tokens`): mean length in tokens without the EOS, and the share that ended by EOS.
std::pair<double, double> sampleLengths(model::LanguageModel& model, const text::Tokenizer& tokenizer, int64_t count,
                                        int64_t tokens, ExperimentReporter& reporter, const std::string& what)
{
    generate::SampleSettings settings;
    settings.maxNewTokens = tokens;
    settings.seed = 404;
    generate::Sampler sampler(model, &tokenizer);
    const auto samples = sampler.sample(std::vector<std::string>(static_cast<size_t>(count)), settings,
                                        [&](const Progress&) { return reporter.report(what); });
    double length = 0.0, ended = 0.0;
    for (const auto& sample : samples) {
        length += static_cast<double>(sample.tokenIds.size()) - (sample.finishedByEos ? 1.0 : 0.0);
        ended += sample.finishedByEos ? 1.0 : 0.0;
    }
    return {length / static_cast<double>(count), ended / static_cast<double>(count)};
}

// The experiment's metrics of one model (oracle perplexity, test perplexity, MAUVE with oracle features,
// ROUGE-1/L), sampling with seeds firstSeed … firstSeed + seeds − 1.
std::vector<eval::MetricValue> scoreModel(const OracleExperimentSettings& s, model::LanguageModel& model,
                                          const text::Tokenizer& tokenizer, model::LanguageModel& oracle,
                                          const text::Tokenizer& oracleTokenizer, const std::string& testFile,
                                          uint64_t firstSeed, int64_t seeds, ExperimentReporter& reporter, const std::string& what)
{
    eval::ContinuationModels models;
    models.model = &model;
    models.tokenizer = &tokenizer;
    models.oracle = &oracle;
    models.oracleTokenizer = &oracleTokenizer;
    eval::ModelEvaluationSettings settings;
    settings.metrics = {"oracle-ppl", "ppl", "mauve", "rouge"};
    settings.pplBlock = s.blockSize;  // test perplexity on blocks as the runs trained (the oracle has more positions)
    settings.seed = firstSeed;
    settings.continuation.protocol = s.protocol;
    settings.continuation.continuationTokens = s.continuationTokens;
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

// The contents of a scores.json, and whether this invocation computed them.
struct Scores {
    json scores;
    bool computedNow = false;
};

// Scores the model in `modelDir` unless `scoresDir` holds its scores.json already.
Scores scoreFolder(const OracleExperimentSettings& s, const std::string& modelDir, const std::string& scoresDir,
                 model::LanguageModel& oracle, const text::Tokenizer& oracleTokenizer, const std::string& testFile,
                 uint64_t firstSeed, int64_t seeds, ExperimentReporter& reporter, const std::string& what)
{
    json scores = readScores(scoresDir);
    if (!scores.is_null())
        return {scores, false};
    reporter.check(what + ": loading");
    const auto start = ExperimentClock::now();
    const bool isOracle = fs::equivalent(modelDir, s.oraclePath);
    model::ModelFolder loaded;
    if (!isOracle)
        loaded = model::loadModelFolder(modelDir, util::parseDevice(s.device));
    const auto metrics = scoreModel(s, isOracle ? oracle : *loaded.model, isOracle ? oracleTokenizer : *loaded.tokenizer,
                                    oracle, oracleTokenizer, testFile, firstSeed, seeds, reporter, what);
    scores = writeScores(scoresDir, modelDir, firstSeed, seeds, secondsSince(start), metrics);
    return {scores, true};
}

// A reference row from one scores.json (its metrics are already mean ± std over the seeds).
ResultRow referenceRow(const std::string& name, const std::string& label, const json& scores)
{
    ResultRow row;
    row.name = name;
    row.label = label;
    row.objective = "reference";
    for (const auto& metric : oracleMetrics())
        row.metrics.push_back(metricFromScores(scores, metric.name));
    return row;
}

} // namespace

OracleExperimentResult runOracleExperiment(const OracleExperimentSettings& s, const ProgressCallback& progress)
{
    const auto start = ExperimentClock::now();
    checkSettings(s);
    claimExperimentFolder(s.outputDir, settingsJson(s));
    const int64_t totalRuns = static_cast<int64_t>(s.configs.size() * s.seeds.size() + s.diagnostics.size());
    ExperimentReporter reporter(progress, totalRuns);
    OracleExperimentResult result;
    result.outputDir = s.outputDir;

    reporter.check("loading the oracle");
    const auto device = util::parseDevice(s.device);
    auto [oracle, oracleTokenizer] = model::loadModelFolder(s.oraclePath, device);
    if (s.documentTokens + 1 > oracle->config().maxPositions)
        throw Error::badInput("oracle: " + s.oraclePath + " has " + std::to_string(oracle->config().maxPositions) +
                              " positions, fewer than a synthetic document needs");

    // One vocabulary for oracle and student: the oracle scores the student's ids, and Ê is indexed by them.
    if (!s.studentPath.empty()) {
        const auto studentTokenizer = text::loadTokenizer(s.studentPath);
        if (!eval::sameVocabulary(*studentTokenizer, *oracleTokenizer))
            throw Error::badInput("student: " + s.studentPath + " has another vocabulary than the oracle " + s.oraclePath +
                                  " (" + std::to_string(studentTokenizer->vocabSize()) + " " + studentTokenizer->kind() +
                                  " pieces vs " + std::to_string(oracleTokenizer->vocabSize()) + " " +
                                  oracleTokenizer->kind() + "); pretrain one with --tokenizer-from the oracle");
    } else {
        io::readDocuments(s.studentDataPath);  // a missing or empty corpus is refused before any sampling
    }

    const std::string dataDir = joinPath(s.outputDir, "data");
    fs::create_directories(dataDir);
    writeOracleSamples(*oracle, *oracleTokenizer, joinPath(dataDir, "train.jsonl"), s.trainDocuments, s.documentTokens, 101, reporter);
    writeOracleSamples(*oracle, *oracleTokenizer, joinPath(dataDir, "validation.jsonl"), s.validationDocuments, s.documentTokens, 202, reporter);
    writeOracleSamples(*oracle, *oracleTokenizer, joinPath(dataDir, "test.jsonl"), s.testDocuments, s.documentTokens, 303, reporter);
    const std::string testFile = joinPath(dataDir, "test.jsonl");

    const std::string studentDir = s.studentPath.empty() ? joinPath(s.outputDir, "student") : s.studentPath;
    if (s.studentPath.empty()) {
        StudentRecipe recipe;
        recipe.layers = s.studentLayers;
        recipe.hidden = s.studentHidden;
        recipe.heads = s.studentHeads;
        recipe.steps = s.studentPretrainSteps;
        recipe.batch = s.studentPretrainBatch;
        recipe.blockSize = s.blockSize;
        recipe.learningRate = s.studentPretrainLearningRate;
        recipe.tokenizerFrom = s.oraclePath;
        recipe.dataPath = s.studentDataPath;
        recipe.device = s.device;
        pretrainStudent(recipe, studentDir, reporter, "pretraining the student");
    }
    FineTuneRecipe recipe;
    recipe.blockSize = s.blockSize;
    recipe.epochs = s.fineTuneEpochs;
    recipe.steps = s.fineTuneSteps;
    recipe.batch = s.fineTuneBatch;
    recipe.validateEvery = s.validateEvery;
    recipe.learningRate = s.fineTuneLearningRate;
    recipe.device = s.device;

    // Fine-tune and score every (config, seed), in that order, then the diagnostics with the first seed;
    // finished ones are kept as they are. Units of each metric are kept per seed for the paired tests.
    std::vector<ResultRow> rows;
    std::vector<Curve> curves;
    json runsJson = json::array();
    int64_t done = 0;
    std::vector<SeedUnits> unitsOfRow;
    const auto runConfig = [&](const ObjectiveConfig& config, const std::vector<uint64_t>& seeds, const std::string& kind) {
        std::map<std::string, std::vector<double>> values;
        SeedUnits units;
        std::vector<train::RunRecord> records;
        double seconds = 0.0, bestSteps = 0.0, totalSteps = 0.0;
        for (uint64_t seed : seeds) {
            const std::string name = runName(config, seed);
            const std::string dir = joinPath(joinPath(s.outputDir, "runs"), name);
            const std::string what = "run " + std::to_string(done + 1) + "/" + std::to_string(totalRuns) + " " + name;
            reporter.setRunsDone(done);
            const bool trained = fineTuneRun(recipe, config, config.costFrom == "oracle" ? s.oraclePath : config.costFrom,
                                             seed, studentDir, joinPath(dataDir, "train.jsonl"),
                                             joinPath(dataDir, "validation.jsonl"), dir, reporter, what);
            const auto [scores, scored] = scoreFolder(s, dir, dir, *oracle, *oracleTokenizer, testFile, seed, 1, reporter, what);
            const auto record = train::readRunJson(joinPath(dir, train::kRunJson));
            records.push_back(record);
            seconds += trainSeconds(record);
            bestSteps += static_cast<double>(record.bestStep);
            totalSteps += record.steps.empty() ? 0.0 : static_cast<double>(record.steps.back().step);
            json runMetrics = json::object();
            for (const auto& metric : oracleMetrics()) {
                const eval::MetricValue m = metricFromScores(scores, metric.name);
                if (m.count == 0)
                    continue;
                values[metric.name].push_back(m.mean);
                runMetrics[metric.name] = m.mean;
                if (!m.units.empty())
                    units[seed][metric.name] = m.units;
            }
            runsJson.push_back({{"name", name}, {"config", config.name}, {"seed", seed}, {"metrics", runMetrics},
                                {"train_seconds", trainSeconds(record)}, {"eval_seconds", scores.value("eval_seconds", 0.0)},
                                {"best_step", record.bestStep},
                                {"steps", record.steps.empty() ? 0 : record.steps.back().step},
                                {"best_validation_loss", std::isfinite(record.bestValidationLoss) ? json(record.bestValidationLoss) : json(nullptr)}});
            ++done;
            result.runsSkipped += !trained && !scored;
            reporter.setRunsDone(done);
            reporter.report(what + ": done");
        }
        ResultRow row;
        row.name = config.name;
        row.label = config.label;
        row.objective = kind.empty() ? objective::toString(config.objective.kind) : kind;
        for (const auto& metric : oracleMetrics())
            row.metrics.push_back(values[metric.name].empty() ? eval::MetricValue{metric.name, 0.0, 0.0, 0, {}, {}}
                                                              : eval::summarizeMetric(metric.name, values[metric.name]));
        const double n = static_cast<double>(seeds.size());
        row.trainSeconds = seconds / n;
        row.bestStep = std::llround(bestSteps / n);
        row.totalSteps = std::llround(totalSteps / n);
        rows.push_back(row);
        unitsOfRow.push_back(units);
        Curve curve = meanCurve(records, std::max<int64_t>(1, row.totalSteps / 20));
        curve.label = config.label;
        curve.colour = objectiveColour(objective::toString(config.objective.kind));
        for (const auto& other : curves)
            curve.dash += other.colour == curve.colour;
        curve.dash %= 4;
        curves.push_back(std::move(curve));
    };
    for (const auto& config : s.configs)
        runConfig(config, s.seeds, "");
    for (const auto& config : s.diagnostics)
        runConfig(config, {s.seeds.front()}, "diagnostic");
    result.runsDone = done;

    // Paired tests against MLE (the first config) over the units of the seeds both rows have.
    for (size_t r = 1; r < rows.size(); ++r)
        for (const auto& metric : oracleMetrics())
            rows[r].versusMle.push_back(pairedAgainstMle(unitsOfRow[r], unitsOfRow[0], metric.name));

    // References: the student before fine-tuning and the oracle itself, over the same sampling seeds.
    const auto seeds = static_cast<int64_t>(s.seeds.size());
    const std::string studentScoresDir = s.studentPath.empty() ? studentDir : joinPath(s.outputDir, "student-scores");
    fs::create_directories(studentScoresDir);
    const json studentScores = scoreFolder(s, studentDir, studentScoresDir, *oracle, *oracleTokenizer, testFile,
                                           s.seeds.front(), seeds, reporter, "scoring the student before fine-tuning").scores;
    const json oracleScores = scoreFolder(s, s.oraclePath, dataDir, *oracle, *oracleTokenizer, testFile,
                                          s.seeds.front(), seeds, reporter, "scoring the oracle").scores;
    rows.push_back(referenceRow("student", "student before fine-tuning", studentScores));
    rows.push_back(referenceRow("oracle", "oracle (its own samples)", oracleScores));

    // The sanity gate: MLE must improve on the student on both axes.
    const auto meanOf = [](const ResultRow& row, const std::string& name) {
        for (const auto& m : row.metrics)
            if (m.name == name && m.count > 0)
                return m.mean;
        return static_cast<double>(NAN);
    };
    const ResultRow& studentRow = rows[rows.size() - 2];
    SanityGate& gate = result.gate;
    gate.studentPpl = meanOf(studentRow, "ppl");
    gate.mlePpl = meanOf(rows[0], "ppl");
    gate.studentOraclePpl = meanOf(studentRow, "oracle-ppl");
    gate.mleOraclePpl = meanOf(rows[0], "oracle-ppl");
    gate.passed = gate.mlePpl < gate.studentPpl && gate.mleOraclePpl < gate.studentOraclePpl;
    {
        char text[400];
        std::snprintf(text, sizeof(text),
                      "%s: MLE fine-tuning moved test PPL %.1f → %.1f and oracle PPL %.1f → %.1f (both must fall)%s",
                      gate.passed ? "passed" : "FAILED", gate.studentPpl, gate.mlePpl, gate.studentOraclePpl,
                      gate.mleOraclePpl,
                      gate.passed ? "" : "; the setup is broken, so these numbers name no winner");
        gate.message = text;
    }

    // Transport diagnostics: DEMD and mle/demd on the validation set at the start (the student) and at the
    // end (each EMO run of the first seed), each with the Ê its run trained with.
    {
        reporter.check("transport statistics");
        const auto validation = text::tokenizeIntoBlocks(io::readDocuments(joinPath(dataDir, "validation.jsonl")),
                                                         *oracleTokenizer, s.blockSize);
        auto [student, studentTokenizer] = model::loadModelFolder(studentDir, device);
        (void)studentTokenizer;
        const objective::CostEmbedding studentCost(student->lmHeadWeight().detach());
        TransportPercentiles start = transportPercentiles(*student, studentCost, validation);
        start.model = "student";
        result.transport.push_back(start);
        std::vector<const ObjectiveConfig*> emoConfigs;
        for (const auto& c : s.configs)
            if (c.objective.kind == objective::ObjectiveKind::Emo)
                emoConfigs.push_back(&c);
        for (const auto& c : s.diagnostics)
            emoConfigs.push_back(&c);
        for (const auto* c : emoConfigs) {
            const std::string dir = joinPath(joinPath(s.outputDir, "runs"), runName(*c, s.seeds.front()));
            auto [tuned, tunedTokenizer] = model::loadModelFolder(dir, device);
            (void)tunedTokenizer;
            const auto cost = objective::CostEmbedding::load(joinPath(dir, train::kCostEmbeddingFile), device);
            TransportPercentiles end = transportPercentiles(*tuned, cost, validation);
            end.model = runName(*c, s.seeds.front());
            end.costFrom = c->costFrom;
            result.transport.push_back(end);
        }
    }

    // Figure 2 with the exact target: every row's models against the oracle on the validation set (each
    // seed's run for a config, the mean over them).
    {
        const std::string what = "cross-entropy against the oracle";
        reporter.check(what);
        const auto validation = text::tokenizeIntoBlocks(io::readDocuments(joinPath(dataDir, "validation.jsonl")),
                                                         *oracleTokenizer, s.blockSize);
        std::map<std::string, std::vector<uint64_t>> seedsOf;
        for (const auto& c : s.configs)
            seedsOf[c.name] = s.seeds;
        for (const auto& c : s.diagnostics)
            seedsOf[c.name] = {s.seeds.front()};
        for (auto& row : rows) {
            reporter.check(what + ": " + row.label);
            std::vector<std::string> dirs;
            if (row.name == "oracle")
                dirs = {s.oraclePath};
            else if (row.name == "student")
                dirs = {studentDir};
            else
                for (uint64_t seed : seedsOf[row.name])
                    dirs.push_back(joinPath(joinPath(s.outputDir, "runs"), row.name + "-s" + std::to_string(seed)));
            for (const auto& dir : dirs) {
                const bool isOracle = row.name == "oracle";
                model::ModelFolder loaded;
                if (!isOracle)
                    loaded = model::loadModelFolder(dir, device);
                const auto ce = eval::tokenCrossEntropies(isOracle ? *oracle : *loaded.model, *oracle, validation, 8,
                                                          kCrossEntropyBlocks);
                row.forwardCe += ce.forward / static_cast<double>(dirs.size());
                row.reverseCe += ce.reverse / static_cast<double>(dirs.size());
            }
        }
    }

    // Sample lengths (does an objective change where its samples stop?): each config's first-seed run and
    // the references, 64 unconditional samples each.
    {
        const std::string what = "sample lengths";
        reporter.check(what);
        for (auto& row : rows) {
            const bool isOracle = row.name == "oracle";
            const std::string dir = isOracle ? s.oraclePath
                                    : row.name == "student" ? studentDir
                                                            : joinPath(joinPath(s.outputDir, "runs"), row.name + "-s" + std::to_string(s.seeds.front()));
            model::ModelFolder loaded;
            if (!isOracle)
                loaded = model::loadModelFolder(dir, device);
            std::tie(row.meanSampleTokens, row.eosShare) =
                sampleLengths(isOracle ? *oracle : *loaded.model, isOracle ? *oracleTokenizer : *loaded.tokenizer, 64,
                              s.documentTokens, reporter, what);
        }
    }

    // Results: JSON, Markdown, plots.
    reporter.check("writing results");
    json studentInfo;
    {
        auto student = model::LanguageModel::load(studentDir, torch::kCPU);
        studentInfo = modelSummaryJson(*student);
    }
    result.seconds = secondsSince(start);
    result.rows = rows;
    writeOracleResults({s, result, curves, runsJson, modelSummaryJson(*oracle), studentInfo});
    return result;
}

} // namespace emo::experiment
