#pragma once
#include <cstdint>
#include <string>

namespace emo::cli {

std::string formatNumber(double value, int precision = 4);  // "nan" shown as "-"
std::string formatDuration(double seconds);                  // "1h02m", "3m05s", "12s"

} // namespace emo::cli
