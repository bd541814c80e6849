#pragma once
#include <string>

namespace emo::util {

// "0.1", "1e-07", "nan": printf's %g, short enough for a message or a folder name.
std::string shortNumber(double value);

} // namespace emo::util
