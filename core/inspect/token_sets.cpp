#include "inspect/token_sets.h"

#include "inspect/inspector.h"
#include "util/error.h"

#include <algorithm>
#include <cctype>

namespace emo::inspect {

namespace {

std::string trimmed(const std::string& text)
{
    const auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos)
        return {};
    return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

// "cat, dog  car" → {"cat", "dog", "car"}.
std::vector<std::string> words(const std::string& text)
{
    std::vector<std::string> out;
    std::string current;
    for (char c : text + " ") {
        if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
            if (!current.empty())
                out.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    return out;
}

} // namespace

int64_t firstTokenOfWord(const Inspector& inspector, const std::string& word)
{
    const auto encoded = inspector.encode(" " + trimmed(word), BosPolicy::Never);
    for (int64_t id : encoded)
        if (inspector.displayText(id).find_first_not_of(' ') != std::string::npos)
            return id;
    if (encoded.empty())
        throw Error::badInput("cost matrix: '" + word + "' gives no token");
    return encoded.front();
}

std::vector<int64_t> tokenSet(const Inspector& inspector, const TokenSetSettings& settings, const InspectReport& last)
{
    std::vector<int64_t> ids;
    switch (settings.source) {
    case TokenSetSource::TopKAtPosition: {
        if (last.tokens.empty())
            throw Error::badInput("cost matrix: inspect a text first, then pick a position");
        const std::string text = trimmed(settings.text);
        const int64_t size = static_cast<int64_t>(last.tokens.size());
        int64_t index = -1;
        if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
            index = text.size() <= 9 ? std::stoll(text) : size;
        if (index < 0 || index >= size)
            throw Error::badInput("cost matrix: position must be 0.." + std::to_string(size - 1));
        const auto& token = last.tokens[static_cast<size_t>(index)];
        ids.push_back(token.id);
        const int64_t wanted = std::max<int64_t>(settings.count, 2);
        for (const auto& c : token.topk)
            if (c.id != token.id && static_cast<int64_t>(ids.size()) < wanted)
                ids.push_back(c.id);
        break;
    }
    case TokenSetSource::WordList:
        for (const auto& word : words(settings.text)) {
            const int64_t id = firstTokenOfWord(inspector, word);
            if (std::find(ids.begin(), ids.end(), id) == ids.end())
                ids.push_back(id);
        }
        if (ids.size() < 2)
            throw Error::badInput("cost matrix: type at least two different words");
        break;
    case TokenSetSource::NearestNeighbours: {
        const int64_t id = firstTokenOfWord(inspector, settings.text);
        ids.push_back(id);
        for (const auto& n : inspector.nearestNeighbours(id, std::max<int64_t>(settings.count, 1)))
            ids.push_back(n.id);
        break;
    }
    }
    return ids;
}

} // namespace emo::inspect
