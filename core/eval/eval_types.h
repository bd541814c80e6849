#pragma once
#include <cstdint>
#include <string>
#include <vector>

// Plain results of the evaluation metrics (no torch), for the CLI, the GUI and JSON.
namespace emo::eval {

// One ROUGE score as rouge-score reports it: precision against the prediction's length, recall against the
// target's, F = 2PR/(P+R) (0 when P+R = 0).
struct RougeScore {
    double precision = 0.0;
    double recall = 0.0;
    double fmeasure = 0.0;
};

// ROUGE-1 (unigram overlap) and ROUGE-L (longest common subsequence over the whole text, not Lsum).
struct RougeScores {
    RougeScore rouge1;
    RougeScore rougeL;
};

// Settings of MAUVE; defaults are those of krishnap25/mauve's compute_mauve.
struct MauveOptions {
    int64_t numClusters = 0;              // 0: "auto", max(2, round(min(n_p, n_q) / 10))
    double explainedVariance = 0.9;       // PCA keeps the fewest components whose cumulative ratio reaches this
    int64_t kmeansIterations = 500;       // Lloyd iterations at most (stops early once assignments are stable)
    int64_t kmeansRestarts = 5;           // runs from different initial centres; the lowest objective wins
    uint64_t seed = 25;                   // compute_mauve's default seed (k-means uses seed + 2, as there)
    int64_t curvePoints = 25;             // mixture weights λ in linspace(1e-6, 1 − 1e-6, curvePoints)
    double scalingFactor = 5.0;           // c in exp(−c·KL)
};

// A MAUVE result with what the GUI plots.
struct MauveResult {
    double score = 0.0;                   // area under the divergence curve, in [0, 1]
    std::vector<double> curveX;           // exp(−c·KL(q‖R_λ)), with the end points (1,0) first and (0,1) last
    std::vector<double> curveY;           // exp(−c·KL(p‖R_λ))
    std::vector<double> pHistogram;       // cluster frequencies of p (sum 1)
    std::vector<double> qHistogram;       // cluster frequencies of q (sum 1)
    int64_t numClusters = 0;
    int64_t pcaComponents = 0;            // components kept by PCA
    double kmeansObjective = 0.0;         // sum of squared distances to the centres, best restart
};

} // namespace emo::eval

namespace emo::eval {

// Perplexity = exp(mean next-token negative log-likelihood, natural log) over every predicted position.
struct PerplexityResult {
    double perplexity = 0.0;
    double meanNll = 0.0;       // nats per predicted token
    int64_t predictedTokens = 0;
};

} // namespace emo::eval

namespace emo::eval {

// One metric as reports show it: mean and spread over seeds (or over examples when there is one run).
struct MetricValue {
    std::string name;           // "ppl", "oracle-ppl", "fwd-ce", "rev-ce", "mauve", "rouge-1", "rouge-l", "fewshot-acc"
    double mean = 0.0;
    double std = 0.0;           // 0 when count is 1
    int64_t count = 1;          // runs (seeds) the mean is over
    // The paired units behind the mean, for a significance test against another model evaluated on the same
    // data with the same settings (same order there): per block for ppl, per (seed, prefix) for ROUGE and
    // oracle-ppl (both perplexities as mean −log p in nats), per (seed, sample index) or per seed for MAUVE.
    // Empty when not kept.
    std::vector<double> units;
    std::string unit;           // "block" | "prefix" | "sample-index" | "seed" | ""
};

// What `emo eval` prints and the Evaluate view shows: the metrics of one model on one data set, and the
// MAUVE divergence curve when MAUVE was computed.
struct EvalReport {
    std::string model;          // folder
    std::string data;           // file
    std::vector<MetricValue> metrics;
    bool hasMauve = false;
    MauveResult mauve;          // of the first seed
};

} // namespace emo::eval

namespace emo::eval {

// How samples are drawn and scored; reports and results files name the one used.
//   Pooled    samples stop at EOS and are cut to continuationWords words; MAUVE once per seed over all
//             samples pooled; oracle-ppl = exp(mean −log p_oracle) over the sampled tokens given their prompt.
//   Official  the EMO repository's test_utils.py: every sample has exactly continuationTokens new tokens (EOS
//             banned before, as min_new_tokens); MAUVE once per sample index (one sample of every prefix,
//             as each of its 5 test_batch runs) and averaged; ROUGE without stemming (evaluate's default);
//             oracle-ppl of the whole text, prefix included (officialOraclePerplexity).
enum class ContinuationProtocol { Pooled, Official };
const char* toString(ContinuationProtocol protocol);  // "pooled" | "official"
bool parseContinuationProtocol(const std::string& text, ContinuationProtocol* out);

} // namespace emo::eval
