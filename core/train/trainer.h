#pragma once
#include "train/train_types.h"

#include <torch/torch.h>

#include <functional>

namespace emo::train {

// Called after each step, each validation and while loading; returning false cancels the run, which then
// saves a resumable state (when it has begun training) and throws emo::Error(Cancelled) saying where: the
// one way every long job of core surfaces a cancel.
using TrainProgressCallback = std::function<bool(const TrainProgress&)>;

// Fine-tunes a Hugging Face–format model with one objective (DESIGN.md): AdamW + schedule, gradient
// accumulation, optional clipping, validation every K steps (or each epoch end), the checkpoint with the
// lowest validation loss kept in outputDir, and trainer_state.safetensors after every validation, on
// cancel and at the end, so that settings.resumeDir continues the run exactly.
//
// Run folder: config.json + model.safetensors (best checkpoint), tokenizer files, run.json,
// metrics.jsonl, cost_embedding.safetensors (Ê frozen from the LM head as loaded), trainer_state.safetensors.
//
// Errors: emo::Error(BadInput) for bad settings, data or models (checked before the first step);
// emo::Error(Runtime) for a non-finite loss (the message names the step; the files of the last good
// validation are left as they were).
class Trainer {
public:
    explicit Trainer(TrainSettings settings);

    TrainResult run(const TrainProgressCallback& progress = {});

    // Test hook: sees each micro-batch loss before the finiteness check and may replace it
    // (e.g. to inject a NaN at a chosen step). `step` is 1-based.
    using LossHook = std::function<torch::Tensor(int64_t step, const torch::Tensor& loss)>;
    void setLossHook(LossHook hook) { m_lossHook = std::move(hook); }

    const TrainSettings& settings() const { return m_settings; }

    // Checks settings that need no files (counts, ranges, names); throws emo::Error(BadInput) naming the field.
    static void validateSettings(const TrainSettings& settings);

private:
    TrainSettings m_settings;
    LossHook m_lossHook;
};

} // namespace emo::train
