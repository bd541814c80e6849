#pragma once
#include "eval/continuation_split.h"
#include "eval/eval_types.h"
#include "eval/sequence_scoring.h"
#include "util/progress.h"

#include <string>
#include <vector>

namespace emo::model { class LanguageModel; }
namespace emo::text { class Tokenizer; }
namespace emo::generate { struct Sample; }

namespace emo::eval {

// Cross-entropies of the continuation protocol (MixCE / EMO appendix), in nats per continuation token; the
// prefix is context only. The result's perplexity is exp(meanNll).

// Forward CE = −E_{x∼data} log q_model(x): the data's reference continuations under the model,
// each conditioned on its prefix (textSequence(prefix, " " + reference)).
PerplexityResult forwardCrossEntropy(model::LanguageModel& model, const text::Tokenizer& tokenizer,
                                     const std::vector<ContinuationExample>& examples, int64_t batchSize = 8,
                                     const ProgressCallback& progress = {});

// Reverse CE = −E_{x∼model} log p_reference(x): the model's sampled continuations under a reference model
// (the oracle), each conditioned on its prompt. When the two tokenizers have the same vocabulary the sampled
// ids are scored as sampled (EOS included when a sample ended on it), else prompt and continuation text are
// re-tokenized by the reference's tokenizer.
PerplexityResult reverseCrossEntropy(model::LanguageModel& reference, const text::Tokenizer& referenceTokenizer,
                                     const text::Tokenizer& samplingTokenizer,
                                     const std::vector<generate::Sample>& samples, int64_t batchSize = 8,
                                     const ProgressCallback& progress = {});
// The same, per sample (for paired tests): samples [N] → N sums and counts.
SequenceScores reverseCrossEntropyScores(model::LanguageModel& reference, const text::Tokenizer& referenceTokenizer,
                                         const text::Tokenizer& samplingTokenizer,
                                         const std::vector<generate::Sample>& samples, int64_t batchSize = 8,
                                         const ProgressCallback& progress = {});

// Oracle perplexity as the EMO repository's test_utils.compute_ppl defines it: each whole text (prefix
// included) encoded as the oracle's tokenizer encodes a text (BOS first where the family has one), every
// token after the first id scored; texts in batches of `officialBatch` (64 there), each batch's token mean
// taken, and exp of the mean of those batch means. texts [N] → perplexity, with the per-text scores in `perText`.
PerplexityResult officialOraclePerplexity(model::LanguageModel& oracle, const text::Tokenizer& oracleTokenizer,
                                          const std::vector<std::string>& texts, SequenceScores* perText = nullptr,
                                          int64_t officialBatch = 64, int64_t batchSize = 8,
                                          const ProgressCallback& progress = {});

// Oracle perplexity of generated texts: exp(mean −log p_oracle) over the tokens of each continuation given
// its prefix (textSequence). Empty prefixes score the whole text from the start token.
// prefixes [N], continuations [N] (sizes must match, else emo::Error) → result
PerplexityResult oraclePerplexity(model::LanguageModel& oracle, const text::Tokenizer& oracleTokenizer,
                                  const std::vector<std::string>& prefixes, const std::vector<std::string>& continuations,
                                  int64_t batchSize = 8, const ProgressCallback& progress = {});

} // namespace emo::eval
