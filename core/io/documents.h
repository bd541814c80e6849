#pragma once
#include <string>
#include <vector>

// Readers of text files: the documents of a data file and the prompts of a prompt file. Plain C++ (no torch,
// no Qt): the views read the same files the same way as the CLI and the trainer.
namespace emo::io {

// How a data file holds its documents, decided by extension and content (not by the file's name).
enum class DocumentFormat {
    JsonLines,  // .jsonl: one JSON object a line, field `text`
    WikiText,   // WikiText raw layout: " = Title = " headings start articles (detected by content)
    PlainText,  // documents separated by blank lines
};
const char* toString(DocumentFormat format);  // "jsonl" | "wikitext" | "text"
// Throws emo::Error(BadInput) naming the file when it cannot be read.
DocumentFormat detectDocumentFormat(const std::string& path);

// Documents of a data file in its DocumentFormat. Empty documents are dropped; a file with none throws
// emo::Error(BadInput) naming the file; a bad JSONL line names the file and line number.
std::vector<std::string> readDocuments(const std::string& path);

// Prompts of a prompt file: one a line (blank lines skipped, "\r\n" accepted), or JSON lines with a string
// field `text` or `prompt` (every line of a .jsonl file; elsewhere a line that starts with '{'). A JSON
// prompt keeps its newlines. Throws emo::Error(BadInput) naming file and line, or the file when it holds none.
std::vector<std::string> readPrompts(const std::string& path);

} // namespace emo::io
