// emo eval --model DIR --data FILE [--metrics ppl,mauve,rouge,oracle-ppl,fwd-ce,rev-ce,fewshot] [--oracle DIR]
//          [--prefix-words N --continuation-words N --samples N --seeds N --max-prefixes N]
//          [--protocol pooled|official --continuation-tokens N]
//          [--template T --shots K] [--json]: metrics of a model on a data set.
// ppl follows the training recipe: every document is tokenized, EOS appended after each, the stream
// concatenated and cut into blocks of --block tokens (the remainder dropped); each block's first token is
// context only, so a block contributes T − 1 predictions. Natural log.
// mauve, rouge, oracle-ppl, fwd-ce, rev-ce follow the paper's continuation protocol (eval/continuation_eval.h);
// fewshot classifies a JSONL of {"text","label"} by the log-likelihood of each label's template (eval/few_shot.h).
// Output: a table (metric, mean, std, count), or with --json one document
//   {"model","data","metrics":[{"name","mean","std","count"}],"mauve":{"score","curve_x","curve_y"},
//    "fewshot":{"accuracy","correct","total","labels","predictions","gold"}}
// plus "protocol" ("pooled" | "official": how continuations were sampled and scored, eval/continuation_eval.h),
// where "mauve" and "fewshot" appear only when those metrics were asked for. Metrics keep the order given;
// "rouge" reports "rouge-1" and "rouge-l", "fewshot" reports "fewshot-acc". Unknown metric or oracle-ppl /
// rev-ce without --oracle: exit 2 before any model is loaded.
#include "cli_command.h"
#include "option_checks.h"

#include "eval/metric_catalog.h"
#include "eval/model_evaluation.h"
#include "format.h"
#include "io/documents.h"
#include "model/model_folder.h"
#include "terminal_progress.h"
#include "text/tokenizer.h"
#include "util/device.h"
#include "util/precision.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace emo::cli {
namespace {

std::vector<std::string> splitList(const std::string& text)
{
    std::vector<std::string> out;
    std::stringstream list(text);
    for (std::string item; std::getline(list, item, ',');)
        if (!item.empty())
            out.push_back(item);
    return out;
}

class EvalCommand : public CliCommand {
public:
    const char* name() const override { return "eval"; }
    const char* summary() const override
    {
        return "Metrics of a model on a data set (perplexity, MAUVE, ROUGE, oracle perplexity, cross-entropies, few-shot)";
    }

    void declareOptions(CLI::App& command) override
    {
        command.add_option("--model", m_model, "Hugging Face model folder")->required();
        command.add_option("--data", m_data, "Data set (.txt, .jsonl, WikiText raw; fewshot: JSONL of text, label)")->required();
        command.add_option("--metrics", m_metrics, "Comma-separated, of: " + eval::metricRequestList())->capture_default_str();
        command.add_option("--oracle", m_oracle, "Oracle / reference model folder (oracle-ppl, rev-ce; MAUVE's feature model)");
        command.add_option("--block", m_block, "ppl: tokens per scored block (0 = min(256, the model's context))")
            ->check(countIn(0, kMaxRows))->capture_default_str();
        command.add_option("--batch", m_batch, "Sequences per forward pass")->check(countIn(1, kMaxRows))->capture_default_str();
        command.add_option("--prefix-words", m_continuation.prefixWords, "Words of each document given as prompt")
            ->check(countIn(1, kMaxRows))->capture_default_str();
        command.add_option("--continuation-words", m_continuation.continuationWords, "Words of the reference continuation")
            ->check(countIn(1, kMaxRows))->capture_default_str();
        command.add_option("--samples", m_continuation.samplesPerPrefix, "Sampled continuations per prefix")
            ->check(countIn(1, kMaxRows))->capture_default_str();
        command.add_option("--seeds", m_continuation.seeds, "Full sampling runs (mean and std over them)")
            ->check(countIn(1, 1000))->capture_default_str();
        command.add_option("--seed", m_seed, "First sampling seed; also picks few-shot demonstrations")->capture_default_str();
        command.add_option("--max-prefixes", m_continuation.maxPrefixes, "Documents used at most (0 = all); also caps fewshot examples")
            ->check(countIn(0, INT32_MAX))->capture_default_str();
        command.add_option("--protocol", m_protocol,
                           "pooled (stop at EOS, cut to --continuation-words, MAUVE over all samples) | official (the "
                           "EMO repository's: fixed-length samples, MAUVE per sample index averaged, oracle-ppl of prefix + continuation)")
            ->check(CLI::IsMember({"pooled", "official"}))->capture_default_str();
        command.add_option("--continuation-tokens", m_continuation.continuationTokens,
                           "official: new tokens of every sample (0 = --continuation-words)")->check(countIn(0, kMaxRows))->capture_default_str();
        command.add_option("--max-new", m_continuation.maxNewTokens, "Tokens sampled at most (0 = the longest reference's)")
            ->check(countIn(0, kMaxRows))->capture_default_str();
        command.add_option("--template", m_template, "fewshot: template with {text} and {label}; \\n is a newline "
                                                     "(default: {text}\\nTopic: {label})");
        command.add_option("--shots", m_fewShot.shots, "fewshot: in-context examples (k)")->check(countIn(0, 1000))->capture_default_str();
        command.add_option("--labels", m_labels, "fewshot: comma-separated candidate labels (default: the set's)");
        command.add_option("--device", m_device, "cpu | cuda | cuda:N")->capture_default_str();
        command.add_option("--dtype", m_precision, "fp32 | bf16 | fp16: autocast precision of the forwards")
            ->capture_default_str();
        command.add_flag("--json", m_json, "One JSON document on stdout");
    }

