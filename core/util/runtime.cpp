#include "util/runtime.h"

#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

#include <torch/torch.h>

#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <thread>

namespace emo::util {

int physicalCoreCount()
{
    // Distinct (physical id, core id) pairs; hyper-threads share a core and do not help GEMM.
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::set<std::pair<std::string, std::string>> cores;
    std::string line, physical = "0";
    while (std::getline(cpuinfo, line)) {
        auto value = [&] { auto pos = line.find(':'); return pos == std::string::npos ? "" : line.substr(pos + 1); };
        if (line.rfind("physical id", 0) == 0)
            physical = value();
        else if (line.rfind("core id", 0) == 0)
            cores.insert({physical, value()});
    }
    if (!cores.empty())
        return static_cast<int>(cores.size());
    unsigned hw = std::thread::hardware_concurrency();
    return hw > 0 ? static_cast<int>(hw) : 1;
}

int64_t residentBytes()
{
    std::ifstream statm("/proc/self/statm");
    int64_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return statm ? resident * int64_t(sysconf(_SC_PAGESIZE)) : 0;
}

int64_t availableMemoryBytes()
{
    if (const char* override = std::getenv("EMO_AVAILABLE_MEMORY"))
        return std::strtoll(override, nullptr, 10);
    std::ifstream meminfo("/proc/meminfo");
    for (std::string line; std::getline(meminfo, line);)
        if (line.rfind("MemAvailable:", 0) == 0)
            return std::strtoll(line.c_str() + 13, nullptr, 10) * 1024;  // "MemAvailable:  123456 kB"
    return -1;
}

int64_t peakResidentBytes()
{
    struct rusage usage {};
    if (getrusage(RUSAGE_SELF, &usage) != 0)
        return 0;
    return int64_t(usage.ru_maxrss) * 1024;  // Linux reports kilobytes
}

void keepFreedMemory()
{
#if defined(__GLIBC__) && defined(M_MMAP_MAX)
    if (const char* env = std::getenv("EMO_SYSTEM_MALLOC"); env && std::string(env) == "1")
        return;  // a diagnostic: glibc's defaults, to compare time and peak memory against
    mallopt(M_MMAP_MAX, 0);                 // large blocks from the heap, so that freeing keeps them
    mallopt(M_TRIM_THRESHOLD, 1 << 30);     // never give the heap top back below 1 GiB of slack
    mallopt(M_TOP_PAD, 256 << 20);          // grow the heap in 256 MiB steps: fewer brk calls
#endif
}

int initThreads()
{
    static int threads = [] {
        int n = 0;
        if (const char* env = std::getenv("OMP_NUM_THREADS"))
            n = std::atoi(env);
        if (n <= 0)
            n = physicalCoreCount();
        at::set_num_threads(n);
        return n;
    }();
    return threads;
}

BlasInfo detectBlas()
{
    // Make sure the BLAS is loaded (LibTorch dlopens nothing lazily, but a GEMM is a cheap guarantee).
    (void)torch::mm(torch::ones({2, 2}), torch::ones({2, 2}));
    BlasInfo info;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        auto pos = line.find('/');
        if (pos == std::string::npos)
            continue;
        std::string path = line.substr(pos);
        if (path.find("libblas.so") == std::string::npos && path.find("libopenblas") == std::string::npos
            && path.find("libmkl") == std::string::npos && path.find("libblis") == std::string::npos)
            continue;
        info.path = path;
        if (path.find("openblas") != std::string::npos) {
            info.name = path.find("openmp") != std::string::npos ? "openblas-openmp"
                      : path.find("pthread") != std::string::npos ? "openblas-pthread" : "openblas";
            return info;
        }
        if (path.find("mkl") != std::string::npos) { info.name = "mkl"; return info; }
        if (path.find("blis") != std::string::npos) { info.name = "blis"; return info; }
        if (path.find("/blas/") != std::string::npos) { info.name = "reference"; info.isReference = true; }
        else if (info.name.empty()) { info.name = "unknown"; }
    }
    if (info.name.empty())
        info.name = "built-in";  // a LibTorch with MKL linked statically (official CUDA builds)
    return info;
}

} // namespace emo::util
