#include "format.h"

#include <cmath>
#include <cstdio>

namespace emo::cli {

std::string formatNumber(double value, int precision)
{
    if (std::isnan(value))
        return "-";
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
    return buffer;
}

std::string formatDuration(double seconds)
{
    if (std::isnan(seconds) || seconds < 0)
        return "-";
    long s = std::lround(seconds);
    char buffer[32];
    if (s >= 3600)
        std::snprintf(buffer, sizeof buffer, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
    else if (s >= 60)
        std::snprintf(buffer, sizeof buffer, "%ldm%02lds", s / 60, s % 60);
    else
        std::snprintf(buffer, sizeof buffer, "%lds", s);
    return buffer;
}

} // namespace emo::cli
