#pragma once
#include "generate/generate_types.h"
#include "util/progress.h"

#include <cstdint>
#include <string>
#include <vector>

namespace emo::model { class LanguageModel; }
namespace emo::text { class Tokenizer; }

namespace emo::generate {

// Batched sampling with the KV cache. Prompts of different lengths are left-padded into one batch with an
// attention mask, each prompt is prefilled once and its cache copied for its samples, then one token per
// step for every unfinished row; rows that reach EOS are dropped from the batch (and from the cache).
//
// Reproducible: the random number of each decision comes from counterUniform(seed, key, sample, step), with
// `key` a hash of the prompt's ids (and of its occurrence, for repeated prompts), so the same seed gives the
// same tokens for a prompt whatever else is in the call and however it is batched (maxBatchRows), up to float
// rounding differences of the padded forward at near-ties. No global RNG is touched.
//
// Not thread-safe on one model (the model's forward is used); one Sampler per worker thread.
class Sampler {
public:
    // `tokenizer` may be null: then prompts must be given as ids, texts are empty, and EOS is the config's.
    Sampler(model::LanguageModel& model, const text::Tokenizer* tokenizer);

    // Encodes each prompt (BOS first for sentencepiece tokenizers; an empty prompt starts from BOS, or EOS
    // when there is no BOS, as GPT-2 does) and samples. Results are ordered by prompt, then sample.
    // Throws emo::Error(BadInput) on bad settings, Error::cancelled when `progress` returns false.
    std::vector<Sample> sample(const std::vector<std::string>& prompts, const SampleSettings& settings,
                               const ProgressCallback& progress = {});

    // The same from token ids (each prompt non-empty, ids < vocab size).
    std::vector<Sample> sampleIds(const std::vector<std::vector<int64_t>>& prompts, const SampleSettings& settings,
                                  const ProgressCallback& progress = {});

    // The ids sample() feeds the model for `prompt`.
    std::vector<int64_t> promptIds(const std::string& prompt) const;

private:
    model::LanguageModel& m_model;
    const text::Tokenizer* m_tokenizer;
};

} // namespace emo::generate
