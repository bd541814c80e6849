// emo tokenize --model DIR (--text TEXT | --file FILE) [--json]: token ids and pieces, no special tokens added.
#include "cli_command.h"

#include "text/tokenizer.h"
#include "util/error.h"
#include "util/atomic_file.h"

#include <nlohmann/json.hpp>

#include <iostream>

namespace emo::cli {
namespace {

class TokenizeCommand : public CliCommand {
public:
    const char* name() const override { return "tokenize"; }
    const char* summary() const override { return "Token ids and pieces of a text under a model's tokenizer"; }

    void declareOptions(CLI::App& command) override
    {
        command.add_option("--model", m_model, "Model folder (only its tokenizer files are read)")->required();
        m_textOption = command.add_option("--text", m_text, "Text to tokenize (may be empty)");
        m_fileOption = command.add_option("--file", m_file, "File whose whole content is tokenized");
        m_textOption->excludes(m_fileOption);
        m_fileOption->excludes(m_textOption);
        command.add_flag("--json", m_json, "Print {\"ids\":[...],\"pieces\":[...]}");
    }

    int run() override
    {
        if (m_textOption->count() == 0 && m_fileOption->count() == 0)
            throw Error::badInput("tokenize needs --text TEXT or --file FILE");
        const std::string input = m_fileOption->count() == 0 ? m_text : util::readTextFile(m_file);
        auto tokenizer = text::loadTokenizer(m_model);
        const auto ids = tokenizer->encode(input);
        std::vector<std::string> pieces;
        pieces.reserve(ids.size());
        for (auto id : ids)
            pieces.push_back(tokenizer->piece(id));
        if (m_json) {
            nlohmann::json out{{"ids", ids}, {"pieces", pieces}};
            std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        } else {
            for (std::size_t i = 0; i < ids.size(); ++i)
                std::cout << ids[i] << "\t" << tokenizer->displayText(ids[i]) << "\n";
            std::cerr << ids.size() << " tokens\n";
        }
        return 0;
    }

private:
    std::string m_model, m_text, m_file;
    CLI::Option* m_textOption = nullptr;  // counted: an empty --text is a text, and has no tokens
    CLI::Option* m_fileOption = nullptr;
    bool m_json = false;
};

} // namespace

std::unique_ptr<CliCommand> makeTokenizeCommand() { return std::make_unique<TokenizeCommand>(); }

} // namespace emo::cli
