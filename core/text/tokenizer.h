#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace emo::text {

// What the engine needs from a tokenizer. encode() adds no special tokens; callers add BOS/EOS.
class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    virtual std::vector<int64_t> encode(const std::string& text) const = 0;
    virtual std::string decode(const std::vector<int64_t>& ids) const = 0;
    virtual std::string piece(int64_t id) const = 0;   // the vocabulary entry as stored ("Ġthe", "▁the")
    virtual int64_t pieceToId(const std::string& piece) const = 0;  // -1 when absent
    virtual int64_t vocabSize() const = 0;
    virtual int64_t bosId() const = 0;  // -1 when the tokenizer has none
    virtual int64_t eosId() const = 0;
    virtual int64_t padId() const = 0;
    // Ids that end a sampled continuation: EOS, or every eos_token_id generation_config.json lists.
    virtual std::vector<int64_t> stopIds() const
    {
        return eosId() >= 0 ? std::vector<int64_t>{eosId()} : std::vector<int64_t>{};
    }
    virtual std::string kind() const = 0;  // "gpt2-bpe" | "sentencepiece"
    // Hugging Face's add_bos_token: whether the family puts BOS before every document (LLaMA's
    // sentencepiece and OPT do; GPT-2 does not). text/sequence_convention.h applies it.
    virtual bool addsBos() const { return false; }

    // The text a single token shows in a UI (decode of that one id; bytes of a partial UTF-8 character
    // are shown as \xNN escapes).
    virtual std::string displayText(int64_t id) const;
};

// Loads the tokenizer of a Hugging Face folder: vocab.json + merges.txt, tokenizer.json (BPE), or
// tokenizer.model (sentencepiece), with the special ids of generation_config.json where it has them. Throws emo::Error(BadInput) naming the folder when none is there.
std::unique_ptr<Tokenizer> loadTokenizer(const std::string& folder);

// A tokenizer may be smaller than the model's embedding (Hugging Face pads vocabularies to a multiple
// of 64 or 128) but never larger: an id past the embedding would index out of range. Throws
// emo::Error(BadInput) naming `folder` and both sizes.
void checkTokenizerFitsModel(const Tokenizer& tokenizer, int64_t modelVocabSize, const std::string& folder);

} // namespace emo::text
