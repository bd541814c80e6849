#include "eval/continuation_split.h"

#include "util/error.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace emo::eval {
namespace {

bool isSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::vector<std::string> splitWords(const std::string& text)
{
    std::vector<std::string> words;
    std::istringstream in(text);
    for (std::string word; in >> word;)
        words.push_back(word);
    return words;
}

std::string joinWords(const std::vector<std::string>& words, size_t from, size_t to)
{
    std::string out;
    for (size_t i = from; i < to; ++i) {
        if (i > from)
            out += ' ';
        out += words[i];
    }
    return out;
}

} // namespace

std::vector<ContinuationExample> splitContinuations(const std::vector<std::string>& documents, int64_t prefixWords,
                                                    int64_t continuationWords, int64_t maxExamples)
{
    if (prefixWords < 1)
        throw Error::badInput("--prefix-words must be positive, got " + std::to_string(prefixWords));
    if (continuationWords < 1)
        throw Error::badInput("--continuation-words must be positive, got " + std::to_string(continuationWords));
    std::vector<ContinuationExample> out;
    for (const auto& document : documents) {
        if (maxExamples > 0 && static_cast<int64_t>(out.size()) >= maxExamples)
            break;
        const auto words = splitWords(document);
        const size_t p = static_cast<size_t>(prefixWords);
        if (words.size() <= p)
            continue;
        const size_t end = std::min(words.size(), p + static_cast<size_t>(continuationWords));
        out.push_back({joinWords(words, 0, p), joinWords(words, p, end)});
    }
    return out;
}

std::string truncateWords(const std::string& text, int64_t words)
{
    int64_t seen = 0;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && isSpace(text[i]))
            ++i;
        if (i == text.size())
            break;
        while (i < text.size() && !isSpace(text[i]))
            ++i;
        if (++seen == words)
            return text.substr(0, i);
    }
    return text;
}

} // namespace emo::eval
