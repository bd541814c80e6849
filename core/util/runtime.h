#pragma once
#include <cstdint>
#include <string>

namespace emo::util {

// Sets LibTorch's intra-op threads once per process: OMP_NUM_THREADS when set, else the physical cores.
// Debian's LibTorch starts with one thread; setting it per call is slow, so do it at start-up only.
int initThreads();

// Keeps memory the process frees for its next use instead of handing it back to the kernel (glibc:
// no mmap'd chunks, no trimming of the heap top). A training step frees and re-allocates the same large
// tensors (logits, activations, gradients) every step; returned to the kernel they come back page-faulted
// and zero-filled each time. At the demo shape this cut emo-bench's MLE step from 923 to 608 ms and the
// bench's system time from 19.6 to 3.4 s; the price was a peak resident size of 1331 MiB instead of 1068,
// and the resident size stays at its peak. Call once at start-up, before the first large allocation; a
// no-op without glibc.
void keepFreedMemory();

// Which BLAS library the process has loaded (read from /proc/self/maps after a GEMM), e.g.
// "openblas-openmp (/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3)". `isReference` is true
// for the slow reference BLAS.
struct BlasInfo {
    std::string name;
    std::string path;
    bool isReference = false;
};
BlasInfo detectBlas();

int physicalCoreCount();

// This process's resident memory now, and the highest it has been (bytes; 0 where /proc or getrusage cannot say).
int64_t residentBytes();
int64_t peakResidentBytes();

// Memory the kernel could give this process now without swapping (/proc/meminfo MemAvailable; bytes, -1
// where it cannot say). EMO_AVAILABLE_MEMORY (bytes) overrides it, so tests can act out a small machine.
int64_t availableMemoryBytes();

} // namespace emo::util
