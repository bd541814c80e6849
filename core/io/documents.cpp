#include "io/documents.h"

#include "util/atomic_file.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

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

DocumentFormat documentFormatOf(const std::string& path, const std::string& content)
{
    if (endsWith(path, ".jsonl"))
        return DocumentFormat::JsonLines;
    const auto lines = splitLines(content);
    return std::any_of(lines.begin(), lines.end(), isWikiTextArticleHeading) ? DocumentFormat::WikiText
                                                                              : DocumentFormat::PlainText;
}

DocumentFormat detectDocumentFormat(const std::string& path)
{
    return documentFormatOf(path, util::readTextFile(path));
}

const char* toString(DocumentFormat format)
{
    switch (format) {
    case DocumentFormat::JsonLines: return "jsonl";
    case DocumentFormat::WikiText: return "wikitext";
    case DocumentFormat::PlainText: return "text";
    }
    return "text";
}

std::vector<std::string> readDocuments(const std::string& path)
{
    const std::string content = util::readTextFile(path);
    std::vector<std::string> documents;
    switch (documentFormatOf(path, content)) {
    case DocumentFormat::JsonLines: documents = readJsonLines(path, content); break;
    case DocumentFormat::WikiText: documents = readWikiText(splitLines(content)); break;
    case DocumentFormat::PlainText: documents = readBlankLineSeparated(splitLines(content)); break;
    }
    if (documents.empty())
        throw Error::badInput(path + ": no documents (the file is empty or holds only blank text)");
    return documents;
}

std::vector<std::string> readPrompts(const std::string& path)
{
    const bool jsonLines = endsWith(path, ".jsonl");
    const auto lines = splitLines(util::readTextFile(path));
    std::vector<std::string> prompts;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string trimmed = trim(lines[i]);
        if (trimmed.empty())
            continue;
        if (!jsonLines && trimmed.front() != '{') {
            prompts.push_back(lines[i]);
            continue;
        }
        const std::string where = path + ":" + std::to_string(i + 1);
        nlohmann::json object;
        try {
            object = nlohmann::json::parse(trimmed);
        } catch (const nlohmann::json::exception&) {
            throw Error::badInput(where + ": expected a JSON object with a string field 'text' or 'prompt'");
        }
        const char* key = object.is_object() && object.contains("text") ? "text" : "prompt";
        if (!object.is_object() || !object.contains(key) || !object[key].is_string())
            throw Error::badInput(where + ": expected a JSON object with a string field 'text' or 'prompt'");
        std::string prompt = object[key].get<std::string>();
        if (!trim(prompt).empty())
            prompts.push_back(std::move(prompt));
    }
    if (prompts.empty())
        throw Error::badInput(path + ": no prompts (one prompt a line, or JSON lines with 'text' or 'prompt')");
    return prompts;
}

} // namespace emo::io
