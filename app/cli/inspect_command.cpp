// emo inspect: per predicted token CE, DEMD, p_gold, top-k candidates with their cost to the gold token,
// and each objective's logit gradient.
#include "cli_command.h"
#include "option_checks.h"

#include "format.h"
#include "inspect/inspect_json.h"
#include "inspect/inspector.h"
#include "model/model_folder.h"
#include "objective_options.h"
#include "text/tokenizer.h"
#include "util/device.h"
#include "util/error.h"

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace emo::cli {
namespace {

class InspectCommand : public CliCommand {
public:
    const char* name() const override { return "inspect"; }
    const char* summary() const override { return "Per-token CE, DEMD, top-k candidates with costs, and logit gradients"; }

    void declareOptions(CLI::App& command) override
    {
        command.add_option("--model", m_model, "Model or run folder (a run's frozen cost embedding is used)")->required();
        command.add_option("--text", m_text, "Text to inspect")->required();
        command.add_option("--objectives", m_objectives, "Comma-separated objectives whose gradients are shown")
            ->capture_default_str();
        m_objectiveOptions.declareParameters(command);
        command.add_option("--top-k", m_topK, "Candidates and gradient entries per token")
            ->check(countIn(1, 10'000))->capture_default_str();
        command.add_option("--device", m_device, "cpu | cuda")->capture_default_str();
        command.add_flag("--json", m_json, "One JSON document on stdout");
    }

    int run() override
    {
        if (m_topK < 1)
            throw Error::badInput("--top-k " + std::to_string(m_topK) + ": must be at least 1");
        inspect::InspectSettings settings;
        settings.topK = m_topK;
        settings.objectives.clear();
        std::stringstream list(m_objectives);
        for (std::string name; std::getline(list, name, ',');) {
            if (name.empty())
                continue;
            m_objectiveOptions.objectiveName = name;
            settings.objectives.push_back(m_objectiveOptions.settings());  // names the bad entry
        }

        auto [model, tokenizer] = model::loadModelFolder(m_model, util::parseDevice(m_device));
        objective::CostEmbedding frozen;
        const std::string costFile = m_model + "/cost_embedding.safetensors";
        if (std::filesystem::exists(costFile))
            frozen = objective::CostEmbedding::load(costFile, model->device());
        inspect::Inspector inspector(*model, tokenizer.get(), frozen.defined() ? &frozen : nullptr);
        const auto report = inspector.inspect(m_text, settings);

        if (m_json) {
            std::cout << inspect::toJson(report).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
            return 0;
        }
        printTable(report);
        return 0;
    }

private:
    static void printTable(const inspect::InspectReport& report)
    {
        std::cout << std::left << std::setw(5) << "pos" << std::setw(16) << "token" << std::right << std::setw(8) << "ce"
                  << std::setw(8) << "demd" << std::setw(8) << "p_gold" << "   top candidates (p, cost to gold)\n";
        for (const auto& t : report.tokens) {
            std::string shown = "'" + t.text + "'";
            std::cout << std::left << std::setw(5) << t.position << std::setw(16) << shown << std::right << std::fixed
                      << std::setprecision(3) << std::setw(8) << t.ce << std::setw(8) << t.demd << std::setw(8) << t.pGold
                      << "  ";
            for (const auto& c : t.topk)
                std::cout << " '" << c.text << "' " << std::setprecision(2) << c.p << "/" << c.cost;
            std::cout << "\n";
        }
        std::cout << std::defaultfloat << "mean ce " << formatNumber(report.summary.meanCe) << ", mean demd "
                  << formatNumber(report.summary.meanDemd) << ", perplexity " << formatNumber(report.summary.perplexity)
                  << " over " << report.summary.tokens << " predicted tokens\n";
    }

    std::string m_model, m_text, m_device = "cpu", m_objectives = "mle,emo,tailr,mixce";
    ObjectiveOptions m_objectiveOptions;
    int64_t m_topK = 5;
    bool m_json = false;
};

} // namespace

std::unique_ptr<CliCommand> makeInspectCommand() { return std::make_unique<InspectCommand>(); }

} // namespace emo::cli
