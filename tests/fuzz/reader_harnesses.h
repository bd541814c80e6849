#pragma once
#include <string>
#include <vector>

// The readers of everything a user hands the program, each fed raw bytes as the file (or files) it reads.
// Plain C++ on core (no Qt): the same harnesses run under libFuzzer (the `fuzz` preset) and, replaying the
// committed corpora plus a fixed number of mutations, in the ordinary test suite (tests/fuzz/tst_fuzz_corpus).
namespace emo::fuzz {

struct ReaderHarness {
    const char* name;  // also the seed folder tests/data/fuzz/<name>/
    const char* reads; // what the bytes become, for the README and messages
    // Writes `bytes` into the empty folder `scratch` as the reader's file(s), then reads them as a user's
    // command would. Bad input must end in emo::Error; anything else is a finding.
    void (*run)(const std::string& bytes, const std::string& scratch);
};

const std::vector<ReaderHarness>& readerHarnesses();
const ReaderHarness* findHarness(const std::string& name);  // nullptr when unknown

// What one input did: read, refused with emo::Error (what bad input must do), or something else escaped.
struct HarnessOutcome {
    enum class Kind { Accepted, Refused, Escaped } kind = Kind::Accepted;
    std::string detail;  // the message of the refusal or of what escaped
};

// Runs one input in a freshly emptied `scratch`.
HarnessOutcome runHarness(const ReaderHarness& harness, const std::string& bytes, const std::string& scratch);

// Bytes that split one input into a checkpoint index and its parts, or vocab.json and merges.txt.
inline constexpr const char* kPartSeparator = "\n#--part--#\n";

} // namespace emo::fuzz
