#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace emo {

// Long work reports through a callback that returns false to cancel; it is called between steps and
// inside long loops, from the thread doing the work.
struct Progress {
    std::string stage;   // "loading", "sampling", "evaluating", ...
    int64_t done = 0;
    int64_t total = 0;   // 0 when unknown
};
using ProgressCallback = std::function<bool(const Progress&)>;

} // namespace emo
