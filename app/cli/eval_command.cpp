// emo eval --model DIR --data FILE [--metrics ppl] [--block T] [--json]: metrics of a model on a data set.
// Perplexity follows the training recipe: every document is tokenized, EOS appended after each, the stream
// concatenated and cut into blocks of --block tokens (the remainder dropped); each block's first token is
// context only, so a block contributes T − 1 predictions. Natural log.
#include "cli_command.h"

#include "eval/perplexity.h"
#include "format.h"
#include "io/dataset.h"
#include "model/language_model.h"
#include "terminal_progress.h"
#include "text/tokenizer.h"
#include "util/device.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <sstream>

namespace emo::cli {
namespace {

class EvalCommand : public CliCommand {
public:
    const char* name() const override { return "eval"; }
    const char* summary() const override { return "Metrics of a model on a data set (perplexity)"; }

    void declareOptions(CLI::App& command) override
    {
        command.add_option("--model", m_model, "Hugging Face model folder")->required();
        command.add_option("--data", m_data, "Data set (.txt, .jsonl, WikiText raw)")->required();
        command.add_option("--metrics", m_metrics, "Comma-separated metrics: ppl")->capture_default_str();
        command.add_option("--block", m_block, "Tokens per scored block (0 = min(256, the model's context))")->capture_default_str();
        command.add_option("--batch", m_batch, "Blocks per forward pass")->capture_default_str();
        command.add_option("--device", m_device, "cpu | cuda | cuda:N")->capture_default_str();
        command.add_flag("--json", m_json, "One JSON document on stdout");
    }

    int run() override
    {
        std::vector<std::string> metrics;
        std::stringstream list(m_metrics);
        for (std::string metric; std::getline(list, metric, ',');)
            if (!metric.empty())
                metrics.push_back(metric);
        for (const auto& metric : metrics)
            if (metric != "ppl")
                throw Error::badInput("--metrics: unknown metric '" + metric + "' (available: ppl)");

        auto model = model::LanguageModel::load(m_model, util::parseDevice(m_device));
        auto tokenizer = text::loadTokenizer(m_model);
        text::checkTokenizerFitsModel(*tokenizer, model->config().vocabSize, m_model);
        const int64_t block = m_block > 0 ? m_block : std::min<int64_t>(256, model->config().maxPositions);
        if (block > model->config().maxPositions)
            throw Error::badInput("--block " + std::to_string(block) + " exceeds the model's context of "
                                  + std::to_string(model->config().maxPositions) + " tokens");
        const auto blocks = io::tokenizeIntoBlocks(io::readDocuments(m_data), *tokenizer, block);

        TerminalProgress bar("ppl");
        const auto result = eval::computePerplexity(*model, blocks, m_batch, [&](const Progress& p) {
            bar.update(p.done, p.total, "");
            return true;
        });
        bar.finish();

        if (m_json) {
            nlohmann::json out = {{"model", m_model}, {"data", m_data}, {"block", block},
                                  {"ppl", {{"perplexity", result.perplexity}, {"mean_nll", result.meanNll},
                                           {"predicted_tokens", result.predictedTokens}, {"blocks", blocks.size(0)}}}};
            std::cout << out.dump() << "\n";
        } else {
            std::cout << "model        " << m_model << "\n"
                      << "data         " << m_data << " (" << blocks.size(0) << " blocks of " << block << " tokens)\n"
                      << "perplexity   " << formatNumber(result.perplexity, 5) << "  (mean NLL " << formatNumber(result.meanNll, 5)
                      << " nats over " << result.predictedTokens << " predicted tokens)\n";
        }
        return 0;
    }

private:
    std::string m_model, m_data, m_metrics = "ppl", m_device = "cpu";
    int64_t m_block = 0, m_batch = 8;
    bool m_json = false;
};

} // namespace

std::unique_ptr<CliCommand> makeEvalCommand() { return std::make_unique<EvalCommand>(); }

} // namespace emo::cli
