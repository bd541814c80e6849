#pragma once
#include <chrono>
#include <string>

namespace emo::cli {

// Progress on stderr: a redrawn bar on a terminal, plain lines (at most one a second) otherwise.
class TerminalProgress {
public:
    explicit TerminalProgress(std::string label);
    ~TerminalProgress();

    // done of total (total 0 = unknown); `detail` is appended ("loss 3.21  lr 5e-05").
    void update(int64_t done, int64_t total, const std::string& detail = {});
    void finish(const std::string& detail = {});

private:
    std::string m_label;
    bool m_isTerminal;
    bool m_finished = false;
    bool m_drawn = false;
    bool m_lastShown = false;
    std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_lastPrint;
};

} // namespace emo::cli
