#include "text/gpt2_bpe_tokenizer.h"

#include "text/gpt2_pretokenizer.h"
#include "util/atomic_file.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

namespace emo::text {

namespace {

constexpr std::size_t kMaxCachedWords = 1 << 16;
constexpr std::size_t kMaxCachedWordBytes = 64;

nlohmann::json parseJsonFile(const std::string& path)
{
    const std::string text = util::readTextFile(path);
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw Error::badInput(path + ": not valid JSON (" + e.what() + ")");
    }
}

std::unordered_map<std::string, int64_t> readVocabObject(const nlohmann::json& vocab, const std::string& where)
{
    if (!vocab.is_object())
        throw Error::badInput(where + ": the vocabulary is not a JSON object of piece → id");
    std::unordered_map<std::string, int64_t> out;
    out.reserve(vocab.size());
    for (const auto& [piece, id] : vocab.items()) {
        if (!id.is_number_integer() || id.get<int64_t>() < 0)
            throw Error::badInput(where + ": the id of piece \"" + piece + "\" is not a non-negative integer");
        out.emplace(piece, id.get<int64_t>());
    }
    return out;
}

// One "left right" line of merges.txt or one entry of tokenizer.json's model.merges.
Gpt2BpeTokenizer::Merge splitMergeLine(const std::string& line, const std::string& where)
{
    const auto space = line.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 >= line.size()
        || line.find(' ', space + 1) != std::string::npos)
        throw Error::badInput(where + ": a merge is not two pieces separated by one space: \"" + line + "\"");
    return {line.substr(0, space), line.substr(space + 1)};
}

} // namespace

Gpt2BpeTokenizer::Gpt2BpeTokenizer(const std::unordered_map<std::string, int64_t>& vocab,
                                   const std::vector<Merge>& merges, const std::vector<AddedToken>& addedTokens,
                                   std::string source)
    : m_source(std::move(source))
{
    // The id table is as long as the largest id: bound it by what the files hold, so that one absurd id
    // cannot make us allocate gigabytes (ids are dense in every real vocabulary; a few holes are allowed).
    const int64_t entries = static_cast<int64_t>(vocab.size() + addedTokens.size());
    const int64_t limit = std::min<int64_t>(int64_t(1) << 31, 4 * entries + 1024);
    int64_t size = 0;
    auto include = [&](int64_t id, const std::string& piece) {
        if (id < 0 || id >= limit)
            throw Error::badInput(m_source + ": piece \"" + piece + "\" has id " + std::to_string(id) + ", outside [0, " +
                                  std::to_string(limit) + ") for a vocabulary of " + std::to_string(entries) +
                                  " pieces");
        size = std::max(size, id + 1);
    };
    for (const auto& [piece, id] : vocab)
        include(id, piece);
    for (const auto& added : addedTokens)
        include(added.id, added.content);
    m_pieces.assign(static_cast<std::size_t>(size), std::string());
    m_idOfPiece.reserve(vocab.size() + addedTokens.size());
    for (const auto& [piece, id] : vocab) {
        if (!m_pieces[id].empty())
            throw Error::badInput(m_source + ": id " + std::to_string(id) + " is used by both \"" + m_pieces[id]
                                  + "\" and \"" + piece + "\"");
        m_pieces[id] = piece;
        m_idOfPiece[piece] = id;
    }
    for (const auto& added : addedTokens) {
        m_pieces[added.id] = added.content;
        m_idOfPiece[added.content] = added.id;
        m_addedIds.insert(added.id);
    }

    for (int b = 0; b < 256; ++b) {
        const auto it = m_idOfPiece.find(m_alphabet.symbol(static_cast<unsigned char>(b)));
        if (it == m_idOfPiece.end()) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02X", b);
            throw Error::badInput(m_source + ": not a byte-level BPE vocabulary: the symbol of byte " + hex + " (\""
                                  + m_alphabet.symbol(static_cast<unsigned char>(b)) + "\") is missing");
        }
        m_idOfByte[b] = it->second;
    }

    m_mergeRanks.reserve(merges.size());
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
        const Merge& merge = merges[rank];
        const auto left = m_idOfPiece.find(merge.left);
        const auto right = m_idOfPiece.find(merge.right);
        const auto merged = m_idOfPiece.find(merge.left + merge.right);
        if (left == m_idOfPiece.end() || right == m_idOfPiece.end() || merged == m_idOfPiece.end())
            throw Error::badInput(m_source + ": merge " + std::to_string(rank + 1) + " (\"" + merge.left + " "
                                  + merge.right + "\") uses a piece that is not in the vocabulary");
        // A repeated merge keeps its first (lowest) rank, as Python's dict(zip(merges, range(n))) would not:
        // OpenAI's files have no repeats, so either is exact for them.
        m_mergeRanks.emplace(pairKey(left->second, right->second),
                             MergeResult{static_cast<int64_t>(rank), merged->second});
    }

    const int64_t endOfText = pieceToId("<|endoftext|>");
    m_bosId = endOfText;
    m_eosId = endOfText;
}

