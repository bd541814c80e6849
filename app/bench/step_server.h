#pragma once
#include <cstdint>
#include <string>

namespace emo::bench {

// What a step server (the engine's, or the eager twin) is started with; the same flags for both.
struct StepServerOptions {
    std::string modelDir;     // config.json + model.safetensors
    std::string batchFile;    // rows × cols int64 token ids
    int64_t rows = 0;
    int64_t cols = 0;         // seq + 1: inputs are the first seq ids of a row, labels the last seq
    std::string objective = "mle";
    int64_t chunkRows = 0;    // the head objective's rows per chunk (0 = automatic); the engine only
};

// `emo-bench --serve-step ...`: the engine's side of the line protocol of eager_twin.py (check, step,
// sample B N, memory, quit), in its own process so that its peak memory is its own. Returns the exit code.
int serveSteps(const StepServerOptions& options);

} // namespace emo::bench
