#include "experiment/oracle_experiment.h"

#include "eval/continuation_eval.h"
#include "eval/paired_test.h"
#include "eval/sequence_scoring.h"
#include "eval/token_cross_entropy.h"
#include "experiment/experiment_runs.h"
#include "experiment/transport_statistics.h"
#include "io/documents.h"
#include "objective/cost_embedding.h"
#include "text/document_blocks.h"
#include "text/tokenizer.h"
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
#include <tuple>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace emo::experiment {
namespace {

// The layout and design of the folder; a folder of another format is refused, never mixed into.
const int kFormat = 2;
const int64_t kCrossEntropyBlocks = 32;  // validation blocks of Figure 2's cross-entropies against the oracle

// The experiment's metrics, in table order: name (as eval reports it and the catalog knows it, with its
// direction), and how this experiment titles it: table header, plot title.
struct ExperimentMetric {
    const char* name;
    const char* header;
    const char* title;
};
const ExperimentMetric kMetrics[] = {
    {"oracle-ppl", "oracle PPL ↓", "Oracle perplexity of samples (lower is better)"},
    {"ppl", "test PPL ↓", "Test perplexity (lower is better)"},
    {"mauve", "MAUVE ↑", "MAUVE against held-out oracle text (higher is better)"},
    {"rouge-1", "ROUGE-1 ↑", "ROUGE-1 F (higher is better)"},
    {"rouge-l", "ROUGE-L ↑", "ROUGE-L F (higher is better)"},
};

// Whether a paired test says `row` beats MLE on metric k at the paper's level (its bold).
bool significantlyBetter(const ResultRow& row, size_t k)
{
    return k < row.versusMle.size() && experiment::significantlyBetter(row.versusMle[k], kMetrics[k].name);
}


// A Markdown header over the metrics: "| first | <metric headers> | extra… |" and its separator line
// (numbers right-aligned).
std::string metricTableHeader(const std::string& first, const std::vector<std::string>& extra)
{
    std::string header = "| " + first + " |", separator = "|---|";
    for (const auto& metric : kMetrics) {
        header += std::string(" ") + metric.header + " |";
        separator += "---:|";
    }
    for (const auto& column : extra) {
        header += " " + column + " |";
        separator += "---:|";
    }
    return header + "\n" + separator + "\n";
}

json settingsJson(const OracleExperimentSettings& s)
{
    return {{"format", kFormat},
            {"scale", s.scale},
            {"oracle", fs::absolute(s.oraclePath).lexically_normal().string()},
            {"student_data", s.studentPath.empty() ? fs::absolute(s.studentDataPath).lexically_normal().string() : ""},
            {"student_model", s.studentPath.empty() ? "" : fs::absolute(s.studentPath).lexically_normal().string()},
            {"data", {{"train_documents", s.trainDocuments}, {"validation_documents", s.validationDocuments},
                      {"test_documents", s.testDocuments}, {"document_tokens", s.documentTokens}}},
            {"student", {{"layers", s.studentLayers}, {"hidden", s.studentHidden}, {"heads", s.studentHeads},
                         {"pretrain_steps", s.studentPretrainSteps}, {"pretrain_batch", s.studentPretrainBatch},
                         {"pretrain_lr", s.studentPretrainLearningRate}}},
            {"fine_tune", {{"block", s.blockSize}, {"epochs", s.fineTuneEpochs}, {"steps", s.fineTuneSteps},
                           {"batch", s.fineTuneBatch}, {"lr", s.fineTuneLearningRate}, {"validate_every", s.validateEvery}}},
            {"evaluation", {{"protocol", eval::toString(s.protocol)}, {"prefix_words", s.prefixWords},
                            {"continuation_words", s.continuationWords}, {"continuation_tokens", s.continuationTokens},
                            {"samples_per_prefix", s.samplesPerPrefix}, {"max_prefixes", s.maxPrefixes}}},
            {"seeds", s.seeds},
            {"configs", configsJson(s.configs)},
            {"diagnostics", configsJson(s.diagnostics)}};
}

void checkSettings(const OracleExperimentSettings& s)
{
    if (s.outputDir.empty())
        throw Error::badInput("out: no output folder given");
    if (s.oraclePath.empty() || !fs::is_regular_file(joinPath(s.oraclePath, "config.json")))
        throw Error::badInput("oracle: " + s.oraclePath + " is not a model folder (no config.json)");
    if (!s.studentPath.empty() && !fs::is_regular_file(joinPath(s.studentPath, "config.json")))
        throw Error::badInput("student: " + s.studentPath + " is not a model folder (no config.json)");
    if (s.studentPath.empty() && (s.studentDataPath.empty() || !fs::is_regular_file(s.studentDataPath)))
        throw Error::badInput("student data: " + s.studentDataPath + " is not a file");
    if (s.seeds.empty() || s.configs.empty())
        throw Error::badInput("experiment: no seeds or no objective configs");
    for (const auto* count : {&s.trainDocuments, &s.validationDocuments, &s.testDocuments, &s.documentTokens,
                              &s.studentPretrainSteps, &s.samplesPerPrefix, &s.maxPrefixes})
        if (*count <= 0)
            throw Error::badInput("experiment: document counts, steps, samples and prefixes must be positive");
    if (s.fineTuneSteps <= 0 && s.fineTuneEpochs <= 0)
        throw Error::badInput("experiment: fine-tuning needs epochs or steps");
    if (s.configs.front().objective.kind != objective::ObjectiveKind::Mle)
        throw Error::badInput("experiment: the first config must be MLE (the baseline of the tests and the gate)");
}

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
    for (const auto& metric : kMetrics)
        row.metrics.push_back(metricFromScores(scores, metric.name));
    return row;
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
            plot.categoryColours.push_back(objectiveColour(r->objective));
            series.y.push_back(r->metrics[k].count > 0 ? r->metrics[k].mean : NAN);
            series.error.push_back(r->metrics[k].std);
        }
        plot.series.push_back(series);
        if (series.name == "mauve")
            plot.yCeiling = 1.0;
        report::writePlot(plot, joinPath(s.outputDir, kMetrics[k].name));
    }
    {
        report::Plot plot;
        plot.kind = report::Plot::Kind::Bars;
        plot.title = "Forward and reverse CE against the oracle (lower is better)";
        plot.subtitle = "(forward + reverse) / 2, token level, validation set; the paper's Figure 2 with the exact target";
        plot.yLabel = "nats per token";
        report::PlotSeries series;
        series.name = "cross-entropy";
        for (const auto& r : rows) {
            plot.categories.push_back(r.label);
            plot.categoryColours.push_back(objectiveColour(r.objective));
            series.y.push_back(0.5 * (r.forwardCe + r.reverseCe));
        }
        plot.series.push_back(series);
        report::writePlot(plot, joinPath(s.outputDir, "cross-entropy"));
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
        report::writePlot(plot, joinPath(s.outputDir, which == 0 ? "training-curves" : "training-ce"));
    }
}

