#include "train/batch_order.h"

#include <numeric>
#include <random>

namespace emo::train {

std::vector<int64_t> epochOrder(int64_t blockCount, uint64_t seed, int64_t epoch)
{
    std::vector<int64_t> order(static_cast<std::size_t>(std::max<int64_t>(0, blockCount)));
    std::iota(order.begin(), order.end(), int64_t(0));
    const auto e = static_cast<uint64_t>(epoch);
    std::seed_seq seq{uint32_t(seed), uint32_t(seed >> 32), uint32_t(e), uint32_t(e >> 32)};
    std::mt19937_64 rng(seq);
    // Our own Fisher–Yates: std::shuffle's use of the engine differs between standard libraries.
    for (std::size_t i = order.size(); i > 1; --i) {
        const auto j = static_cast<std::size_t>(rng() % i);
        std::swap(order[i - 1], order[j]);
    }
    return order;
}

} // namespace emo::train
