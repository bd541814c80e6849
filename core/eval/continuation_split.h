#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace emo::eval {

// One prompt of the paper's continuation protocol: the first words of a document and the words that follow.
struct ContinuationExample {
    std::string prefix;     // the first prefixWords words, joined by single spaces
    std::string reference;  // the next (at most) continuationWords words, joined by single spaces
    // The prefix-inclusive text the paper compares (ROUGE, MAUVE): prefix + " " + reference.
    std::string fullReference() const { return prefix + " " + reference; }
};

// Words are runs of non-whitespace. A document gives one example when it has more than `prefixWords` words
// (so the reference has at least one word); shorter documents are skipped. At most `maxExamples` examples
// (0 = no cap), in document order. prefixWords and continuationWords must be positive (else emo::Error).
std::vector<ContinuationExample> splitContinuations(const std::vector<std::string>& documents, int64_t prefixWords,
                                                    int64_t continuationWords, int64_t maxExamples = 0);

// `text` up to the end of its `words`-th word, characters kept as they are (a sampled continuation cut to
// the reference's length in words); the whole text when it has fewer words.
std::string truncateWords(const std::string& text, int64_t words);

} // namespace emo::eval