std::string setupMarkdown(const OracleExperimentSettings& s, const json& oracleInfo, const json& studentInfo)
{
    std::ostringstream md;
    const auto fileName = [](const std::string& p) {
        return fs::path(p).parent_path().filename().string() + "/" + fs::path(p).filename().string();
    };
    md << "- **Oracle**: `" << fs::path(s.oraclePath).filename().string() << "` (" << oracleInfo.value("summary", "")
       << "), sampling " << s.trainDocuments << " training, " << s.validationDocuments << " validation and "
       << s.testDocuments << " test documents of at most " << s.documentTokens
       << " tokens each, unconditionally (from the family's start token, as in its training), by unbiased ancestral "
          "sampling.\n";
    md << "- **Student**: LLaMA-family, " << s.studentLayers << " layers, d " << s.studentHidden << ", "
       << s.studentHeads << " heads, the oracle's vocabulary (" << studentInfo.value("summary", "")
       << "), pretrained from scratch with MLE on `" << fileName(s.studentDataPath) << "` for " << s.studentPretrainSteps
       << " steps × " << s.studentPretrainBatch << " blocks (as GPT-2 and GPT-2-Large were both pretrained on WebText, "
          "the default is the oracle's own pretraining corpus). Its LM head, as pretrained, is EMO's frozen Ê.\n";
    md << "- **Fine-tuning**: each objective from the same student, ";
    if (s.fineTuneSteps > 0)
        md << s.fineTuneSteps << " steps";
    else
        md << s.fineTuneEpochs << " epochs";
    md << " × " << s.fineTuneBatch << " blocks of " << s.blockSize << " tokens, AdamW lr " << shortNumber(s.fineTuneLearningRate)
       << ", linear decay, no warm-up, validation every " << s.validateEvery
       << " steps, the best validation checkpoint kept; seeds";
    for (auto seed : s.seeds)
        md << " " << seed;
    md << " (data order and sampling). TaiLr and MixCE as the EMO paper ran them (its repository's modes): "
          "r·mle + (1−r)·w·mle with TaiLr's w at γ = 1 − r, and η·mle + (1−η)·sg(q_y)·mle.\n";
    md << "- **Diagnostics** (seed " << s.seeds.front() << "): EMO with Ê from the oracle's LM head and from a random "
          "Gaussian matrix, beside the paper's Ê (the student's head).\n";
    md << "- **Scoring** on the oracle's held-out test documents, protocol `" << eval::toString(s.protocol) << "`: prefix "
       << s.prefixWords << " words, " << s.samplesPerPrefix << " samples per prefix for up to " << s.maxPrefixes
       << " prefixes (unbiased sampling), ";
    if (s.protocol == eval::ContinuationProtocol::Official)
        md << "every sample exactly " << (s.continuationTokens > 0 ? s.continuationTokens : s.continuationWords)
           << " new tokens (EOS banned before, as the official evaluation's min_new_tokens); references of "
           << s.continuationWords << " words. Oracle PPL = the oracle's perplexity of each whole sample text, prefix "
              "included (mean of batch means over 64 texts, as the official compute_ppl); MAUVE once per sample index "
              "and averaged (as 5 runs of one sample per prefix), oracle last-token features; ROUGE-1/L F without "
              "stemming, prefix-inclusive; test PPL = the model's perplexity of the test documents.\n";
    else
        md << "samples stop at EOS and are cut to " << s.continuationWords << " words. Oracle PPL = exp(mean NLL of the "
              "sampled tokens under the oracle); MAUVE of all samples pooled vs references with the oracle's last-token "
              "features; ROUGE-1/L F with stemming, prefix-inclusive; test PPL = the model's perplexity of the test "
              "documents.\n";
    return md.str();
}

} // namespace

