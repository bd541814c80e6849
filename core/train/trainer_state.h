#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace emo::train {

// Everything a run needs to continue exactly where it stopped, stored as trainer_state.safetensors:
// tensors `param.<name>` (weights after the last step), `exp_avg.<name>`, `exp_avg_sq.<name>` (AdamW
// moments), `order` (the block order of the current epoch, int64), `rng_cpu` (torch's CPU generator, uint8);
// the scalars travel as JSON in the metadata key `emo.trainer_state`.
struct TrainerState {
    using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

    int64_t step = 0;                // optimizer steps done
    int64_t epoch = 0;               // epoch of the next step
    int64_t position = 0;            // index into `order` of the next block
    int64_t totalSteps = 0;          // as planned when the state was saved
    int64_t trainBlocks = 0;         // number of training blocks (checked on resume)
    double bestValidationLoss = std::numeric_limits<double>::quiet_NaN();
    int64_t bestStep = 0;
    std::vector<int64_t> order;
    torch::Tensor rngState;          // may be undefined
    NamedTensors parameters;
    NamedTensors expAvg;             // missing entries = the parameter has no AdamW state yet
    NamedTensors expAvgSq;
    std::vector<std::pair<std::string, int64_t>> adamSteps;  // AdamW step count per parameter
    double lossScale = 0.0;          // float16 runs: the dynamic loss scale (0 = none saved)
    int64_t lossScaleFiniteSteps = 0;

    // Atomic write (io::writeSafetensors). Throws emo::Error(Runtime) naming the file.
    void save(const std::string& path) const;
    // Throws emo::Error(BadInput) naming the file and what is missing or inconsistent.
    static TrainerState load(const std::string& path);
};

} // namespace emo::train