    int run() override
    {
        const auto metrics = splitList(m_metrics);
        if (metrics.empty())
            throw Error::badInput("--metrics: no metric given");
        for (const auto& metric : metrics) {
            if (!eval::isMetricRequest(metric))
                throw Error::badInput("--metrics: unknown metric '" + metric + "' (available: " +
                                      eval::metricRequestList() + ")");
            if (eval::requestNeedsOracle(metric) && m_oracle.empty())
                throw Error::badInput("--oracle is required by " + metric);
        }
        if (!eval::parseContinuationProtocol(m_protocol, &m_continuation.protocol))
            throw Error::badInput("--protocol " + m_protocol + ": expected pooled or official");

        const auto device = util::parseDevice(m_device);
        const torch::ScalarType precision = util::parsePrecision(m_precision, device);
        auto [model, tokenizer] = model::loadModelFolder(m_model, device);
        model::ModelFolder oracleFolder;
        if (!m_oracle.empty())
            oracleFolder = model::loadModelFolder(m_oracle, device);

        TerminalProgress bar("eval");
        auto progress = [&](const Progress& p) {
            bar.update(p.done, p.total, p.stage);
            return true;
        };
        eval::ModelEvaluationSettings settings;
        settings.metrics = metrics;
        settings.pplBlock = m_block;
        settings.batchSize = m_batch;
        settings.seed = m_seed;
        settings.continuation = m_continuation;
        if (!m_template.empty()) {  // a shell argument cannot easily hold a newline: take "\n" for one
            m_fewShot.templateText = m_template;
            for (size_t pos = 0; (pos = m_fewShot.templateText.find("\\n", pos)) != std::string::npos; ++pos)
                m_fewShot.templateText.replace(pos, 2, "\n");
        }
        m_fewShot.labels = splitList(m_labels);
        m_fewShot.maxExamples = m_continuation.maxPrefixes;
        settings.fewShot = m_fewShot;
        util::AutocastScope autocast(device, precision);
        auto evaluation = eval::evaluateModel({model.get(), tokenizer.get(), oracleFolder.model.get(),
                                               oracleFolder.tokenizer.get()}, m_data,
                                              settings, progress);
        eval::EvalReport& report = evaluation.report;
        report.model = m_model;
        report.data = m_data;
        const eval::FewShotResult& fewShot = evaluation.fewShot;
        const bool hasFewShot = evaluation.hasFewShot;
        bar.finish();

        if (m_json) {
            nlohmann::json out = {{"model", report.model}, {"data", report.data},
                                  {"protocol", eval::toString(m_continuation.protocol)}, {"metrics", nlohmann::json::array()}};
            for (const auto& m : report.metrics)
                out["metrics"].push_back({{"name", m.name}, {"mean", m.mean}, {"std", m.std}, {"count", m.count}});
            if (report.hasMauve)
                out["mauve"] = {{"score", report.mauve.score}, {"curve_x", report.mauve.curveX}, {"curve_y", report.mauve.curveY}};
            if (hasFewShot)
                out["fewshot"] = {{"accuracy", fewShot.accuracy}, {"correct", fewShot.correct}, {"total", fewShot.total},
                                  {"labels", fewShot.labels}, {"predictions", fewShot.predictions}, {"gold", fewShot.gold}};
            std::cout << out.dump() << "\n";
        } else {
            std::cout << "model  " << report.model << "\n" << "data   " << report.data << "\n"
                      << "protocol " << eval::toString(m_continuation.protocol) << "\n\n";
            std::cout << std::left << std::setw(14) << "metric" << std::setw(14) << "mean" << std::setw(14) << "std"
                      << "count\n";
            for (const auto& m : report.metrics)
                std::cout << std::left << std::setw(14) << m.name << std::setw(14) << formatNumber(m.mean, 5)
                          << std::setw(14) << formatNumber(m.std, 5) << m.count << "\n";
            if (hasFewShot)
                std::cout << "\nfew-shot: " << fewShot.correct << " of " << fewShot.total << " correct\n";
        }
        return 0;
    }

private:
    std::string m_model, m_data, m_metrics = "ppl", m_oracle, m_labels, m_template, m_device = "cpu", m_protocol = "pooled", m_precision = "fp32";
    int64_t m_block = 0, m_batch = 8;
    uint64_t m_seed = 0;
    eval::ContinuationEvalSettings m_continuation;
    eval::FewShotSettings m_fewShot;
    bool m_json = false;
};

} // namespace

std::unique_ptr<CliCommand> makeEvalCommand() { return std::make_unique<EvalCommand>(); }

} // namespace emo::cli
