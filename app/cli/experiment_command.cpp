// emo experiment oracle [--out DIR] [--quick | --scale full|quick|micro] [--oracle DIR]
//                       [--student-data FILE | --student DIR] [--protocol official|pooled]
//                       [--device D]: the paper's oracle experiment (Table 2) at this machine's scale.
// emo experiment domains [--out DIR] [--quick | --scale full|quick|micro] [--data DIR] [--surrogate DIR]
//                        [--base DIR | --base-data FILE] [--protocol official|pooled] [--device D]: the
//                        paper's Table 1 and Figure 2 (MAUVE across domains, forward/reverse CE).
// Resumable: run the same command again after an interruption (Ctrl-C saves the current run's state) and
// finished data, runs and scores are kept. Writes results.json, results.md and plots into --out.
#include "cli_command.h"
#include "option_checks.h"

#include "experiment/domain_experiment.h"
#include "experiment/oracle_experiment.h"
#include "interrupt.h"
#include "terminal_progress.h"
#include "util/error.h"
#include "util/resources_dir.h"

#include <iostream>

namespace emo::cli {
namespace {

class ExperimentCommand : public CliCommand {
public:
    const char* name() const override { return "experiment"; }
    const char* summary() const override { return "Reproducible experiments: `oracle` (the paper's Table 2) and `domains` (Table 1, Figure 2), at this machine's scale"; }

    void declareOptions(CLI::App& command) override
    {
        command.require_subcommand(1);
        CLI::App* oracle = m_oracleCommand = command.add_subcommand("oracle", "An oracle model's samples as data: MLE, TaiLr, MixCE and EMO "
                                                            "fine-tunes scored by oracle perplexity, MAUVE, ROUGE and test perplexity");
        oracle->add_option("--out", m_out, "Results folder (default experiments/oracle-<scale>)")
            ->check(outputFolder());
        oracle->add_flag("--quick", m_quick, "The quick scale (under 10 minutes on 2 cores)");
        oracle->add_option("--scale", m_scale, "full | quick | micro (micro: seconds, for tests)")
            ->check(CLI::IsMember({"full", "quick", "micro"}))->capture_default_str();
        oracle->add_option("--oracle", m_oracle, "Oracle model folder (default: the bundled demo-base)");
        oracle->add_option("--student-data", m_studentData,
                           "The student's pretraining text (default: the oracle's own corpus, the bundled pretrain/train.txt)");
        oracle->add_option("--student", m_student, "A pretrained student to fine-tune instead (the oracle's vocabulary)");
        oracle->add_option("--protocol", m_protocol,
                           "How samples are scored: official (the EMO repository's evaluation) | pooled")
            ->check(CLI::IsMember({"official", "pooled"}))->capture_default_str();
        oracle->add_option("--device", m_device, "cpu | cuda | cuda:N")->capture_default_str();

        CLI::App* domains = m_domainsCommand = command.add_subcommand(
            "domains", "One base fine-tuned with MLE, TaiLr, MixCE and EMO on corpora of different domains: MAUVE of "
                       "continuations against human text, test perplexity, forward/reverse CE against a surrogate");
        domains->add_option("--out", m_out, "Results folder (default experiments/domains-<scale>)")
            ->check(outputFolder());
        domains->add_flag("--quick", m_quick, "The quick scale (under 10 minutes on 2 cores)");
        domains->add_option("--scale", m_scale, "full | quick | micro (micro: seconds, for tests)")
            ->check(CLI::IsMember({"full", "quick", "micro"}))->capture_default_str();
        domains->add_option("--data", m_data, "Folder of the domains, <name>/{train,validation,test}.txt (default: the bundled resources/data/domains)");
        domains->add_option("--surrogate", m_surrogate, "Surrogate target and MAUVE feature model (default: the bundled demo-base)");
        domains->add_option("--base", m_base, "A pretrained base to fine-tune (the surrogate's vocabulary; default: pretrain one)");
        domains->add_option("--base-data", m_baseData, "The base's pretraining text (default: the bundled pretrain/train.txt)");
        domains->add_option("--protocol", m_protocol, "How samples are scored: official | pooled")
            ->check(CLI::IsMember({"official", "pooled"}))->capture_default_str();
        domains->add_option("--device", m_device, "cpu | cuda | cuda:N")->capture_default_str();
    }

