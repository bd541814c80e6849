#pragma once
#include "eval/eval_types.h"
#include "eval/paired_test.h"
#include "experiment/experiment_runs.h"
#include "experiment/oracle_experiment_types.h"

#include <cstdint>
#include <string>
#include <vector>

// Plain settings and results of `emo experiment domains` (no torch).
namespace emo::experiment {

// One fine-tuning corpus: <dataDir>/<name>/{train,validation,test}.txt, and its evaluation lengths.
struct DomainCorpus {
    std::string name;                    // folder name: "austen"
    std::string label;                   // table header: "Austen"
    int64_t prefixWords = 10;
    int64_t continuationTokens = 40;
    std::string analogue;                // the paper's data set of the same kind (Table 4's lengths scaled)
};

// The paper's Table 1 and Figure 2 at this machine's scale: one base model, pretrained from scratch on the
// bundled general corpus (as GPT-2 on WebText), fine-tuned with each objective on each domain's training
// documents by the paper's recipe; every run is scored by MAUVE of its continuations of held-out test
// prefixes against the human continuations (features of the surrogate, the larger demo-base), test
// perplexity, and the token-level forward and reverse cross-entropy against the surrogate on the domain's
// validation documents (Figure 2, as GPT-Neo-1.3B there); paired tests against MLE per domain.
struct DomainExperimentSettings {
    std::string scale = "full";          // "full" | "quick" | "micro"
    std::string outputDir;
    std::string dataDir;                 // the domains' folders (resources/data/domains)
    std::string surrogatePath;           // the surrogate target and MAUVE's feature model (demo-base)
    std::string basePath;                // a pretrained base to fine-tune (the surrogate's vocabulary); empty: pretrain one
    std::string device = "cpu";
    std::vector<DomainCorpus> domains;

    StudentRecipe base;                  // when basePath is empty: pretrained into <out>/base (tokenizer: the surrogate's)
    FineTuneRecipe fineTune;

    eval::ContinuationProtocol protocol = eval::ContinuationProtocol::Official;
    int64_t samplesPerPrefix = 5;
    int64_t maxPrefixes = 100;
    int64_t crossEntropyBlocks = 32;     // validation blocks of Figure 2's cross-entropies

    std::vector<uint64_t> seeds = {1, 2, 3};
    std::vector<ObjectiveConfig> configs;  // the first must be MLE

    // "full" (< 2 h on 2 cores), "quick" (< 10 min), "micro" (seconds, for ctest); another: Error(BadInput).
    static DomainExperimentSettings preset(const std::string& scale);
};

// A cell of the tables: one config on one domain, over its seeds.
struct DomainResultRow {
    std::string domain;
    std::string config;                  // ObjectiveConfig::name, or "base" (before fine-tuning)
    std::string label;
    std::string objective;               // "mle" | "tailr" | "mixce" | "emo" | "reference"
    eval::MetricValue mauve, ppl;        // MAUVE ∈ [0, 1]; test perplexity
    eval::PairedTestResult mauveVsMle, pplVsMle;  // pairs 0: not tested (MLE itself, the base)
    double forwardCe = 0.0, reverseCe = 0.0;      // Figure 2: nats per token against the surrogate, mean over seeds
    double trainSeconds = 0.0;
    int64_t bestStep = 0, totalSteps = 0;
};

struct DomainExperimentResult {
    std::string outputDir;
    std::vector<DomainResultRow> rows;   // per domain: the configs in order, then the base
    int64_t runsDone = 0;
    int64_t runsSkipped = 0;
    double seconds = 0.0;
};

} // namespace emo::experiment
