#pragma once
#include "eval/eval_types.h"
#include "eval/sequence_scoring.h"
#include "model/language_model.h"
#include "util/progress.h"

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace emo::eval {

// Perplexity of a causal LM on token sequences: position t predicts token t+1, so a sequence of length L
// contributes L − 1 predictions and its first token is context only. The ids are scored exactly as given:
// EOS (or BOS) is counted only if the caller put it into the sequences. Sequences are batched `batchSize` at a
// time, right-padded (causal attention: padding after a token never changes its prediction), summed in
// float64. Each sequence must fit the model's positions (else emo::Error). `progress` is called per
// batch; false cancels (emo::Error Cancelled).
// sequences: N lists of ids (length ≥ 2 to count) → result
// `perSequence`, when given, receives each scored sequence's sum and count (for paired tests).
PerplexityResult computePerplexity(model::LanguageModel& model, const std::vector<std::vector<int64_t>>& sequences,
                                   int64_t batchSize = 8, const ProgressCallback& progress = {},
                                   SequenceScores* perSequence = nullptr);

// blocks [N,T] int64 → the same over N sequences of length T
PerplexityResult computePerplexity(model::LanguageModel& model, const torch::Tensor& blocks, int64_t batchSize = 8,
                                   const ProgressCallback& progress = {}, SequenceScores* perSequence = nullptr);

} // namespace emo::eval
