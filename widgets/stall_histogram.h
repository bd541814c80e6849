#pragma once
#include <cstdint>
#include <vector>

namespace emo::widgets {

// Lateness of timer ticks in whole milliseconds, counted in 1 ms buckets (the last, 10 s, holds everything
// longer): 80 KB however long the probe runs, not a list of samples, and percentiles exact to 1 ms.
class StallHistogram {
public:
    StallHistogram();
    void add(double ms);  // negative (an early tick) counts as 0
    void clear();
    int64_t count() const { return m_count; }
    // The smallest lateness L (ms) such that at least the fraction q of the ticks were L or less late; 0 when empty.
    double percentileMs(double q) const;

private:
    std::vector<int64_t> m_buckets;
    int64_t m_count = 0;
};

} // namespace emo::widgets
