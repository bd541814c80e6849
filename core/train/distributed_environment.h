#pragma once
#include <chrono>
#include <string>

namespace emo::train {

// Where this process stands in a data-parallel run, as torchrun describes it (RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT), so `torchrun … emo train …` works unchanged and `emo train
// --nproc N` sets the same variables for the processes it starts. Plain data: the GUI includes it.
struct DistributedEnvironment {
    int rank = 0;
    int worldSize = 1;
    int localRank = 0;
    std::string masterAddress = "127.0.0.1";
    int masterPort = 29500;
    // A collective that waits longer than this for the others fails with a message naming the rank
    // (EMO_DDP_TIMEOUT_SECONDS; 300 s by default, longer than any step or validation is expected to take).
    std::chrono::seconds timeout{300};

    bool distributed() const { return worldSize > 1; }
    bool writesFiles() const { return rank == 0; }  // rank 0 writes the run folder; all ranks read it

    // From the environment; a single process when WORLD_SIZE is unset. Throws emo::Error(BadInput) naming
    // the variable when one is malformed or RANK is outside [0, WORLD_SIZE).
    static DistributedEnvironment fromEnvironment();
};

} // namespace emo::train
