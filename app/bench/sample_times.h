#pragma once
#include <algorithm>
#include <vector>

namespace emo::bench {

// Repeated timings of one thing, in seconds; min and median of a non-empty set (this VM's medians are noisy).
struct SampleTimes {
    std::vector<double> seconds;
    double min() const { return *std::min_element(seconds.begin(), seconds.end()); }
    double median() const
    {
        std::vector<double> sorted = seconds;
        std::sort(sorted.begin(), sorted.end());
        return sorted[sorted.size() / 2];
    }
};

} // namespace emo::bench
