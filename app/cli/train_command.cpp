// emo train: fine-tune a model with one objective; the run folder is an HF folder plus run files.
#include "cli_command.h"
#include "option_checks.h"

#include "objective_options.h"
#include "train/local_ranks.h"
#include "train/trainer.h"
#include "train_progress_printer.h"
#include "util/error.h"
#include "util/runtime.h"

#include <algorithm>
#include <iostream>

namespace emo::cli {
namespace {

class TrainCommand : public CliCommand {
public:
    const char* name() const override { return "train"; }
    const char* summary() const override { return "Fine-tune a model with MLE, EMO, TaiLr or MixCE (the paper's recipe by default)"; }

    void declareOptions(CLI::App& command) override
    {
        command.add_option("--model", m_settings.modelPath, "Hugging Face model folder to start from")->required();
        command.add_option("--data", m_settings.dataPath, "Training text (.txt, .jsonl with \"text\", WikiText raw)")->required();
        m_objective.defaults = m_settings.objective;
        m_objective.declareObjective(command);
        m_objective.declareParameters(command);
        declareTrainerOptions(command, m_settings);
        command.add_option("--cost-from", m_settings.costEmbeddingFrom,
                           "EMO's cost embedding: a model folder whose LM head to use, or random:SEED (default: the "
                           "model's own head as loaded, as in the paper)");
        command.add_option("--out", m_settings.outputDir, "Run folder to write")->required()->check(outputFolder());
        command.add_flag("--json", m_json, "Print the result as one JSON document on stdout");
        command.add_option("--nproc", m_processes,
                           "Data-parallel processes on this machine (c10d Gloo); --batch is per process. Under "
                           "torchrun, leave it out: RANK / WORLD_SIZE / MASTER_ADDR / MASTER_PORT are read")
            ->check(CLI::Range(1, 256));
    }

    int run() override
    {
        m_settings.objective = m_objective.settings();
        m_settings.distributed = train::DistributedEnvironment::fromEnvironment();
        if (m_processes > 1) {
            if (m_settings.distributed.distributed())
                throw Error::badInput("--nproc " + std::to_string(m_processes) + ": this process is already rank "
                                      + std::to_string(m_settings.distributed.rank) + " of "
                                      + std::to_string(m_settings.distributed.worldSize)
                                      + " (WORLD_SIZE is set, as under torchrun); leave --nproc out");
            m_settings.distributed.worldSize = m_processes;  // checked once here, not once per rank
            train::Trainer::validateSettings(m_settings);
            const int port = train::freeLoopbackPort();
            const int threads = std::max(1, util::physicalCoreCount() / m_processes);
            std::cerr << "emo: starting " << m_processes << " ranks on 127.0.0.1:" << port << " (" << threads
                      << (threads == 1 ? " thread" : " threads") << " each)\n";
            return train::runLocalRanks(train::argumentsWithoutNproc(), m_processes, port, threads);
        }
        return runTraining(m_settings, m_json);
    }

private:
    train::TrainSettings m_settings;
    ObjectiveOptions m_objective;
    bool m_json = false;
    int m_processes = 1;
};

} // namespace

std::unique_ptr<CliCommand> makeTrainCommand() { return std::make_unique<TrainCommand>(); }

} // namespace emo::cli
