#include "experiment/oracle_experiment.h"

#include "experiment/experiment_runs.h"
#include "util/error.h"

#include <filesystem>

namespace fs = std::filesystem;
using nlohmann::json;

namespace emo::experiment {

json settingsJson(const OracleExperimentSettings& s)
{
    return {{"format", kOracleExperimentFormat},
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

} // namespace emo::experiment
