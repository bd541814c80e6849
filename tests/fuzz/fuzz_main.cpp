// libFuzzer entry of one reader harness (EMO_FUZZ_HARNESS names it): anything the harness lets escape other
// than emo::Error aborts, so libFuzzer keeps the input as a crash.
#include "fuzz/reader_harnesses.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const emo::fuzz::ReaderHarness* harness = emo::fuzz::findHarness(EMO_FUZZ_HARNESS);
    static const std::string scratch = "/tmp/emo-fuzz-" + std::string(EMO_FUZZ_HARNESS) + "-" + std::to_string(getpid());
    const auto outcome = emo::fuzz::runHarness(*harness, std::string(reinterpret_cast<const char*>(data), size), scratch);
    if (outcome.kind == emo::fuzz::HarnessOutcome::Kind::Escaped) {
        std::fprintf(stderr, "fuzz-%s: %s\n", EMO_FUZZ_HARNESS, outcome.detail.c_str());
        std::abort();
    }
    return 0;
}
