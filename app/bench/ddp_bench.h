#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace emo::bench {

struct DdpBenchOptions {
    std::string resources;        // the bundled models and corpora (resources/)
    std::string model = "demo-base";
    int64_t batch = 4;            // blocks per rank and step
    int64_t block = 128;
    int64_t steps = 12;           // per run; the first `warmup` are not timed
    int64_t warmup = 2;
};

// Data-parallel scaling on this machine: the same EMO fine-tune (options.model on finetune/train.txt, batch ×
// block per rank) as 1 process and as 2 ranks of a Gloo group over loopback, one thread each, started as
// `emo train --nproc` starts them (train::runLocalRanks). Prints tokens/s of each (median over the timed
// steps, all ranks' tokens) and the scaling efficiency tokens/s(2) / (2 × tokens/s(1)); returns the same.
nlohmann::json benchDataParallel(const DdpBenchOptions& options);

// The body of one rank: `emo-bench --ddp-child MODEL DATA BATCH BLOCK STEPS WARMUP RESULT` (argv as given).
// Rank 0 writes {"tokens_per_second": …} to RESULT.
int ddpChild(int argc, char** argv);

} // namespace emo::bench
