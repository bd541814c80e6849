#pragma once
#include "text/tokenizer.h"

#include <memory>
#include <string>

struct emo_sp_model;

namespace emo::text {

class SentencePieceLibrary;

// A sentencepiece tokenizer.model, through the dlopen shim (sentencepiece_library.h). Ids are raw
// sentencepiece ids, the LLaMA convention: encode() is the model's encoding of the text with no BOS;
// the caller adds bosId(). Safe to call from several threads (sentencepiece's processor is const here).
class SentencePieceTokenizer : public Tokenizer {
public:
    // Throws emo::Error: BadInput naming the file when it is not a valid model, Runtime when the shim
    // cannot be loaded.
    explicit SentencePieceTokenizer(const std::string& modelPath);
    ~SentencePieceTokenizer() override;
    SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
    SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

    std::vector<int64_t> encode(const std::string& text) const override;
    std::string decode(const std::vector<int64_t>& ids) const override;
    std::string piece(int64_t id) const override;
    int64_t pieceToId(const std::string& piece) const override;
    int64_t vocabSize() const override { return m_vocabSize; }
    int64_t bosId() const override { return m_bosId; }
    int64_t eosId() const override { return m_eosId; }
    int64_t padId() const override { return m_padId; }
    std::string kind() const override { return "sentencepiece"; }
    bool addsBos() const override { return m_bosId >= 0; }  // LlamaTokenizer's add_bos_token default
    // The piece with "▁" shown as a space (decode() of one id would drop a leading one), a byte
    // fallback piece "<0xNN>" as its byte (escaped when it is part of a character), controls as "<s>".
    std::string displayText(int64_t id) const override;

    int64_t unkId() const { return m_unkId; }
    const std::string& modelPath() const { return m_modelPath; }

private:
    std::string m_modelPath;
    std::shared_ptr<const SentencePieceLibrary> m_library;
    emo_sp_model* m_model = nullptr;
    int64_t m_vocabSize = 0;
    int64_t m_bosId = -1;
    int64_t m_eosId = -1;
    int64_t m_padId = -1;
    int64_t m_unkId = -1;
};

} // namespace emo::text