std::unique_ptr<Gpt2BpeTokenizer> Gpt2BpeTokenizer::fromVocabAndMerges(const std::string& vocabJsonPath,
                                                                       const std::string& mergesTxtPath)
{
    const auto vocab = readVocabObject(parseJsonFile(vocabJsonPath), vocabJsonPath);
    std::vector<Merge> merges;
    std::istringstream lines(util::readTextFile(mergesTxtPath));
    std::string line;
    int lineNumber = 0;
    while (std::getline(lines, line)) {
        ++lineNumber;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty() || (lineNumber == 1 && line.rfind("#version", 0) == 0))
            continue;
        merges.push_back(splitMergeLine(line, mergesTxtPath + " line " + std::to_string(lineNumber)));
    }
    return std::make_unique<Gpt2BpeTokenizer>(vocab, merges, std::vector<AddedToken>{},
                                              vocabJsonPath + " + " + mergesTxtPath);
}

std::unique_ptr<Gpt2BpeTokenizer> Gpt2BpeTokenizer::fromTokenizerJson(const std::string& path)
{
    const nlohmann::json root = parseJsonFile(path);
    if (!root.is_object() || !root.contains("model") || !root["model"].is_object())
        throw Error::badInput(path + ": no \"model\" object (not a Hugging Face tokenizer.json)");
    const nlohmann::json& model = root["model"];
    const std::string type = model.value("type", std::string("BPE"));
    if (type != "BPE")
        throw Error::badInput(path + ": model.type is \"" + type + "\"; only byte-level \"BPE\" is supported");
    for (const char* field : {"continuing_subword_prefix", "end_of_word_suffix"})
        if (model.contains(field) && model[field].is_string() && !model[field].get<std::string>().empty())
            throw Error::badInput(path + ": model." + field + " is set; only GPT-2 style byte-level BPE is supported");
    if (root.contains("normalizer") && !root["normalizer"].is_null())
        throw Error::badInput(path + ": has a normalizer (" + root["normalizer"].value("type", std::string("?"))
                              + "); GPT-2 byte-level BPE has none");

    // The pre-tokenizer must be ByteLevel with its regex (alone or as the only step of a Sequence).
    nlohmann::json preTokenizer = root.value("pre_tokenizer", nlohmann::json());
    if (preTokenizer.is_object() && preTokenizer.value("type", std::string()) == "Sequence"
        && preTokenizer.contains("pretokenizers") && preTokenizer["pretokenizers"].size() == 1)
        preTokenizer = preTokenizer["pretokenizers"][0];
    if (!preTokenizer.is_object() || preTokenizer.value("type", std::string()) != "ByteLevel"
        || !preTokenizer.value("use_regex", true))
        throw Error::badInput(path + ": pre_tokenizer is not ByteLevel with use_regex; only GPT-2 byte-level BPE "
                              "is supported");

    const auto vocab = readVocabObject(model.value("vocab", nlohmann::json()), path + " model.vocab");
    std::vector<Merge> merges;
    const nlohmann::json mergesJson = model.value("merges", nlohmann::json::array());
    if (!mergesJson.is_array())
        throw Error::badInput(path + ": model.merges is not an array");
    for (std::size_t i = 0; i < mergesJson.size(); ++i) {
        const auto& m = mergesJson[i];
        const std::string where = path + " model.merges[" + std::to_string(i) + "]";
        if (m.is_string())
            merges.push_back(splitMergeLine(m.get<std::string>(), where));
        else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string())
            merges.push_back({m[0].get<std::string>(), m[1].get<std::string>()});
        else
            throw Error::badInput(where + ": neither \"a b\" nor [\"a\", \"b\"]");
    }

    std::vector<AddedToken> added;
    for (const auto& token : root.value("added_tokens", nlohmann::json::array())) {
        if (!token.is_object() || !token.contains("id") || !token.contains("content")
            || !token["id"].is_number_integer() || !token["content"].is_string())
            throw Error::badInput(path + ": an entry of added_tokens lacks an integer id or a string content");
        added.push_back({token["content"].get<std::string>(), token["id"].get<int64_t>()});
    }

    auto tokenizer = std::make_unique<Gpt2BpeTokenizer>(vocab, merges, added, path);
    tokenizer->setAddPrefixSpace(preTokenizer.value("add_prefix_space", false));
    tokenizer->setIgnoreMerges(model.value("ignore_merges", false));
    return tokenizer;
}

