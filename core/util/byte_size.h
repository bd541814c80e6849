#pragma once
#include <cstdint>
#include <string>

namespace emo::util {

// Binary units with one decimal above a KiB: "812 B", "3.4 MiB", "25.1 GiB" (messages, `emo info`, the views).
std::string formatBytes(uint64_t bytes);

} // namespace emo::util
