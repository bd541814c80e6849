#pragma once
#include <cstdint>
#include <string>

namespace emo::text {

struct SentencePieceTrainingOptions {
    std::string inputPath;    // plain text, one sentence per line
    std::string modelPrefix;  // writes <modelPrefix>.model and <modelPrefix>.vocab
    int64_t vocabSize = 8000;
    std::string modelType = "unigram";  // unigram | bpe | char | word
    double characterCoverage = 1.0;
    // Further sentencepiece trainer flags, "--name=value" words separated by spaces
    // (e.g. "--byte_fallback=true --pad_id=3").
    std::string extraOptions;
};

// Trains a sentencepiece model through the shim (used by `emo pretrain`) and returns the path of the
// written .model. Not cancellable (sentencepiece has no hook); it is quick on the corpora of this app.
// Throws emo::Error: BadInput for bad options or input (sentencepiece's message included), Runtime when
// the shim cannot be loaded.
std::string trainSentencePieceModel(const SentencePieceTrainingOptions& options);

} // namespace emo::text
