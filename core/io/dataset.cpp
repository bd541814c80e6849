#include "io/dataset.h"

#include "util/atomic_file.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <random>

namespace emo::io {

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string trim(const std::string& text)
{
    std::size_t begin = 0, end = text.size();
    while (begin < end && isBlank(text[begin]))
        ++begin;
    while (end > begin && isBlank(text[end - 1]))
        --end;
    return text.substr(begin, end - begin);
}

// Lines without their "\n" (and without a "\r" before it, for files written on Windows).
std::vector<std::string> splitLines(const std::string& text)
{
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t newline = text.find('\n', start);
        std::size_t end = newline == std::string::npos ? text.size() : newline;
        std::string line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        lines.push_back(std::move(line));
        if (newline == std::string::npos)
            break;
        start = newline + 1;
    }
    return lines;
}

bool endsWith(const std::string& text, const std::string& suffix)
{
    if (text.size() < suffix.size())
        return false;
    for (std::size_t i = 0; i < suffix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(text[text.size() - suffix.size() + i])) != suffix[i])
            return false;
    return true;
}

// WikiText article headings are " = Title = "; section headings " = = Title = = " (and deeper) are not.
bool isWikiTextArticleHeading(const std::string& line)
{
    const std::string t = trim(line);
    return t.size() >= 5 && t.compare(0, 2, "= ") == 0 && t.compare(t.size() - 2, 2, " =") == 0 &&
           t[2] != '=' && t[t.size() - 3] != '=';
}

void addDocument(std::vector<std::string>& documents, const std::string& text)
{
    std::string document = trim(text);
    if (!document.empty())
        documents.push_back(std::move(document));
}

std::vector<std::string> readJsonLines(const std::string& path, const std::string& content)
{
    std::vector<std::string> documents;
    const auto lines = splitLines(content);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (trim(lines[i]).empty())
            continue;
        const std::string where = path + ":" + std::to_string(i + 1);
        nlohmann::json object;
        try {
            object = nlohmann::json::parse(lines[i]);
        } catch (const nlohmann::json::exception& e) {
            throw Error::badInput(where + ": not valid JSON: " + e.what());
        }
        if (!object.is_object())
            throw Error::badInput(where + ": expected a JSON object with a field 'text'");
        auto text = object.find("text");
        if (text == object.end())
            throw Error::badInput(where + ": missing field 'text'");
        if (!text->is_string())
            throw Error::badInput(where + ": field 'text' is not a string");
        addDocument(documents, text->get<std::string>());
    }
    return documents;
}

// Articles start at their heading line, which stays in the document (as the text the model trains on).
std::vector<std::string> readWikiText(const std::vector<std::string>& lines)
{
    std::vector<std::string> documents;
    std::string current;
    for (const auto& line : lines) {
        if (isWikiTextArticleHeading(line)) {
            addDocument(documents, current);
            current.clear();
        }
        current += line;
        current += '\n';
    }
    addDocument(documents, current);
    return documents;
}

std::vector<std::string> readBlankLineSeparated(const std::vector<std::string>& lines)
{
    std::vector<std::string> documents;
    std::string current;
    for (const auto& line : lines) {
        if (trim(line).empty()) {
            addDocument(documents, current);
            current.clear();
            continue;
        }
        current += line;
        current += '\n';
    }
    addDocument(documents, current);
    return documents;
}

} // namespace

std::vector<std::string> readDocuments(const std::string& path)
{
    const std::string content = util::readTextFile(path);
    std::vector<std::string> documents;
    if (endsWith(path, ".jsonl")) {
        documents = readJsonLines(path, content);
    } else {
        const auto lines = splitLines(content);
        const bool wikiText = std::any_of(lines.begin(), lines.end(), isWikiTextArticleHeading);
        documents = wikiText ? readWikiText(lines) : readBlankLineSeparated(lines);
    }
    if (documents.empty())
        throw Error::badInput(path + ": no documents (the file is empty or holds only blank text)");
    return documents;
}

// blocks [N, T] → train [N - Nval, T], validation [Nval, T]; both keep the original block order.
BlockSplit splitBlocks(const torch::Tensor& blocks, double validationFraction, uint64_t seed)
{
    if (blocks.dim() != 2)
        throw Error::badInput("blocks must be a [N, T] tensor, got " + std::to_string(blocks.dim()) + " dimensions");
    const int64_t n = blocks.size(0);
    if (n < 2)
        throw Error::badInput("need at least 2 blocks to hold some out for validation, got " + std::to_string(n));
    if (!(validationFraction > 0.0 && validationFraction < 1.0))
        throw Error::badInput("validation fraction must lie strictly between 0 and 1, got " +
                              std::to_string(validationFraction));
    const int64_t numValidation =
        std::min<int64_t>(n - 1, std::max<int64_t>(1, std::llround(validationFraction * static_cast<double>(n))));

    // Fisher–Yates with our own unbiased draw: std::shuffle and std::uniform_int_distribution differ
    // between standard libraries, and a split must be the same everywhere for a given seed.
    std::mt19937_64 rng(seed);
    auto draw = [&rng](uint64_t bound) {  // uniform in [0, bound)
        const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
        uint64_t value;
        do
            value = rng();
        while (value >= limit);
        return value % bound;
    };
    std::vector<int64_t> order(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        order[static_cast<std::size_t>(i)] = i;
    for (int64_t i = n - 1; i > 0; --i)
        std::swap(order[static_cast<std::size_t>(i)],
                  order[static_cast<std::size_t>(draw(static_cast<uint64_t>(i + 1)))]);

    std::vector<int64_t> validation(order.begin(), order.begin() + numValidation);
    std::vector<int64_t> train(order.begin() + numValidation, order.end());
    std::sort(validation.begin(), validation.end());
    std::sort(train.begin(), train.end());
    auto select = [&blocks](const std::vector<int64_t>& indices) {
        return blocks.index_select(0, torch::tensor(indices).to(blocks.device()));
    };
    return BlockSplit{select(train), select(validation)};
}

} // namespace emo::io
