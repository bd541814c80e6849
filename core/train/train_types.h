#pragma once
#include "objective/objective_types.h"
#include "train/distributed_environment.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

// Plain structs of a training run (no torch: the GUI includes this header).
namespace emo::train {

// Defaults are the paper's fine-tuning recipe (DESIGN.md): AdamW lr 5e-5, weight decay 0, linear decay,
// no warm-up, batch 32, block 256, 3 epochs, EMO in the paper's GPT-2 mode, best validation checkpoint kept.
struct TrainSettings {
    objective::ObjectiveSettings objective{objective::ObjectiveKind::Emo};

    int64_t epochs = 3;
    int64_t maxSteps = 0;              // > 0 overrides epochs (the data is cycled as needed)
    int64_t batchSize = 32;            // blocks per micro-batch; one optimizer step sees
                                       // batchSize × gradientAccumulation blocks
    int64_t blockSize = 256;           // tokens per block (concatenate, then chunk)
    double learningRate = 5e-5;
    double weightDecay = 0.0;          // decoupled (AdamW); applied to matrices only, not biases or norms
    double adamBeta1 = 0.9;
    double adamBeta2 = 0.999;
    double adamEps = 1e-8;
    std::string schedule = "linear";   // "linear" | "constant" | "cosine"
    int64_t warmupSteps = 0;
    int64_t gradientAccumulation = 1;
    double clipNorm = 0.0;             // global gradient-norm clip; 0 = off
    int64_t validateEvery = 0;         // validate every K steps; 0 = at each epoch end (and always at the end)
    double validationFraction = 0.05;  // held-out share of the blocks when there is no validation file;
                                       // 0 = no validation (then the last model is the checkpoint)
    uint64_t seed = 42;
    std::string device = "cpu";        // "cpu" | "cuda" | "cuda:N"
    // "fp32" | "bf16" | "fp16": the forward under autocast in that type (bf16 on CPU or CUDA, fp16 on CUDA with
    // dynamic loss scaling); weights, gradients and AdamW state stay float32 whatever it is.
    std::string precision = "fp32";

    std::string dataPath;                     // training text (.txt, .jsonl, WikiText raw)
    std::vector<std::string> extraDataPaths;  // more training files, concatenated after dataPath
    std::string validationPath;               // optional separate validation file
    std::string modelPath;                    // Hugging Face folder to start from (with tokenizer files)
    std::string outputDir;                    // the run folder
    std::string resumeDir;                    // a run folder to continue exactly; may equal outputDir
    // Where EMO's cost embedding Ê comes from: "" = the LM head of modelPath as loaded (the paper); a model
    // folder = that model's LM head (same vocabulary size); "random:SEED" = a Gaussian [V, D] matrix (a
    // diagnostic: DEMD without geometry).
    std::string costEmbeddingFrom;
    // Data parallel (emo train --nproc N, or under torchrun): batchSize blocks per process, so one optimizer
    // step sees worldSize × batchSize × gradientAccumulation blocks, in the order a single process would
    // see them at that batch. Rank 0 writes the run folder.
    DistributedEnvironment distributed;
};

// What the trainer reports after each step, each validation, and while loading.
struct TrainProgress {
    static constexpr double none = std::numeric_limits<double>::quiet_NaN();

    std::string stage;                 // "loading" | "training" | "validating" | "saving" | "done"
    std::string message;
    int64_t step = 0;                  // optimizer steps done (1-based after the first step)
    int64_t totalSteps = 0;
    int64_t epoch = 0;                 // 0-based epoch the step belongs to
    double loss = none;                // objective value of the step (mean over its tokens)
    double mlePart = none;             // mean cross-entropy of the step
    double demdPart = none;            // mean DEMD of the step (NaN when the objective does not compute it)
    double gradNorm = none;            // global gradient norm before clipping (NaN when clipping is off)
    double learningRate = none;        // the rate used by this step
    double tokensPerSecond = none;
    double elapsedSeconds = 0.0;       // wall time of the run so far (this process)
    double etaSeconds = none;
    double validationLoss = none;      // mean validation cross-entropy (NaN when no validation this step)
    double validationDemd = none;      // mean validation DEMD
    double bestValidationLoss = none;
    int64_t bestStep = 0;              // step of the kept checkpoint (0 = none yet)
};

struct TrainResult {
    int64_t steps = 0;                 // optimizer steps done in total (including before a resume)
    int64_t totalSteps = 0;
    double lastLoss = TrainProgress::none;
    double bestValidationLoss = TrainProgress::none;
    int64_t bestStep = 0;
    std::string outputDir;
    std::vector<TrainProgress> stepHistory;        // one entry per step of the whole run
    std::vector<TrainProgress> validationHistory;  // one entry per validation
};

} // namespace emo::train
