// emo pretrain: a model from scratch (sentencepiece vocabulary trained on the data, random init, MLE).
#include "cli_command.h"
#include "option_checks.h"

#include "train/pretrainer.h"
#include "train_progress_printer.h"

namespace emo::cli {
namespace {

class PretrainCommand : public CliCommand {
public:
    const char* name() const override { return "pretrain"; }
    const char* summary() const override { return "Train a GPT-2 or LLaMA-family model from scratch on text files"; }

    void declareOptions(CLI::App& command) override
    {
        auto& s = m_settings;
        auto& t = m_settings.train;
        command.add_option("--arch", s.arch, "gpt2 | llama")->check(CLI::IsMember({"gpt2", "llama"}))->capture_default_str();
        command.add_option("--layers", s.layers, "Transformer layers")->check(countIn(1, 1024))->capture_default_str();
        command.add_option("--d", s.hidden, "Hidden size")->check(countIn(1, 1 << 16))->capture_default_str();
        command.add_option("--heads", s.heads, "Attention heads")->check(countIn(1, 1024))->capture_default_str();
        command.add_option("--kv-heads", s.kvHeads, "Key/value heads (llama; 0 = --heads)")
            ->check(countIn(0, 1024))->capture_default_str();
        command.add_option("--ffn", s.intermediate, "MLP width (0 = the architecture's default)")
            ->check(countIn(0, kMaxRows))->capture_default_str();
        command.add_option("--vocab-size", s.vocabSize, "Sentencepiece vocabulary to train")
            ->check(countIn(4, kMaxRows))->capture_default_str();
        command.add_option("--tokenizer-type", s.tokenizerType, "unigram | bpe | char | word")
            ->check(CLI::IsMember({"unigram", "bpe", "char", "word"}))->capture_default_str();
        command.add_option("--tokenizer-from", s.tokenizerFrom, "Copy this folder's tokenizer instead of training one (--vocab-size is then ignored)");
        command.add_option("--data", s.dataPaths, "Training text files")->required();
        declareTrainerOptions(command, t);
        command.add_option("--out", s.outputDir, "Folder of the new model (an HF folder plus run files)")
            ->required()->check(outputFolder());
        command.add_flag("--json", m_json, "Print the result as one JSON document on stdout");
    }

    int run() override
    {
        return runTrainingWith([&](const train::TrainProgressCallback& progress) {
            return train::pretrain(m_settings, progress);
        }, m_json);
    }

private:
    train::PretrainSettings m_settings;
    bool m_json = false;
};

} // namespace

std::unique_ptr<CliCommand> makePretrainCommand() { return std::make_unique<PretrainCommand>(); }

} // namespace emo::cli
