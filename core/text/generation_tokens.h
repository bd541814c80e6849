#pragma once
#include "text/tokenizer.h"

#include <memory>
#include <string>
#include <vector>

namespace emo::text {

// The special ids of a folder's generation_config.json (transformers' GenerationConfig; eos_token_id may
// be one id or a list, as LLaMA-3 ships it). -1 / empty where the file or the field is absent.
struct GenerationTokenIds {
    int64_t bos = -1;
    std::vector<int64_t> eos;
    int64_t pad = -1;
    bool empty() const { return bos < 0 && eos.empty() && pad < 0; }
};

// Reads <folder>/generation_config.json when it is there; throws emo::Error(BadInput) naming the file and
// field when a field is not a non-negative integer (or list of them).
GenerationTokenIds readGenerationTokenIds(const std::string& folder);

// A tokenizer whose BOS, EOS, PAD and stop ids are those of generation_config.json where it gives them,
// as transformers' generate() takes them from there over the tokenizer's. Everything else is the wrapped
// tokenizer's.
class GenerationTokens : public Tokenizer {
public:
    GenerationTokens(std::unique_ptr<Tokenizer> tokenizer, GenerationTokenIds ids);

    std::vector<int64_t> encode(const std::string& text) const override { return m_tokenizer->encode(text); }
    std::string decode(const std::vector<int64_t>& ids) const override { return m_tokenizer->decode(ids); }
    std::string piece(int64_t id) const override { return m_tokenizer->piece(id); }
    int64_t pieceToId(const std::string& piece) const override { return m_tokenizer->pieceToId(piece); }
    int64_t vocabSize() const override { return m_tokenizer->vocabSize(); }
    int64_t bosId() const override { return m_ids.bos >= 0 ? m_ids.bos : m_tokenizer->bosId(); }
    int64_t eosId() const override { return m_ids.eos.empty() ? m_tokenizer->eosId() : m_ids.eos.front(); }
    int64_t padId() const override { return m_ids.pad >= 0 ? m_ids.pad : m_tokenizer->padId(); }
    std::vector<int64_t> stopIds() const override { return m_ids.eos.empty() ? m_tokenizer->stopIds() : m_ids.eos; }
    std::string kind() const override { return m_tokenizer->kind(); }
    bool addsBos() const override { return m_tokenizer->addsBos(); }
    std::string displayText(int64_t id) const override { return m_tokenizer->displayText(id); }

private:
    std::unique_ptr<Tokenizer> m_tokenizer;
    GenerationTokenIds m_ids;
};

} // namespace emo::text
