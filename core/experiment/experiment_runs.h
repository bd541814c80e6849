#pragma once
#include "experiment/experiment_reporter.h"
#include "experiment/oracle_experiment_types.h"
#include "util/atomic_file.h"
#include "util/short_number.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace emo::train { struct RunRecord; }
namespace emo::model { class LanguageModel; }

// What every experiment (oracle, domains) does the same way: its grid of objectives, its folder claimed
// once, its run folders trained and scored resumably, paired tests against MLE.
namespace emo::experiment {

using ExperimentClock = std::chrono::steady_clock;
double secondsSince(ExperimentClock::time_point start);
using util::joinPath;  // one home: util/atomic_file.h
using util::shortNumber;  // one home: util/short_number.h

// The grid as the EMO paper ran it (its repository's modes): TaiLr mixed with MLE at share r (γ = 1 − r),
// MixCE with η the MLE share; `value` is that share.
ObjectiveConfig makeObjectiveConfig(objective::ObjectiveKind kind, double value = 0.0);
// EMO with another cost embedding (a diagnostic): "oracle" or "random:SEED".
ObjectiveConfig emoWithCost(const std::string& costFrom);
nlohmann::json configsJson(const std::vector<ObjectiveConfig>& configs);
std::string runName(const ObjectiveConfig& config, uint64_t seed);  // "<config>-s<seed>"
// The objective's colour in every plot: mle 0, tailr 1, mixce 2, emo 3, others 9.
int objectiveColour(const std::string& objective);

// The settings of the folder (`wanted`, with its "format"): written on the first invocation; a later one
// must ask for the same experiment, or it would mix results of two designs. Another format or other
// settings: emo::Error(BadInput) naming experiment.json; nothing in the folder is changed.
void claimExperimentFolder(const std::string& outputDir, const nlohmann::json& wanted);

// A model pretrained from scratch with MLE (the experiments' student), the tokenizer of tokenizerFrom.
struct StudentRecipe {
    int64_t layers = 2, hidden = 128, heads = 4;
    int64_t steps = 500, batch = 16, blockSize = 128;
    double learningRate = 2e-3;
    std::string tokenizerFrom, dataPath, device = "cpu";
};
// Pretrains into `dir` unless a completed run is there (an interrupted one continues).
void pretrainStudent(const StudentRecipe& recipe, const std::string& dir, ExperimentReporter& reporter,
                     const std::string& what);

// The paper's fine-tuning recipe at this scale: AdamW, linear decay, no warm-up, best validation kept.
struct FineTuneRecipe {
    int64_t blockSize = 128, epochs = 3, steps = 0, batch = 8, validateEvery = 50;
    double learningRate = 3e-4;
    std::string device = "cpu";
};
// Fine-tunes `modelDir` on trainFile (validationFile for the best checkpoint) into `dir` unless it is
// complete; true when it trained now (from the start or resumed). costFrom: TrainSettings::costEmbeddingFrom.
bool fineTuneRun(const FineTuneRecipe& recipe, const ObjectiveConfig& config, const std::string& costFrom,
                 uint64_t seed, const std::string& modelDir, const std::string& trainFile,
                 const std::string& validationFile, const std::string& dir, ExperimentReporter& reporter,
                 const std::string& what);

// Training time of a completed run folder: the wall time its history records (across resumes).
double trainSeconds(const train::RunRecord& record);

// metrics → {"name": {mean, std, count, unit, units}} as scores.json holds them
nlohmann::json metricsJson(const std::vector<eval::MetricValue>& metrics);
// <dir>/scores.json, or null when there is none (or it does not parse: then it is computed again).
nlohmann::json readScores(const std::string& dir);
// Writes <dir>/scores.json: the model, the sampling seeds, the time taken and the metrics.
nlohmann::json writeScores(const std::string& dir, const std::string& modelDir, uint64_t firstSeed, int64_t seeds,
                           double seconds, const std::vector<eval::MetricValue>& metrics,
                           const nlohmann::json& extra = nlohmann::json::object());

// A metric of a scores.json (mean, std, count, unit, units); count 0 when the file has no such metric.
eval::MetricValue metricFromScores(const nlohmann::json& scores, const std::string& name);

// The paper's bold: better than MLE (lower or higher, as the catalog says `metric` reads) with
// p < kSignificanceLevel.
constexpr double kSignificanceLevel = 0.001;
bool significantlyBetter(const eval::PairedTestResult& test, const std::string& metric);

// Paired units of a config's runs: seed → metric → units (MetricValue::units).
using SeedUnits = std::map<uint64_t, std::map<std::string, std::vector<double>>>;
// The paired sign-flip test of `mine` against `mle` on `metric`, over the seeds both have and the units
// of equal count (another protocol's units are not paired: pairs 0).
eval::PairedTestResult pairedAgainstMle(const SeedUnits& mine, const SeedUnits& mle, const std::string& metric);

// {"summary": "2 layers, d 128, N parameters, vocabulary V", "parameters": N}: how results describe a model.
nlohmann::json modelSummaryJson(const model::LanguageModel& model);
// A paired test as results.json holds it (null when there were no pairs).
nlohmann::json pairedTestJson(const eval::PairedTestResult& test, bool significantlyBetter);

// "12.3 ± 0.4" (perplexities), "0.123 ± 0.004" (others), "–" when there is no value.
std::string formatMetricMean(const eval::MetricValue& m);

} // namespace emo::experiment
