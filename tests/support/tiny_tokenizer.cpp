#include "support/tiny_tokenizer.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

namespace emo::test {

namespace {

// GPT-2's bytes_to_unicode(), written out independently of core/text so that a bug there shows up.
std::vector<std::pair<int, std::string>> byteSymbolsInOrder()
{
    std::vector<std::pair<int, std::string>> out;
    const auto utf8 = [](int cp) {
        std::string s;
        if (cp < 0x80) {
            s.push_back(static_cast<char>(cp));
        } else {
            s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
        return s;
    };
    std::set<int> printable;
    for (int b = '!'; b <= '~'; ++b) printable.insert(b);
    for (int b = 0xA1; b <= 0xAC; ++b) printable.insert(b);
    for (int b = 0xAE; b <= 0xFF; ++b) printable.insert(b);
    for (int b : printable)
        out.push_back({b, utf8(b)});
    int next = 256;
    for (int b = 0; b < 256; ++b)
        if (!printable.count(b))
            out.push_back({b, utf8(next++)});
    return out;
}

// Merges in rank order: common English pairs first (each uses only earlier results), then letter pairs.
std::vector<std::pair<std::string, std::string>> mergeList()
{
    std::vector<std::pair<std::string, std::string>> merges = {
        {"Ġ", "t"}, {"Ġ", "a"}, {"h", "e"}, {"i", "n"}, {"r", "e"}, {"o", "n"}, {"Ġt", "he"}, {"e", "r"},
        {"Ġ", "s"}, {"a", "t"}, {"Ġ", "w"}, {"Ġ", "o"}, {"e", "n"}, {"Ġ", "c"}, {"i", "t"}, {"i", "s"},
        {"a", "n"}, {"o", "r"}, {"e", "s"}, {"Ġ", "b"}, {"e", "d"}, {"Ġ", "f"}, {"in", "g"}, {"Ġ", "p"},
        {"o", "u"}, {"Ġa", "n"}, {"a", "l"}, {"a", "r"}, {"Ġt", "o"}, {"Ġ", "m"}, {"Ġo", "f"}, {"Ġ", "in"},
        {"Ġ", "d"}, {"Ġ", "h"}, {"Ġan", "d"}, {"i", "c"}, {"a", "s"}, {"l", "e"}, {"Ġt", "h"}, {"i", "on"},
    };
    std::set<std::string> results;
    for (const auto& [a, b] : merges)
        results.insert(a + b);
    for (char a = 'a'; a <= 'z'; ++a)
        for (char b = 'a'; b <= 'z'; ++b) {
            const std::string left(1, a), right(1, b);
            if (!results.count(left + right)) {
                merges.push_back({left, right});
                results.insert(left + right);
            }
        }
    return merges;
}

} // namespace

int64_t maxTinyTokenizerMerges()
{
    return static_cast<int64_t>(mergeList().size());
}

void writeByteLevelBpeTokenizer(const std::string& folder, int64_t extraMerges)
{
    const auto merges = mergeList();
    if (extraMerges < 0 || extraMerges > static_cast<int64_t>(merges.size()))
        throw std::invalid_argument("writeByteLevelBpeTokenizer: extraMerges must be in 0.."
                                    + std::to_string(merges.size()));
    std::filesystem::create_directories(folder);

    nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
    int64_t id = 0;
    for (const auto& [byte, symbol] : byteSymbolsInOrder())
        vocab[symbol] = id++;
    std::string mergesText = "#version: 0.2\n";
    for (int64_t i = 0; i < extraMerges; ++i) {
        vocab[merges[i].first + merges[i].second] = id++;
        mergesText += merges[i].first + " " + merges[i].second + "\n";
    }
    vocab["<|endoftext|>"] = id++;

    std::ofstream vocabFile(folder + "/vocab.json", std::ios::binary);
    vocabFile << vocab.dump();
    std::ofstream mergesFile(folder + "/merges.txt", std::ios::binary);
    mergesFile << mergesText;
    if (!vocabFile || !mergesFile)
        throw std::runtime_error("writeByteLevelBpeTokenizer: cannot write into " + folder);
}

} // namespace emo::test
