#pragma once
#include "eval/continuation_split.h"
#include "eval/eval_types.h"
#include "util/progress.h"

#include <cstdint>
#include <string>
#include <vector>

namespace emo::model { class LanguageModel; }
namespace emo::text { class Tokenizer; }

namespace emo::eval {

// The paper's continuation protocol. Defaults are WikiText's (20/80 words, 5 samples per prefix); one seed
// by default for speed.
struct ContinuationEvalSettings {
    ContinuationProtocol protocol = ContinuationProtocol::Pooled;
    int64_t continuationTokens = 0;     // Official: new tokens of every sample (0: continuationWords)
    std::vector<std::string> metrics;   // any of "mauve", "rouge", "oracle-ppl", "fwd-ce", "rev-ce"
    int64_t prefixWords = 20;
    int64_t continuationWords = 80;
    int64_t samplesPerPrefix = 5;
    int64_t seeds = 1;                  // full runs; seed s samples with firstSeed + s
    uint64_t firstSeed = 0;
    int64_t maxPrefixes = 100;          // documents used at most (0 = all)
    int64_t maxNewTokens = 0;           // 0: the longest reference continuation in the model's tokens
    int64_t batchSize = 8;              // sequences per scoring / feature forward pass
    bool useStemmer = true;             // ROUGE as rouge-score with use_stemmer=True
    MauveOptions mauve;
};

// The models involved: `model` is evaluated; `oracle` (may be null) is the reference of oracle-ppl and
// rev-ce (required by them) and the feature model of MAUVE (the model itself when null).
struct ContinuationModels {
    model::LanguageModel* model = nullptr;
    const text::Tokenizer* tokenizer = nullptr;
    model::LanguageModel* oracle = nullptr;
    const text::Tokenizer* oracleTokenizer = nullptr;
};

// Splits the documents (splitContinuations), samples samplesPerPrefix continuations of every prefix by
// unbiased ancestral sampling (temperature 1, no top-k/top-p, stop at EOS) once per seed, and computes per
// seed:
//   "mauve"      MAUVE of p = prefix-inclusive references (one per prefix) vs q = prefix-inclusive samples
//                (all of them, each cut to continuationWords words); features = lastTokenFeatures
//   "rouge"      "rouge-1" and "rouge-l" F, mean over every (reference, sample) pair, prefix-inclusive texts
//   "oracle-ppl" exp(reverse CE) of the samples under the oracle (sampled tokens as generated)
//   "rev-ce"     reverseCrossEntropy of the samples under the oracle (nats per token)
//   "fwd-ce"     forwardCrossEntropy of the references under the model (no sampling: one run, count 1)
// Each metric is reported as mean and sample standard deviation (n − 1) over the seeds, with its paired
// units (MetricValue::units). The report's
// model and data fields are left empty. Unknown metric, missing oracle, no usable document, prompts longer
// than the model's positions: emo::Error(BadInput). `progress` false cancels (Error::cancelled).
EvalReport evaluateContinuations(const ContinuationModels& models, const std::vector<std::string>& documents,
                                 const ContinuationEvalSettings& settings, const ProgressCallback& progress = {});

// mean and sample standard deviation (0 for one value) → MetricValue named `name`.
MetricValue summarizeMetric(const std::string& name, const std::vector<double>& values);

} // namespace emo::eval
