#pragma once
#include "eval/eval_types.h"

#include <string>
#include <vector>

namespace emo::eval {

// ROUGE as Google's rouge-score package computes it (RougeScorer(["rouge1", "rougeL"], use_stemmer)).

// rouge-score's tokenizer: lower-case, every run of characters other than [a-z0-9] becomes a space, split on
// spaces, tokens longer than 3 characters Porter-stemmed (NLTK_EXTENSIONS) when `useStemmer`, empties dropped.
// Text is UTF-8; the two non-ASCII characters whose Python lower case is ASCII (U+0130 İ → "i" + a combining
// dot, U+212A Kelvin sign → "k") are mapped as Python does, all other non-ASCII characters separate tokens.
std::vector<std::string> rougeTokenize(const std::string& text, bool useStemmer);

// n-gram overlap: clipped count of common n-grams; P over the prediction's n-grams, R over the target's
// (each denominator at least 1, as rouge-score does).
RougeScore rougeNScore(const std::vector<std::string>& target, const std::vector<std::string>& prediction, int n);

// Longest common subsequence of tokens: P = LCS/|prediction|, R = LCS/|target|; all zero if either is empty.
RougeScore rougeLScore(const std::vector<std::string>& target, const std::vector<std::string>& prediction);

// rouge-score's RougeScorer.score(target, prediction) for rouge1 and rougeL.
RougeScores scoreRouge(const std::string& target, const std::string& prediction, bool useStemmer);

// The mean of each field over pairs (targets[i], predictions[i]); sizes must match (else emo::Error).
RougeScores meanRouge(const std::vector<std::string>& targets, const std::vector<std::string>& predictions,
                      bool useStemmer);

} // namespace emo::eval
