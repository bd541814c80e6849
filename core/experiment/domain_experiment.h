#pragma once
#include "experiment/domain_experiment_types.h"
#include "util/progress.h"

#include <string>
#include <vector>

namespace emo::experiment {

// Runs the domains experiment into settings.outputDir, resumably:
//   experiment.json            the settings (another experiment's or another version's folder is refused)
//   base/                      the pretrained base (a run folder), unless settings.basePath names one
//   base-scores/<domain>/      the base's scores before fine-tuning
//   runs/<domain>/<config>-s<seed>/   each fine-tune (a run folder) and its scores.json
//   results.json, results.md, mauve-<domain>.png/.svg, cross-entropy-<domain>.png/.svg
// What an earlier invocation finished is kept; an interrupted run continues from its trainer state.
// `progress` returning false stops at the next check with Error::cancelled. Every domain's files are read
// and checked before any training. Errors: emo::Error(BadInput) naming the folder, file or field.
DomainExperimentResult runDomainExperiment(const DomainExperimentSettings& settings,
                                           const ProgressCallback& progress = {});

// The bundled inputs for settings left empty, under `resourcesDir`: the domains resources/data/domains,
// the surrogate resources/models/demo-base and the base's corpus resources/data/pretrain/train.txt.
void useBundledInputs(DomainExperimentSettings& settings, const std::string& resourcesDir);

// results.md's Table 1: a row per config (and the base), a column per domain, MAUVE × 100 (mean ± std),
// bold where a paired test puts it above MLE at p < 0.001.
std::string domainMauveTable(const DomainExperimentSettings& settings, const std::vector<DomainResultRow>& rows);

} // namespace emo::experiment
