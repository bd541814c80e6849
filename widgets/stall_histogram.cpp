#include "stall_histogram.h"

#include <algorithm>
#include <cmath>

namespace emo::widgets {

namespace {
constexpr int kLastBucketMs = 10000;
}

StallHistogram::StallHistogram() : m_buckets(kLastBucketMs + 1, 0) {}

void StallHistogram::add(double ms)
{
    const int bucket = std::isfinite(ms) ? int(std::clamp(std::ceil(ms), 0.0, double(kLastBucketMs))) : kLastBucketMs;
    ++m_buckets[size_t(bucket)];
    ++m_count;
}

void StallHistogram::clear()
{
    std::fill(m_buckets.begin(), m_buckets.end(), 0);
    m_count = 0;
}

double StallHistogram::percentileMs(double q) const
{
    if (m_count == 0)
        return 0.0;
    // The q-th tick in lateness order, counted from 1: ceil(q·n), at least the first.
    const int64_t wanted = std::max<int64_t>(1, int64_t(std::ceil(std::clamp(q, 0.0, 1.0) * double(m_count) - 1e-9)));
    int64_t seen = 0;
    for (size_t ms = 0; ms < m_buckets.size(); ++ms) {
        seen += m_buckets[ms];
        if (seen >= wanted)
            return double(ms);
    }
    return double(kLastBucketMs);
}

} // namespace emo::widgets
