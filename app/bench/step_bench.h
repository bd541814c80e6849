#pragma once
#include "bench_shape.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace emo::bench {

struct StepBenchOptions {
    std::vector<std::string> objectives{"mle", "emo", "tailr", "mixce"};
    int repeats = 3;               // interleaved repetitions after one warm-up step each
    double gemmPeak = 0;           // GFLOPS measured in this run
    std::string self;              // this executable, for the engine's step server
    std::string twinScript;        // eager_twin.py; empty = engine only
    int threads = 0;
    int64_t chunkRows = 0;         // passed to the engine's head objective
    std::vector<int64_t> sampleRows{1, 8, 32};  // sampling batches (with the MLE pair); empty = none
    int64_t sampleTokens = 32;
};

// The training step of `shape`, engine against the eager twin: one process pair per objective on the same saved
// weights and batch, the loss of both checked equal before the first step, then repetitions alternating between
// the two. Prints the table and returns it as JSON; "ok" is false when a twin's loss disagreed.
nlohmann::json benchStepAgainstEager(const BenchShape& shape, const StepBenchOptions& options);

} // namespace emo::bench
