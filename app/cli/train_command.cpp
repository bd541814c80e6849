// emo train: fine-tune a model with one objective; the run folder is an HF folder plus run files.
#include "cli_command.h"

#include "objective_options.h"
#include "train/trainer.h"
#include "train_progress_printer.h"

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
        command.add_option("--val", m_settings.validationPath, "Validation text (default: a held-out share of --data)");
        m_objective.defaults = m_settings.objective;
        m_objective.declareObjective(command);
        m_objective.declareParameters(command);
        auto epochs = command.add_option("--epochs", m_settings.epochs, "Passes over the data")->capture_default_str();
        auto steps = command.add_option("--steps", m_settings.maxSteps, "Optimizer steps (overrides --epochs)");
        epochs->excludes(steps);
        command.add_option("--batch", m_settings.batchSize, "Blocks per step")->capture_default_str();
        command.add_option("--block", m_settings.blockSize, "Tokens per block")->capture_default_str();
        command.add_option("--lr", m_settings.learningRate, "Peak learning rate")->capture_default_str();
        command.add_option("--weight-decay", m_settings.weightDecay, "AdamW weight decay")->capture_default_str();
        command.add_option("--schedule", m_settings.schedule, "linear | constant | cosine")
            ->check(CLI::IsMember({"linear", "constant", "cosine"}))->capture_default_str();
        command.add_option("--warmup", m_settings.warmupSteps, "Warm-up steps")->capture_default_str();
        command.add_option("--accumulate", m_settings.gradientAccumulation, "Micro-batches per optimizer step")->capture_default_str();
        command.add_option("--clip", m_settings.clipNorm, "Clip the global gradient norm (0 = off)")->capture_default_str();
        command.add_option("--validate-every", m_settings.validateEvery, "Validate every K steps (0 = each epoch)")->capture_default_str();
        command.add_option("--val-fraction", m_settings.validationFraction, "Held-out share when there is no --val")->capture_default_str();
        command.add_option("--seed", m_settings.seed, "Random seed")->capture_default_str();
        command.add_option("--device", m_settings.device, "cpu | cuda | cuda:N")->capture_default_str();
        command.add_option("--out", m_settings.outputDir, "Run folder to write")->required();
        command.add_option("--resume", m_settings.resumeDir, "Run folder to continue exactly");
        command.add_flag("--json", m_json, "Print the result as one JSON document on stdout");
    }

    int run() override
    {
        m_settings.objective = m_objective.settings();
        return runTraining(m_settings, m_json);
    }

private:
    train::TrainSettings m_settings;
    ObjectiveOptions m_objective;
    bool m_json = false;
};

} // namespace

std::unique_ptr<CliCommand> makeTrainCommand() { return std::make_unique<TrainCommand>(); }

} // namespace emo::cli
