#pragma once
#include "experiment/oracle_experiment_types.h"
#include "util/progress.h"

#include <nlohmann/json.hpp>

namespace emo::experiment {

// The layout and design of the folder; a folder of another format is refused, never mixed into.
inline constexpr int kOracleExperimentFormat = 2;

// Runs the oracle experiment into settings.outputDir, resumably:
//   experiment.json            the settings (a folder holding another experiment's settings is refused)
//   data/{train,validation,test}.jsonl   the oracle's samples ({"text": ...} a line)
//   student/                   the pretrained student (a run folder)
//   runs/<config>-s<seed>/     each fine-tune (a run folder) and its scores.json
//   results.json, results.md, <metric>.png/.svg, training-curves.png/.svg
// A data file, a completed run or a scores.json found from an earlier invocation is kept as it is; an
// interrupted run continues from its trainer state. `progress` (stage = what is being done, done/total =
// runs) returning false stops at the next check with Error::cancelled; what was finished stays.
// Errors: emo::Error(BadInput) naming the folder, file or field; Error(Runtime) for a failed write.
OracleExperimentResult runOracleExperiment(const OracleExperimentSettings& settings,
                                           const ProgressCallback& progress = {});

// The bundled inputs for settings the user left empty: the oracle resources/models/demo-base and the
// student's corpus resources/data/pretrain/train.txt (the oracle's own), under `resourcesDir`.
void useBundledInputs(OracleExperimentSettings& settings, const std::string& resourcesDir);

// The settings as experiment.json and results.json record them (a folder claimed with other settings of
// the same experiment continues; another experiment's is refused).
nlohmann::json settingsJson(const OracleExperimentSettings& settings);
// Checks what needs no file (counts, the configs, the first config MLE); throws emo::Error(BadInput).
void checkSettings(const OracleExperimentSettings& settings);

// results.md's table for `rows` (mean ± std of each metric, ↓/↑ marking the better direction).
std::string resultsMarkdownTable(const std::vector<ResultRow>& rows);

// results.md's significance table: per config, each metric's mean difference to MLE (perplexities in mean
// −log p), the p-value of the paired sign-flip test and the number of pairs.
std::string pValueTable(const std::vector<ResultRow>& rows);

} // namespace emo::experiment