OracleExperimentSettings OracleExperimentSettings::preset(const std::string& scale)
{
    using objective::ObjectiveKind;
    OracleExperimentSettings s;
    s.scale = scale;
    // The paper's grid: TaiLr and MixCE over the MLE shares {0.9, 0.8, 0.7} (Sec. 4.1.1); EMO has none.
    const auto paperGrid = [] {
        std::vector<ObjectiveConfig> configs = {makeObjectiveConfig(ObjectiveKind::Mle)};
        for (double r : {0.9, 0.8, 0.7})
            configs.push_back(makeObjectiveConfig(ObjectiveKind::Tailr, r));
        for (double eta : {0.9, 0.8, 0.7})
            configs.push_back(makeObjectiveConfig(ObjectiveKind::Mixce, eta));
        configs.push_back(makeObjectiveConfig(ObjectiveKind::Emo));
        return configs;
    };
    const std::vector<ObjectiveConfig> oneEach = {makeObjectiveConfig(ObjectiveKind::Mle), makeObjectiveConfig(ObjectiveKind::Tailr, 0.9),
                                                  makeObjectiveConfig(ObjectiveKind::Mixce, 0.9), makeObjectiveConfig(ObjectiveKind::Emo)};
    s.diagnostics = {emoWithCost("oracle"), emoWithCost("random:1")};
    if (scale == "full") {
        s.configs = paperGrid();
    } else if (scale == "quick") {
        s.trainDocuments = 300;
        s.validationDocuments = 30;
        s.testDocuments = 40;
        s.documentTokens = 96;
        s.studentPretrainSteps = 120;
        s.validateEvery = 25;
        s.maxPrefixes = 40;
        s.configs = oneEach;
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
        s.fineTuneEpochs = 0;
        s.fineTuneSteps = 3;
        s.fineTuneBatch = 4;
        s.validateEvery = 2;
        s.prefixWords = 3;
        s.continuationWords = 8;
        s.samplesPerPrefix = 2;
        s.maxPrefixes = 4;
        s.seeds = {1, 2};
        s.configs = oneEach;
    } else {
        throw Error::badInput("scale: unknown scale '" + scale + "' (full, quick, micro)");
    }
    return s;
}

