#pragma once
#include "eval/eval_types.h"
#include "eval/paired_test.h"
#include "objective/objective_types.h"

#include <cstdint>
#include <string>
#include <vector>

// Plain settings and results of `emo experiment oracle` (no torch).
namespace emo::experiment {

// One fine-tuning setting of the grid: an objective and its hyper-parameter.
struct ObjectiveConfig {
    std::string name;                    // folder-safe: "mle", "tailr-r0.9", "mixce-e0.9", "emo", "emo-cost-oracle"
    std::string label;                   // for tables and plots: "TaiLr r=0.9"
    objective::ObjectiveSettings objective;
    std::string costFrom;                // EMO's Ê: "" the student's head (the paper), "oracle", "random:SEED"
};

// The paper's Table 2 design at this machine's scale (RESULTS.md): an oracle samples the synthetic training,
// validation and test sets; a smaller student, pretrained on the oracle's own corpus with the oracle's
// vocabulary (as GPT-2 and GPT-2-Large both on WebText), is fine-tuned on them once per (config, seed) with
// the paper's recipe (3 epochs, best validation kept); every run is scored by oracle perplexity, MAUVE
// against held-out oracle text (oracle features), ROUGE-1/L and test perplexity, with paired tests against MLE.
struct OracleExperimentSettings {
    std::string scale = "full";          // "full" | "quick" | "micro" (the preset these numbers came from)
    std::string outputDir;
    std::string oraclePath;              // Hugging Face folder of the oracle
    std::string studentDataPath;         // the student's pretraining text (by default the oracle's own corpus)
    std::string studentPath;             // a pretrained student to use instead (must have the oracle's vocabulary)
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
    int64_t fineTuneEpochs = 3;          // the paper's; used when fineTuneSteps is 0
    int64_t fineTuneSteps = 0;
    int64_t fineTuneBatch = 8;
    double fineTuneLearningRate = 3e-4;
    int64_t validateEvery = 50;

    // Continuation evaluation of each run (one sampling seed = the run's seed), by the official protocol
    // (fixed-length samples, MAUVE per sample index; eval/continuation_eval.h) unless asked otherwise.
    eval::ContinuationProtocol protocol = eval::ContinuationProtocol::Official;
    int64_t continuationTokens = 0;      // official: new tokens per sample (0: continuationWords)
    int64_t prefixWords = 10;
    int64_t continuationWords = 40;
    int64_t samplesPerPrefix = 5;
    int64_t maxPrefixes = 200;

    std::vector<uint64_t> seeds = {1, 2, 3};
    std::vector<ObjectiveConfig> configs;
    // Why-diagnostics, trained and scored with the first seed only: EMO with Ê from the oracle's head and
    // from a random matrix, beside the paper's (the student's head).
    std::vector<ObjectiveConfig> diagnostics;

    // The presets: "full" (< 2 h on 2 cores), "quick" (< 10 min), "micro" (seconds, for ctest).
    // Throws emo::Error(BadInput) for another name.
    static OracleExperimentSettings preset(const std::string& scale);
};

// A row of the results table: a config over its seeds, or a reference model ("student", "oracle").
struct ResultRow {
    std::string name;
    std::string label;
    std::string objective;  // "mle" | "tailr" | "mixce" | "emo" | "reference" | "diagnostic"
    std::vector<eval::MetricValue> metrics;  // "oracle-ppl", "ppl", "mauve", "rouge-1", "rouge-l"; count 0 = none
    // Per metric (same order), the paired test against MLE over the same units (pairs 0: not tested).
    std::vector<eval::PairedTestResult> versusMle;
    double trainSeconds = 0.0;  // mean over seeds (0 for reference rows)
    int64_t bestStep = 0;       // mean best-validation step over seeds
    int64_t totalSteps = 0;
    // Unconditional samples of the first seed's model (or the reference model), stopped at EOS or at the
    // document length: mean tokens (EOS not counted) and the share that ended by EOS.
    double meanSampleTokens = 0.0;
    double eosShare = 0.0;
    // Figure 2 with the exact target: token-level forward (−Σ P log Q) and reverse (−Σ Q log P) cross-entropy
    // against the oracle P on the validation set, mean over the row's seeds (nats).
    double forwardCe = 0.0;
    double reverseCe = 0.0;
};

// The sanity gate: MLE fine-tuning must lower both the test perplexity and the oracle perplexity of the
// student before fine-tuning, or the setup (not the objectives) is what the numbers show.
struct SanityGate {
    bool passed = false;
    double studentPpl = 0.0, mlePpl = 0.0;
    double studentOraclePpl = 0.0, mleOraclePpl = 0.0;
    std::string message;
};

// Percentiles (5, 25, 50, 75, 95) of per-token DEMD and of mle/demd (the paper-mode EMO weight) on the
// validation set, for the student (start of fine-tuning) and a fine-tuned model (end), with the run's Ê.
struct TransportPercentiles {
    std::string model;                   // "student" or a run name
    std::string costFrom;                // "" = the student's head
    std::vector<double> demd, ratio;     // 5 values each
    double meanDemd = 0.0, meanCe = 0.0;
    int64_t tokens = 0;
};

struct OracleExperimentResult {
    std::string outputDir;
    std::vector<ResultRow> rows;     // configs in grid order, then the diagnostics, then the reference rows
    SanityGate gate;
    std::vector<TransportPercentiles> transport;
    int64_t runsDone = 0;            // (config, seed) runs finished in total
    int64_t runsSkipped = 0;         // of them, found finished from an earlier invocation
    double seconds = 0.0;            // wall time of this invocation
};

} // namespace emo::experiment
