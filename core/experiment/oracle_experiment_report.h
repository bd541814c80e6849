#pragma once
#include "experiment/oracle_experiment_types.h"
#include "train/run_files.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

// The oracle experiment's reporting (results.json, results.md, plots), apart from its orchestration
// (oracle_experiment.cpp) and its presets (oracle_experiment_settings.cpp).
namespace emo::experiment {

// The experiment's metrics, in table order: name (as eval reports it; the metric catalog gives its
// direction), and how this experiment titles it: table header, plot title.
struct ExperimentMetric {
    const char* name;
    const char* header;
    const char* title;
};
const std::vector<ExperimentMetric>& oracleMetrics();

inline constexpr int64_t kCrossEntropyBlocks = 32;  // validation blocks of Figure 2's cross-entropies against the oracle

// A config's mean training curves and how the line plots draw it.
struct Curve {
    std::string label;
    int colour = 0;   // the objective's colour, as in the bar charts
    int dash = 0;     // grid points of one objective apart
    std::vector<double> validationSteps, validationCe;
    std::vector<double> trainSteps, trainCe;
};

// Mean over the seeds' run.json histories: validation CE at each validation step, and the training CE of
// each step averaged over windows of `window` steps.
Curve meanCurve(const std::vector<train::RunRecord>& records, int64_t window);

// What the results files are written from, once every run is scored.
struct OracleResultsInput {
    const OracleExperimentSettings& settings;
    const OracleExperimentResult& result;  // rows, gate, transport, seconds, runs skipped
    const std::vector<Curve>& curves;
    const nlohmann::json& runs;            // per run: config, seed, times, steps
    nlohmann::json oracle;                 // modelSummaryJson of the oracle and of the student
    nlohmann::json student;
};
// results.json, results.md and (with cairo) the plots in settings.outputDir, atomically each.
void writeOracleResults(const OracleResultsInput& input);

} // namespace emo::experiment
