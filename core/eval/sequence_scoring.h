#pragma once
#include "eval/eval_types.h"
#include "util/progress.h"

#include <cstdint>
#include <string>
#include <vector>

namespace emo::model { class LanguageModel; }
namespace emo::text { class Tokenizer; }
namespace emo::generate { struct Sample; }

namespace emo::eval {

// Token ids of which only ids[from..] are scored: the ones before are context (a prompt, demonstrations).
struct ScoredSequence {
    std::vector<int64_t> ids;
    size_t from = 1;  // in 1..ids.size()
};

// Σ −log p(ids[t] | ids[<t]) over t ≥ from for each sequence (natural log, float64 sums) and how many tokens.
struct SequenceScores {
    std::vector<double> nll;
    std::vector<int64_t> tokens;
    // exp(Σ nll / Σ tokens), that mean, Σ tokens; emo::Error when no token was scored.
    PerplexityResult total() const;
};

// Sequences are batched `batchSize` at a time, right-padded (causal attention: padding after a token never
// changes its prediction). Each must fit the model's positions and vocabulary (else emo::Error naming it).
// `progress` per batch, false cancels (Error::cancelled).
// sequences: N × (ids [L_i], from_i) → N sums and counts
SequenceScores scoreSequences(model::LanguageModel& model, const std::vector<ScoredSequence>& sequences,
                              int64_t batchSize = 8, const ProgressCallback& progress = {});

// What a model sees for a prompt and its continuation as texts: the ids the Sampler feeds for `context`
// (BOS first for sentencepiece; an empty context starts from BOS, else EOS) followed by encode(continuation);
// the continuation's tokens are scored.
ScoredSequence textSequence(const text::Tokenizer& tokenizer, const std::string& context,
                            const std::string& continuation);

// A sampled continuation as the sampling model saw it: promptIds(sample.prompt) ++ sample.tokenIds
// (EOS included when the sample ended on it); the sampled tokens are scored.
ScoredSequence sampleSequence(const text::Tokenizer& samplingTokenizer, const generate::Sample& sample);

// Whether two tokenizers map ids to the same pieces (same kind, size and every piece), so ids carry over.
bool sameVocabulary(const text::Tokenizer& a, const text::Tokenizer& b);

} // namespace emo::eval
