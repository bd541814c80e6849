#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace emo::text {

class Tokenizer;

// Where a family puts its special tokens around text, as Hugging Face encodes it (DESIGN.md "Sequence
// start"): LLaMA (sentencepiece) and OPT put BOS before every document and prompt; GPT-2 puts nothing
// before text and <|endoftext|> between documents. Training blocks, sampling, scoring, perplexity,
// few-shot and the inspector all build their ids here, so a model is never asked to continue from a
// token it was not trained to see there.
struct SequenceConvention {
    int64_t documentStart = -1;       // before every document and every prompt; -1: none
    int64_t documentEnd = -1;         // after every training document; -1: none
    int64_t unconditionalStart = -1;  // the whole context of an empty prompt; -1: the family has none
};

SequenceConvention sequenceConvention(const Tokenizer& tokenizer);

// A training document: documentStart? ++ encode(text) ++ documentEnd?
std::vector<int64_t> encodeDocument(const Tokenizer& tokenizer, const std::string& text);

// A context to continue: documentStart? ++ encode(prompt); an empty prompt is [unconditionalStart].
// Throws emo::Error(BadInput) for an empty prompt when the tokenizer has neither BOS nor EOS.
std::vector<int64_t> encodePrompt(const Tokenizer& tokenizer, const std::string& prompt);

} // namespace emo::text
