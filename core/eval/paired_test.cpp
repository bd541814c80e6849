#include "eval/paired_test.h"

#include "util/error.h"

#include <cmath>
#include <random>
#include <string>

namespace emo::eval {

// a [n], b [n] → mean difference and two-sided p of the sign-flip test
PairedTestResult pairedSignFlipTest(const std::vector<double>& a, const std::vector<double>& b,
                                    int64_t exactLimit, int64_t draws, uint64_t seed)
{
    if (a.size() != b.size())
        throw Error::badInput("paired test: " + std::to_string(a.size()) + " values against " +
                              std::to_string(b.size()) + " (each value needs its partner)");
    PairedTestResult result;
    const int64_t n = static_cast<int64_t>(a.size());
    result.pairs = n;
    if (n == 0)
        return result;
    std::vector<double> d(static_cast<size_t>(n));
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        d[static_cast<size_t>(i)] = a[static_cast<size_t>(i)] - b[static_cast<size_t>(i)];
        sum += d[static_cast<size_t>(i)];
    }
    result.meanDifference = sum / static_cast<double>(n);
    const double observed = std::fabs(sum);
    if (observed == 0.0)
        return result;
    // A flipped sum at least as extreme as the observed one, with a relative slack for rounding: the
    // identity pattern must always count.
    const double threshold = observed * (1.0 - 1e-12);

    if (n <= exactLimit && n < 63) {
        const uint64_t patterns = uint64_t(1) << n;
        uint64_t extreme = 0;
        for (uint64_t mask = 0; mask < patterns; ++mask) {
            double s = 0.0;
            for (int64_t i = 0; i < n; ++i)
                s += (mask >> i) & 1 ? -d[static_cast<size_t>(i)] : d[static_cast<size_t>(i)];
            if (std::fabs(s) >= threshold)
                ++extreme;
        }
        result.pValue = static_cast<double>(extreme) / static_cast<double>(patterns);
        result.exact = true;
        return result;
    }
    std::mt19937_64 rng(seed);
    int64_t extreme = 0;
    for (int64_t k = 0; k < draws; ++k) {
        double s = 0.0;
        uint64_t bits = 0;
        for (int64_t i = 0; i < n; ++i) {
            if (i % 64 == 0)
                bits = rng();
            s += bits & 1 ? -d[static_cast<size_t>(i)] : d[static_cast<size_t>(i)];
            bits >>= 1;
        }
        if (std::fabs(s) >= threshold)
            ++extreme;
    }
    result.pValue = static_cast<double>(1 + extreme) / static_cast<double>(1 + draws);
    return result;
}

} // namespace emo::eval
