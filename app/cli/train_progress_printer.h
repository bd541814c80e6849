#pragma once
#include "terminal_progress.h"
#include "train/train_types.h"

#include <memory>

namespace emo::cli {

// Shows a training run's progress: a bar with loss, its parts, lr, tokens/s and ETA; a line per validation.
class TrainProgressPrinter {
public:
    void print(const train::TrainProgress& progress);
    void finish();

private:
    std::unique_ptr<TerminalProgress> m_bar;
};

// Runs a Trainer with Ctrl-C as cancel and this printer; prints the outcome; returns the exit code.
int runTraining(const train::TrainSettings& settings, bool json);

} // namespace emo::cli
