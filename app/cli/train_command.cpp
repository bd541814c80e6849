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
        m_objective.defaults = m_settings.objective;
        m_objective.declareObjective(command);
        m_objective.declareParameters(command);
        declareTrainerOptions(command, m_settings);
        command.add_option("--cost-from", m_settings.costEmbeddingFrom,
                           "EMO's cost embedding: a model folder whose LM head to use, or random:SEED (default: the "
                           "model's own head as loaded, as in the paper)");
        command.add_option("--out", m_settings.outputDir, "Run folder to write")->required();
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
