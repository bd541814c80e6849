#include "io/dataset.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace emo::io {

// blocks [N, T] → train [N - Nval, T], validation [Nval, T]; both keep the original block order.
BlockSplit splitBlocks(const torch::Tensor& blocks, double validationFraction, uint64_t seed)
{
    if (blocks.dim() != 2)
        throw Error::badInput("blocks must be a [N, T] tensor, got " + std::to_string(blocks.dim()) + " dimensions");
    const int64_t n = blocks.size(0);
    if (n < 2)
        throw Error::badInput("need at least 2 blocks to hold some out for validation, got " + std::to_string(n));
    if (!(validationFraction > 0.0 && validationFraction < 1.0))
        throw Error::badInput("validation fraction must lie strictly between 0 and 1, got " +
                              std::to_string(validationFraction));
    const int64_t numValidation =
        std::min<int64_t>(n - 1, std::max<int64_t>(1, std::llround(validationFraction * static_cast<double>(n))));

    // Fisher–Yates with our own unbiased draw: std::shuffle and std::uniform_int_distribution differ
    // between standard libraries, and a split must be the same everywhere for a given seed.
    std::mt19937_64 rng(seed);
    auto draw = [&rng](uint64_t bound) {  // uniform in [0, bound)
        const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
        uint64_t value;
        do
            value = rng();
        while (value >= limit);
        return value % bound;
    };
    std::vector<int64_t> order(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        order[static_cast<std::size_t>(i)] = i;
    for (int64_t i = n - 1; i > 0; --i)
        std::swap(order[static_cast<std::size_t>(i)],
                  order[static_cast<std::size_t>(draw(static_cast<uint64_t>(i + 1)))]);

    std::vector<int64_t> validation(order.begin(), order.begin() + numValidation);
    std::vector<int64_t> train(order.begin() + numValidation, order.end());
    std::sort(validation.begin(), validation.end());
    std::sort(train.begin(), train.end());
    auto select = [&blocks](const std::vector<int64_t>& indices) {
        return blocks.index_select(0, torch::tensor(indices).to(blocks.device()));
    };
    return BlockSplit{select(train), select(validation)};
}

} // namespace emo::io
