#pragma once
#include "terminal_progress.h"
#include "train/trainer.h"
#include "train/train_types.h"

#include <CLI/CLI.hpp>

#include <functional>

#include <memory>
#include <string>

namespace emo::cli {

// Shows a training run's progress: a bar with loss, its parts, lr, tokens/s and ETA; a line per validation.
class TrainProgressPrinter {
public:
    void print(const train::TrainProgress& progress);
    void finish();

private:
    std::unique_ptr<TerminalProgress> m_bar;
    std::string m_lastMessageKind;
};

// The trainer's options shared by `train` and `pretrain`: --val, --epochs | --steps, --batch, --block,
// --lr, --weight-decay, --schedule, --warmup, --accumulate, --clip, --validate-every, --val-fraction, --seed,
// --device, --resume.
void declareTrainerOptions(CLI::App& command, train::TrainSettings& settings);

// Runs a training function with Ctrl-C as cancel and this printer; prints the outcome; returns the exit code.
int runTrainingWith(const std::function<train::TrainResult(const train::TrainProgressCallback&)>& train, bool json);
int runTraining(const train::TrainSettings& settings, bool json);  // a Trainer on `settings`

} // namespace emo::cli
