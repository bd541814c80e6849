// emo sample: continuations of prompts, batched with the KV cache; ancestral sampling by default.
#include "cli_command.h"
#include "option_checks.h"

#include "generate/sampler.h"
#include "io/documents.h"
#include "interrupt.h"
#include "model/model_folder.h"
#include "terminal_progress.h"
#include "text/tokenizer.h"
#include "util/atomic_file.h"
#include "util/device.h"
#include "util/precision.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <unistd.h>

namespace emo::cli {
namespace {

class SampleCommand : public CliCommand {
public:
    const char* name() const override { return "sample"; }
    const char* summary() const override { return "Sample continuations of prompts (unbiased ancestral sampling by default)"; }

    void declareOptions(CLI::App& command) override
    {
        command.add_option("--model", m_model, "Model or run folder")->required();
        auto prompt = command.add_option("--prompt", m_prompt, "One prompt (may be empty)");
        auto prompts = command.add_option("--prompts", m_promptsFile, "File of prompts: one a line, or JSON lines with \"text\" or \"prompt\"");
        prompt->excludes(prompts);
        prompts->excludes(prompt);
        command.add_option("--max-new", m_settings.maxNewTokens, "Tokens to generate at most")
            ->check(countIn(0, kMaxRows))->capture_default_str();
        command.add_option("--n", m_settings.samplesPerPrompt, "Samples per prompt")->check(countIn(1, kMaxRows))->capture_default_str();
        command.add_option("--temperature", m_settings.temperature, "Softmax temperature (0 = greedy)")
            ->check(finiteAtLeast(0.0))->capture_default_str();
        command.add_option("--top-k", m_settings.topK, "Keep the k most likely tokens (0 = off)")
            ->check(countIn(0, INT32_MAX))->capture_default_str();
        command.add_option("--top-p", m_settings.topP, "Keep the smallest set with this mass (1 = off)")
            ->check(finiteIn(0.0, 1.0, OpenEnd::Min))->capture_default_str();
        command.add_flag("--greedy", m_greedy, "Argmax decoding");
        command.add_option("--seed", m_settings.seed, "Random seed")->capture_default_str();
        command.add_flag("--no-stop", m_noStop, "Do not stop at EOS");
        command.add_option("--device", m_device, "cpu | cuda")->capture_default_str();
        command.add_option("--dtype", m_precision, "fp32 | bf16 | fp16: autocast precision of the forward")
            ->capture_default_str();
        command.add_flag("--json", m_json, "One JSON document on stdout");
    }

    int run() override
    {
        std::vector<std::string> prompts;
        if (!m_promptsFile.empty())
            prompts = io::readPrompts(m_promptsFile);
        else
            prompts.push_back(m_prompt);
        if (m_greedy || m_settings.temperature <= 0)
            m_settings.mode = generate::SamplingMode::Greedy;
        m_settings.stopAtEos = !m_noStop;

        const torch::Device device = util::parseDevice(m_device);
        const torch::ScalarType precision = util::parsePrecision(m_precision, device);
        auto [model, tokenizer] = model::loadModelFolder(m_model, device);
        generate::Sampler sampler(*model, tokenizer.get());
        util::AutocastScope autocast(device, precision);

        installInterruptHandler();
        TerminalProgress bar("sample");
        auto samples = sampler.sample(prompts, m_settings, [&](const Progress& p) {
            bar.update(p.done, p.total);
            return !interruptRequested();
        });
        bar.finish();

        if (m_json) {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& s : samples) {
                double logprob = 0;
                for (double lp : s.modelLogprobs)
                    logprob += lp;
                out.push_back({{"prompt_index", s.promptIndex}, {"sample_index", s.sampleIndex}, {"prompt", s.prompt},
                               {"text", s.text}, {"ids", s.tokenIds}, {"model_logprob", logprob},
                               {"finished_by_eos", s.finishedByEos}});
            }
            nlohmann::json doc{{"model", m_model}, {"settings", {{"mode", generate::toString(m_settings.mode)},
                {"max_new", m_settings.maxNewTokens}, {"n", m_settings.samplesPerPrompt},
                {"temperature", m_settings.temperature}, {"top_k", m_settings.topK}, {"top_p", m_settings.topP},
                {"seed", m_settings.seed}}}, {"samples", out}};
            std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
            return 0;
        }
        // The continuation in bold on a terminal, so it stands apart from its prompt.
        const bool terminal = ::isatty(STDOUT_FILENO) == 1;
        const char* bold = terminal ? "\033[1m" : "";
        const char* plain = terminal ? "\033[0m" : "";
        for (const auto& s : samples) {
            std::cout << "--- prompt " << s.promptIndex + 1 << ", sample " << s.sampleIndex + 1
                      << (s.finishedByEos ? " (ended at EOS)" : "") << "\n"
                      << s.prompt << bold << s.text << plain << "\n";
        }
        return 0;
    }

private:
    std::string m_model, m_prompt, m_promptsFile, m_device = "cpu", m_precision = "fp32";
    generate::SampleSettings m_settings;
    bool m_greedy = false, m_noStop = false, m_json = false;
};

} // namespace

std::unique_ptr<CliCommand> makeSampleCommand() { return std::make_unique<SampleCommand>(); }

} // namespace emo::cli