void Gpt2BpeTokenizer::setSpecialIds(int64_t bos, int64_t eos, int64_t pad)
{
    for (int64_t id : {bos, eos, pad})
        if (id < -1 || id >= vocabSize())
            throw Error::badInput(m_source + ": special token id " + std::to_string(id) + " is outside the vocabulary");
    m_bosId = bos;
    m_eosId = eos;
    m_padId = pad;
}

// symbols: [n] ids of the current pieces of one pre-token; merges the lowest-ranked adjacent pair
// (all its non-overlapping occurrences, left to right) until no pair has a rank, as encoder.py's bpe().
void Gpt2BpeTokenizer::mergeWord(std::vector<int64_t>& symbols) const
{
    while (symbols.size() > 1) {
        int64_t bestRank = -1;
        int64_t bestLeft = 0;
        int64_t bestRight = 0;
        int64_t bestMerged = 0;
        for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
            const auto it = m_mergeRanks.find(pairKey(symbols[i], symbols[i + 1]));
            if (it != m_mergeRanks.end() && (bestRank < 0 || it->second.rank < bestRank)) {
                bestRank = it->second.rank;
                bestLeft = symbols[i];
                bestRight = symbols[i + 1];
                bestMerged = it->second.mergedId;
            }
        }
        if (bestRank < 0)
            break;
        std::size_t write = 0;
        for (std::size_t read = 0; read < symbols.size(); ++read) {
            if (read + 1 < symbols.size() && symbols[read] == bestLeft && symbols[read + 1] == bestRight) {
                symbols[write++] = bestMerged;
                ++read;
            } else {
                symbols[write++] = symbols[read];
            }
        }
        symbols.resize(write);
    }
}

void Gpt2BpeTokenizer::encodeWord(std::string_view word, std::vector<int64_t>& out) const
{
    const bool cacheable = word.size() <= kMaxCachedWordBytes;
    std::string key;
    if (cacheable) {
        key.assign(word);
        std::lock_guard<std::mutex> lock(m_cacheMutex);
        const auto it = m_cache.find(key);
        if (it != m_cache.end()) {
            out.insert(out.end(), it->second.begin(), it->second.end());
            return;
        }
    }
    std::vector<int64_t> symbols;
    if (m_ignoreMerges) {
        const auto whole = m_idOfPiece.find(m_alphabet.encode(word));
        if (whole != m_idOfPiece.end() && !m_addedIds.count(whole->second))
            symbols.push_back(whole->second);
    }
    if (symbols.empty()) {
        symbols.reserve(word.size());
        for (char c : word)
            symbols.push_back(m_idOfByte[static_cast<unsigned char>(c)]);
        mergeWord(symbols);
    }
    out.insert(out.end(), symbols.begin(), symbols.end());
    if (cacheable) {
        std::lock_guard<std::mutex> lock(m_cacheMutex);
        if (m_cache.size() >= kMaxCachedWords)
            m_cache.clear();
        m_cache.emplace(std::move(key), std::move(symbols));
    }
}

std::vector<int64_t> Gpt2BpeTokenizer::encode(const std::string& text) const
{
    std::vector<int64_t> ids;
    ids.reserve(text.size() / 3 + 1);
    const bool prefix = m_addPrefixSpace && !text.empty() && text.front() != ' ';
    const std::string prefixed = prefix ? " " + text : std::string();
    for (std::string_view word : gpt2PreTokenize(prefix ? std::string_view(prefixed) : std::string_view(text)))
        encodeWord(word, ids);
    return ids;
}

std::string Gpt2BpeTokenizer::decode(const std::vector<int64_t>& ids) const
{
    std::string bytes;
    std::string symbols;
    for (int64_t id : ids) {
        if (id < 0 || id >= vocabSize() || (m_pieces[id].empty() && !m_addedIds.count(id)))
            throw Error::badInput("token id " + std::to_string(id) + " is not in the vocabulary of " + m_source
                                  + " (size " + std::to_string(vocabSize()) + ")");
        if (m_addedIds.count(id)) {
            bytes += m_alphabet.decode(symbols);
            symbols.clear();
            bytes += m_pieces[id];
        } else {
            symbols += m_pieces[id];
        }
    }
    bytes += m_alphabet.decode(symbols);
    return bytes;
}

std::string Gpt2BpeTokenizer::piece(int64_t id) const
{
    if (id < 0 || id >= vocabSize())
        throw Error::badInput("token id " + std::to_string(id) + " is not in the vocabulary of " + m_source
                              + " (size " + std::to_string(vocabSize()) + ")");
    return m_pieces[id];
}

int64_t Gpt2BpeTokenizer::pieceToId(const std::string& piece) const
{
    const auto it = m_idOfPiece.find(piece);
    return it == m_idOfPiece.end() ? -1 : it->second;
}

} // namespace emo::text
