#pragma once
#include <string>

namespace emo::util {

// Sets LibTorch's intra-op threads once per process: OMP_NUM_THREADS when set, else the physical cores.
// Debian's LibTorch starts with one thread; setting it per call is slow, so do it at start-up only.
int initThreads();

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

} // namespace emo::util