void useBundledInputs(OracleExperimentSettings& settings, const std::string& resourcesDir)
{
    if (settings.oraclePath.empty())
        settings.oraclePath = resourcesDir + "/models/demo-base";
    if (settings.studentDataPath.empty() && settings.studentPath.empty())
        settings.studentDataPath = resourcesDir + "/data/pretrain/train.txt";
}

std::string resultsMarkdownTable(const std::vector<ResultRow>& rows)
{
    std::ostringstream md;
    md << metricTableHeader("model", {"best step", "fine-tune time"});
    for (const auto& row : rows) {
        md << "| " << row.label << " |";
        for (size_t k = 0; k < row.metrics.size(); ++k) {
            const bool bold = significantlyBetter(row, k);
            md << " " << (bold ? "**" : "") << formatMetricMean(row.metrics[k]) << (bold ? "**" : "") << " |";
        }
        char time[32], best[48];
        std::snprintf(time, sizeof(time), "%.0f s", row.trainSeconds);
        std::snprintf(best, sizeof(best), "%lld / %lld", static_cast<long long>(row.bestStep),
                      static_cast<long long>(row.totalSteps));
        const bool reference = row.objective == "reference";
        md << " " << (reference ? "–" : best) << " | " << (reference ? "–" : time) << " |\n";
    }
    return md.str();
}

