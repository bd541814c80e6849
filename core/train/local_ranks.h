#pragma once
#include <string>
#include <vector>

namespace emo::train {

// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice for port 0). Throws
// emo::Error(Runtime) when there is none.
int freeLoopbackPort();

// Runs this executable (/proc/self/exe) with `arguments` (argv[0] first) as `processes` ranks 0..N-1 of a group
// on 127.0.0.1:port, with the variables torchrun would set (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
// MASTER_PORT) and OMP_NUM_THREADS = threadsEach unless it is set. Ctrl-C reaches every rank (they agree to stop
// at the same step and rank 0 saves a resumable state). Returns 0 when every rank did, else the exit code of the
// first rank that failed; the others are stopped within 30 s after it. `emo train --nproc N` and emo-bench's
// scaling run use it.
int runLocalRanks(const std::vector<std::string>& arguments, int processes, int port, int threadsEach);

// This process's arguments (argv[0] first) as /proc/self/cmdline has them, without "--nproc N" / "--nproc=N".
std::vector<std::string> argumentsWithoutNproc();

} // namespace emo::train
