#pragma once
#include "text/byte_level_alphabet.h"
#include "text/tokenizer.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace emo::text {

// GPT-2 byte-level BPE, exactly as OpenAI's encoder.py: the pre-tokenization regex (gpt2_pretokenizer.h),
// bytes → printable symbols (ByteLevelAlphabet), then greedy merges by rank inside each pre-token.
// encode() treats its text literally: "<|endoftext|>" in the text is encoded as ordinary characters (as
// OpenAI's encoder does); callers add special ids themselves. Safe to call from several threads.
class Gpt2BpeTokenizer : public Tokenizer {
public:
    struct Merge {
        std::string left;
        std::string right;
    };
    struct AddedToken {  // tokenizer.json "added_tokens": decoded as their literal content
        std::string content;
        int64_t id = -1;
    };

    // `source` names the file(s) in error messages. Every byte symbol and every merge's parts and
    // result must be in `vocab`; throws emo::Error(BadInput) otherwise.
    Gpt2BpeTokenizer(const std::unordered_map<std::string, int64_t>& vocab, const std::vector<Merge>& merges,
                     const std::vector<AddedToken>& addedTokens, std::string source);

    static std::unique_ptr<Gpt2BpeTokenizer> fromVocabAndMerges(const std::string& vocabJsonPath,
                                                                const std::string& mergesTxtPath);
    // A Hugging Face tokenizer.json whose model is BPE with a ByteLevel pre-tokenizer.
    static std::unique_ptr<Gpt2BpeTokenizer> fromTokenizerJson(const std::string& tokenizerJsonPath);

    std::vector<int64_t> encode(const std::string& text) const override;
    std::string decode(const std::vector<int64_t>& ids) const override;
    std::string piece(int64_t id) const override;
    int64_t pieceToId(const std::string& piece) const override;
    int64_t vocabSize() const override { return static_cast<int64_t>(m_pieces.size()); }
    int64_t bosId() const override { return m_bosId; }
    int64_t eosId() const override { return m_eosId; }
    int64_t padId() const override { return m_padId; }
    std::string kind() const override { return "gpt2-bpe"; }
    bool addsBos() const override { return m_addBos && m_bosId >= 0; }

    // Defaults: BOS = EOS = "<|endoftext|>" when the vocabulary has it, no PAD. -1 means none.
    void setSpecialIds(int64_t bos, int64_t eos, int64_t pad);
    // tokenizer.json's ByteLevel add_prefix_space: a space is put before the text when it has none.
    void setAddPrefixSpace(bool add) { m_addPrefixSpace = add; }
    // tokenizer.json's BPE ignore_merges: a pre-token that is a whole vocabulary entry is taken as is.
    void setIgnoreMerges(bool ignore) { m_ignoreMerges = ignore; }
    // tokenizer_config.json's add_bos_token (GPT-2: false; OPT's GPT2Tokenizer: true).
    void setAddsBos(bool add) { m_addBos = add; }
    int64_t mergeCount() const { return static_cast<int64_t>(m_mergeRanks.size()); }

private:
    struct MergeResult {
        int64_t rank;
        int64_t mergedId;
    };
    static uint64_t pairKey(int64_t left, int64_t right)
    {
        return (static_cast<uint64_t>(left) << 32) | static_cast<uint64_t>(right);
    }
    void encodeWord(std::string_view word, std::vector<int64_t>& out) const;
    void mergeWord(std::vector<int64_t>& symbols) const;

    std::string m_source;
    ByteLevelAlphabet m_alphabet;
    std::vector<std::string> m_pieces;  // id → piece ("" for unused ids)
    std::unordered_map<std::string, int64_t> m_idOfPiece;
    std::unordered_set<int64_t> m_addedIds;
    std::array<int64_t, 256> m_idOfByte{};
    std::unordered_map<uint64_t, MergeResult> m_mergeRanks;
    int64_t m_bosId = -1;
    bool m_addBos = false;
    int64_t m_eosId = -1;
    int64_t m_padId = -1;
    bool m_addPrefixSpace = false;
    bool m_ignoreMerges = false;

    // Pre-token → ids. Bounded: cleared when full, so a long corpus cannot grow it without end.
    mutable std::mutex m_cacheMutex;
    mutable std::unordered_map<std::string, std::vector<int64_t>> m_cache;
};

} // namespace emo::text
