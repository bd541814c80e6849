#pragma once
#include <cstdint>
#include <vector>

namespace emo::train {

// The order in which the training blocks are visited in epoch `epoch`: a Fisher–Yates shuffle driven by
// std::mt19937_64 seeded from (seed, epoch) through std::seed_seq (both fully specified by the standard),
// so every epoch's order is reproducible on any platform and can be recomputed on resume.
std::vector<int64_t> epochOrder(int64_t blockCount, uint64_t seed, int64_t epoch);

} // namespace emo::train