    int run() override
    {
        if (m_quick && m_scale != "full" && m_scale != "quick")
            throw Error::badInput("--quick and --scale " + m_scale + " contradict each other");
        return m_domainsCommand->parsed() ? runDomains() : runOracle();
    }

private:
    // Runs an experiment under a progress bar that Ctrl-C stops (the current run's state is saved), with
    // where it writes before and how long it took after.
    template <typename Run>
    auto withProgress(const char* kind, const std::string& scale, const std::string& out, Run run)
    {
        installInterruptHandler();
        TerminalProgress bar("experiment");
        const ProgressCallback progress = [&](const Progress& p) {
            bar.update(p.done, p.total, p.stage);
            return !interruptRequested();
        };
        std::cerr << "emo experiment " << kind << " (" << scale << "): results in " << out << "\n";
        const auto result = run(progress);
        bar.finish("done");
        std::cerr << "emo experiment " << kind << ": " << result.runsDone << " runs (" << result.runsSkipped
                  << " finished earlier), " << static_cast<long long>(result.seconds) << " s; results in "
                  << result.outputDir << "/results.md\n";
        return result;
    }

    int runOracle()
    {
        auto settings = experiment::OracleExperimentSettings::preset(m_quick ? "quick" : m_scale);
        const std::string resources = util::resourcesDir(EMO_RESOURCES_DIR);
        if (!m_student.empty() && !m_studentData.empty())
            throw Error::badInput("--student and --student-data contradict each other (one student is pretrained, the other given)");
        settings.oraclePath = m_oracle;
        settings.studentDataPath = m_studentData;
        settings.studentPath = m_student;
        experiment::useBundledInputs(settings, resources);
        if (!eval::parseContinuationProtocol(m_protocol, &settings.protocol))
            throw Error::badInput("--protocol " + m_protocol + ": expected official or pooled");
        settings.outputDir = m_out.empty() ? "experiments/oracle-" + settings.scale : m_out;
        settings.device = m_device;

        const auto result = withProgress("oracle", settings.scale, settings.outputDir, [&](const ProgressCallback& progress) {
            return experiment::runOracleExperiment(settings, progress);
        });
        std::cout << experiment::resultsMarkdownTable(result.rows) << "\nsanity gate " << result.gate.message << "\n";
        return 0;
    }

    int runDomains()
    {
        auto settings = experiment::DomainExperimentSettings::preset(m_quick ? "quick" : m_scale);
        if (!m_base.empty() && !m_baseData.empty())
            throw Error::badInput("--base and --base-data contradict each other (one base is pretrained, the other given)");
        settings.dataDir = m_data;
        settings.surrogatePath = m_surrogate;
        settings.basePath = m_base;
        settings.base.dataPath = m_baseData;
        experiment::useBundledInputs(settings, util::resourcesDir(EMO_RESOURCES_DIR));
        if (!eval::parseContinuationProtocol(m_protocol, &settings.protocol))
            throw Error::badInput("--protocol " + m_protocol + ": expected official or pooled");
        settings.outputDir = m_out.empty() ? "experiments/domains-" + settings.scale : m_out;
        settings.device = m_device;

        const auto result = withProgress("domains", settings.scale, settings.outputDir, [&](const ProgressCallback& progress) {
            return experiment::runDomainExperiment(settings, progress);
        });
        std::cout << "MAUVE x 100\n" << experiment::domainMauveTable(settings, result.rows);
        return 0;
    }

    CLI::App* m_oracleCommand = nullptr;
    CLI::App* m_domainsCommand = nullptr;
    std::string m_data, m_surrogate, m_base, m_baseData;
    std::string m_out, m_scale = "full", m_oracle, m_studentData, m_student, m_protocol = "official", m_device = "cpu";
    bool m_quick = false;
};

} // namespace

std::unique_ptr<CliCommand> makeExperimentCommand() { return std::make_unique<ExperimentCommand>(); }

} // namespace emo::cli
