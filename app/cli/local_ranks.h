#pragma once

namespace emo::cli {

// emo train --nproc N: runs this same command line (without --nproc) as N processes, ranks 0..N-1 of a
// group on 127.0.0.1 and a free port, with the variables torchrun would set (RANK, WORLD_SIZE, LOCAL_RANK,
// MASTER_ADDR, MASTER_PORT) and OMP_NUM_THREADS = cores / N unless set. Ctrl-C reaches every rank (they
// agree to stop at the same step and rank 0 saves a resumable state). Returns 0 when every rank did, else
// the exit code of the first rank that failed; the others are stopped within 30 s after it.
int runLocalRanks(int processes);

} // namespace emo::cli
