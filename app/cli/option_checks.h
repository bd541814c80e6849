#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace emo::cli {

// The checks every numeric option of `emo` carries. They run while the command line is parsed, so a bad
// value is refused, naming the option, before any file is read. CLI::Range lets NaN through (every
// comparison with it is false); these refuse NaN and infinities.

// A finite real in [min, max], or with one end open.
enum class OpenEnd { None, Min, Max };
CLI::Validator finiteIn(double min, double max, OpenEnd open = OpenEnd::None);

// A finite real ≥ min.
CLI::Validator finiteAtLeast(double min);

// A whole number in [min, max]: the upper bound refuses a count too large to be meant (10^12 steps).
CLI::Validator countIn(int64_t min, int64_t max);

// Upper bounds of counts no one means: a step or token count of 10^8 is days of work on any machine here.
constexpr int64_t kMaxSteps = 100'000'000;
constexpr int64_t kMaxRows = 1 << 20;  // blocks, tokens per block, samples: beyond memory long before this

// An output folder: refused when the path names an existing file (bad usage, exit 2, not a failed write).
CLI::Validator outputFolder();

} // namespace emo::cli
