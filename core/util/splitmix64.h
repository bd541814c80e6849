#pragma once
#include <cstdint>

namespace emo::util {

// splitmix64 (Steele, Lea & Flood 2014): a 64-bit mix whose outputs pass BigCrush; the one hash behind every
// counter-based random stream here (sampling, few-shot example choice), so that a stream depends only on its keys.
inline uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

} // namespace emo::util