std::string pValueTable(const std::vector<ResultRow>& rows)
{
    std::ostringstream md;
    md << metricTableHeader("model vs MLE", {});
    for (const auto& row : rows) {
        if (row.objective == "reference" || row.objective == "mle")
            continue;
        md << "| " << row.label << " |";
        for (size_t k = 0; k < std::size(kMetrics); ++k) {
            if (k >= row.versusMle.size() || row.versusMle[k].pairs == 0) {
                md << " – |";
                continue;
            }
            const auto& t = row.versusMle[k];
            char text[96];
            std::snprintf(text, sizeof(text), "%+.3g (p %.2g, n %lld)", t.meanDifference, t.pValue,
                          static_cast<long long>(t.pairs));
            md << " " << text << " |";
        }
        md << "\n";
    }
    return md.str();
}

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
            for (const auto& metric : kMetrics) {
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
        for (const auto& metric : kMetrics)
            row.metrics.push_back(values[metric.name].empty() ? eval::MetricValue{metric.name, 0.0, 0.0, 0}
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
        for (const auto& metric : kMetrics)
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
    const json oracleInfo = modelSummaryJson(*oracle);
    json studentInfo;
    {
        auto student = model::LanguageModel::load(studentDir, torch::kCPU);
        studentInfo = modelSummaryJson(*student);
    }
    json rowsJson = json::array();
    for (const auto& row : rows) {
        json metrics = json::array();
        for (const auto& m : row.metrics)
            metrics.push_back({{"name", m.name}, {"mean", m.mean}, {"std", m.std}, {"count", m.count}});
        json tests = json::object();
        for (size_t k = 0; k < row.versusMle.size() && k < std::size(kMetrics); ++k)
            if (row.versusMle[k].pairs > 0)
                tests[kMetrics[k].name] = pairedTestJson(row.versusMle[k], significantlyBetter(row, k));
        rowsJson.push_back({{"name", row.name}, {"label", row.label}, {"objective", row.objective},
                            {"metrics", metrics}, {"versus_mle", tests}, {"train_seconds", row.trainSeconds},
                            {"best_step", row.bestStep}, {"steps", row.totalSteps},
                            {"mean_sample_tokens", row.meanSampleTokens}, {"eos_share", row.eosShare},
                            {"forward_ce", row.forwardCe}, {"reverse_ce", row.reverseCe}});
    }
    json curvesJson = json::array();
    for (const auto& c : curves)
        curvesJson.push_back({{"config", c.label}, {"validation_steps", c.validationSteps}, {"validation_ce", c.validationCe},
                              {"train_steps", c.trainSteps}, {"train_ce", c.trainCe}});
    result.seconds = secondsSince(start);
    json transportJson = json::array();
    for (const auto& t : result.transport)
        transportJson.push_back({{"model", t.model}, {"cost_from", t.costFrom}, {"tokens", t.tokens},
                                 {"mean_demd", t.meanDemd}, {"mean_ce", t.meanCe}, {"percentiles", {5, 25, 50, 75, 95}},
                                 {"demd", t.demd}, {"mle_over_demd", t.ratio}});
    const json gateJson = {{"passed", gate.passed}, {"student_ppl", gate.studentPpl}, {"mle_ppl", gate.mlePpl},
                           {"student_oracle_ppl", gate.studentOraclePpl}, {"mle_oracle_ppl", gate.mleOraclePpl},
                           {"message", gate.message}};
    const json results = {{"format", kFormat}, {"experiment", "oracle"}, {"settings", settingsJson(s)},
                          {"protocol", eval::toString(s.protocol)}, {"significance_level", kSignificanceLevel},
                          {"test", "paired sign-flip (permutation) test against MLE, two-sided"},
                          {"sanity_gate", gateJson}, {"oracle", oracleInfo}, {"student", studentInfo},
                          {"rows", rowsJson}, {"runs", runsJson}, {"transport", transportJson},
                          {"curves", curvesJson}, {"seconds_this_invocation", result.seconds},
                          {"runs_skipped", result.runsSkipped}};
    util::writeTextFileAtomically(joinPath(s.outputDir, "results.json"), results.dump(2) + "\n");

    bool plotted = report::canWritePlots();
    if (plotted)
        writePlots(s, rows, curves);

    std::ostringstream md;
    md << "# Oracle experiment (" << s.scale << " scale)\n\n"
       << "The design of the EMO paper's oracle experiment (Table 2) with models this machine trains: the oracle's "
          "samples stand in for human text, so the oracle's perplexity of a model's samples measures precision and "
          "the model's perplexity of held-out oracle text measures recall.\n\n"
       << "**Sanity gate " << gate.message << ".**\n\n"
       << "Mean ± sample standard deviation over " << s.seeds.size() << " seeds (fine-tuning and sampling); "
          "diagnostics are one seed. **Bold**: better than MLE by a paired sign-flip test with p < 0.001 (the paper's "
          "bold). Best step: the mean step of the best validation checkpoint, of the steps run. Fine-tune time is wall "
          "time per run on this machine.\n\n"
       << resultsMarkdownTable(rows) << "\n"
       << "### The paper's Table 2 (GPT-2 student, GPT-2-Large oracle; RESULTS.md)\n\n"
       << "| method | PPL_oracle ↓ | MAUVE ↑ | ROUGE-1 ↑ | ROUGE-L ↑ |\n|---|---:|---:|---:|---:|\n"
       << "| MLE | 114.46 | 77.5 | 34.59 | 29.85 |\n| TaiLr | 95.22 | 77.4 | 34.95 | 30.09 |\n"
       << "| MixCE | 79.46 | 78.4 | 35.31 | 30.26 |\n| EMO | 55.85 | 83.4 | 37.37 | 31.17 |\n\n"
       << "(The paper reports MAUVE and ROUGE × 100 and no test PPL; its TaiLr and MixCE rows are the best of the "
          "{0.9, 0.8, 0.7} sweep.)\n\n"
       << "### Paired tests against MLE\n\n"
       << "Mean difference (model − MLE; perplexities as mean −log p in nats), two-sided p-value, pairs: "
          "(seed, prefix) for ROUGE and oracle PPL, (seed, sample index) for MAUVE, (seed, test block) for test PPL.\n\n"
       << pValueTable(rows) << "\n"
       << "### Transport on the validation set\n\n"
       << "Per-token DEMD and mle/demd (the weight paper-mode EMO puts on DEMD), percentiles 5/25/50/75/95, at the "
          "start of fine-tuning (the student, its own head as Ê) and at the end (each EMO run of seed "
       << s.seeds.front() << ", with its Ê).\n\n"
       << "| model | Ê | mean CE | mean DEMD | DEMD p5 / p25 / p50 / p75 / p95 | mle/demd p5 / p25 / p50 / p75 / p95 |\n"
          "|---|---|---:|---:|---|---|\n";
    for (const auto& t : result.transport) {
        char line[512];
        std::snprintf(line, sizeof(line),
                      "| %s | %s | %.3f | %.4f | %.3f / %.3f / %.3f / %.3f / %.3f | %.1f / %.1f / %.1f / %.1f / %.1f |\n",
                      t.model.c_str(), t.costFrom.empty() ? "student's head" : t.costFrom.c_str(), t.meanCe, t.meanDemd,
                      t.demd[0], t.demd[1], t.demd[2], t.demd[3], t.demd[4], t.ratio[0], t.ratio[1], t.ratio[2],
                      t.ratio[3], t.ratio[4]);
        md << line;
    }
    md << "\n### Unconditional samples\n\n64 samples of each model (seed " << s.seeds.front()
       << " for the fine-tunes) from the start token, stopped at EOS or after " << s.documentTokens
       << " tokens, as the oracle's own documents were drawn.\n\n| model | mean tokens | ended by EOS |\n|---|---:|---:|\n";
    for (const auto& row : rows) {
        char line[256];
        std::snprintf(line, sizeof(line), "| %s | %.1f | %.0f %% |\n", row.label.c_str(), row.meanSampleTokens,
                      100.0 * row.eosShare);
        md << line;
    }
    md << "\n### Forward / reverse cross-entropy against the oracle (Figure 2, with the exact target)\n\n"
       << "Token level on " << kCrossEntropyBlocks << " validation blocks, nats per token, mean over the row's seeds: "
          "forward −Σ_v P log Q (recall: Q covers what the oracle P puts mass on), reverse −Σ_v Q log P (precision: "
          "Q puts mass only where P does), and their mean, which the paper's Figure 2 plots against a surrogate "
          "(here the target itself; the oracle's row is its own entropy).\n\n"
          "| model | forward CE ↓ | reverse CE ↓ | mean ↓ |\n|---|---:|---:|---:|\n";
    for (const auto& row : rows) {
        char line[256];
        std::snprintf(line, sizeof(line), "| %s | %.3f | %.3f | %.3f |\n", row.label.c_str(), row.forwardCe,
                      row.reverseCe, 0.5 * (row.forwardCe + row.reverseCe));
        md << line;
    }
    md << "\n## Setup\n\n"
       << setupMarkdown(s, oracleInfo, studentInfo) << "\n";
    if (plotted) {
        md << "## Plots\n\n";
        for (const auto& metric : kMetrics)
            md << "![" << metric.title << "](" << metric.name << ".png)\n";
        md << "![cross-entropy against the oracle](cross-entropy.png)\n"
           << "![validation cross-entropy](training-curves.png)\n![training cross-entropy](training-ce.png)\n";
    } else {
        md << "(No plots: this build of emo has no cairo.)\n";
    }
    util::writeTextFileAtomically(joinPath(s.outputDir, "results.md"), md.str());
    result.rows = rows;
    return result;
}

} // namespace emo::experiment
