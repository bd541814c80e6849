// emo export --run DIR --out DIR [--dtype fp32|fp16|bf16]: a clean Hugging Face folder from a run.
#include "cli_command.h"
#include "option_checks.h"

#include "format.h"
#include "train/run_export.h"

#include <nlohmann/json.hpp>

#include <iostream>

namespace emo::cli {
namespace {

class ExportCommand : public CliCommand {
public:
    const char* name() const override { return "export"; }
    const char* summary() const override { return "Write a run (or model) folder as a clean Hugging Face folder"; }

    void declareOptions(CLI::App& command) override
    {
        command.add_option("--run", m_settings.runDir, "Run folder (or any HF model folder)")->required();
        command.add_option("--out", m_settings.outputDir, "New Hugging Face folder")->required()->check(outputFolder());
        command.add_option("--dtype", m_settings.dtype, "Storage type of the weights: fp32 | fp16 | bf16")
            ->check(CLI::IsMember({"fp32", "fp16", "bf16"}))->capture_default_str();
        command.add_flag("--no-history", m_noHistory, "Leave run.json and metrics.jsonl behind");
        command.add_flag("--json", m_json, "One JSON document on stdout");
    }

    int run() override
    {
        m_settings.withHistory = !m_noHistory;
        const auto result = train::exportRun(m_settings);
        if (m_json) {
            nlohmann::json out = {{"out", m_settings.outputDir}, {"dtype", m_settings.dtype}, {"files", result.files},
                                  {"parameters", result.parameterCount}, {"bytes", result.bytes}};
            std::cout << out.dump() << "\n";
        } else {
            std::cout << "exported " << result.parameterCount << " parameters as " << m_settings.dtype << " ("
                      << formatNumber(result.bytes / 1e6, 3) << " MB) to " << m_settings.outputDir << ":";
            for (const auto& file : result.files)
                std::cout << " " << file;
            std::cout << "\n";
        }
        return 0;
    }

private:
    train::ExportSettings m_settings;
    bool m_noHistory = false;
    bool m_json = false;
};

} // namespace

std::unique_ptr<CliCommand> makeExportCommand() { return std::make_unique<ExportCommand>(); }

} // namespace emo::cli
