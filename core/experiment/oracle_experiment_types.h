#pragma once
#include "eval/eval_types.h"
#include "objective/objective_types.h"

#include <cstdint>
#include <string>
#include <vector>

// Plain settings and results of `emo experiment oracle` (no torch).
namespace emo::experiment {

// One fine-tuning setting of the grid: an objective and its hyper-parameter.
struct ObjectiveConfig {
    std::string name;                    // folder-safe: "mle", "tailr-g0.1", "mixce-e0.5", "emo"
    std::string label;                   // for tables and plots: "TaiLr γ=0.1"
    objective::ObjectiveSettings objective;
};

// The paper's Table 2 design at this machine's scale (DESIGN.md): an oracle samples the synthetic training,
// validation and test sets; a smaller student, pretrained on other text with the oracle's vocabulary, is
// fine-tuned on them once per (config, seed); every run is scored by oracle perplexity, MAUVE against held-out
// oracle text (oracle features), ROUGE-1/L and test perplexity.
struct OracleExperimentSettings {
    std::string scale = "full";          // "full" | "quick" | "micro" (the preset these numbers came from)
    std::string outputDir;
    std::string oraclePath;              // Hugging Face folder of the oracle
    std::string studentDataPath;         // the student's pretraining text ("elsewhere": not the oracle's)
    std::string device = "cpu";

    // Synthetic data: unconditional ancestral samples of the oracle (from BOS), at most documentTokens each.
    int64_t trainDocuments = 2000;
    int64_t validationDocuments = 100;
    int64_t testDocuments = 250;
    int64_t documentTokens = 128;

    // Student: LLaMA-family, the oracle's tokenizer, pretrained from scratch with MLE.
    int64_t studentLayers = 2;
    int64_t studentHidden = 128;
    int64_t studentHeads = 4;
    int64_t studentPretrainSteps = 500;
    int64_t studentPretrainBatch = 16;
    double studentPretrainLearningRate = 2e-3;

    // Fine-tuning (the paper's recipe at this scale: AdamW, linear decay, no warm-up, best validation kept).
    int64_t blockSize = 128;
    int64_t fineTuneSteps = 300;
    int64_t fineTuneBatch = 8;
    double fineTuneLearningRate = 3e-4;
    int64_t validateEvery = 50;

    // Continuation evaluation of each run (one sampling seed = the run's seed).
    int64_t prefixWords = 10;
    int64_t continuationWords = 40;
    int64_t samplesPerPrefix = 5;
    int64_t maxPrefixes = 200;

    std::vector<uint64_t> seeds = {1, 2, 3};
    std::vector<ObjectiveConfig> configs;

    // The presets: "full" (< 2 h on 2 cores), "quick" (< 10 min), "micro" (seconds, for ctest).
    // Throws emo::Error(BadInput) for another name.
    static OracleExperimentSettings preset(const std::string& scale);
};

// A row of the results table: a config over its seeds, or a reference model ("student", "oracle").
struct ResultRow {
    std::string name;
    std::string label;
    std::string objective;  // "mle" | "tailr" | "mixce" | "emo" | "reference"
    std::vector<eval::MetricValue> metrics;  // "oracle-ppl", "ppl", "mauve", "rouge-1", "rouge-l"; count 0 = none
    double trainSeconds = 0.0;  // mean over seeds (0 for reference rows)
};

struct OracleExperimentResult {
    std::string outputDir;
    std::vector<ResultRow> rows;     // configs in grid order, then the reference rows
    int64_t runsDone = 0;            // (config, seed) runs finished in total
    int64_t runsSkipped = 0;         // of them, found finished from an earlier invocation
    double seconds = 0.0;            // wall time of this invocation
};

} // namespace emo::experiment
