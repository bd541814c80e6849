#include "terminal_progress.h"

#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace emo::cli {

TerminalProgress::TerminalProgress(std::string label)
    : m_label(std::move(label)), m_isTerminal(::isatty(STDERR_FILENO) == 1),
      m_start(std::chrono::steady_clock::now()), m_lastPrint(m_start - std::chrono::seconds(10))
{
}

TerminalProgress::~TerminalProgress()
{
    if (m_drawn && !m_finished && m_isTerminal)
        std::cerr << "\n";
}

void TerminalProgress::update(int64_t done, int64_t total, const std::string& detail)
{
    auto now = std::chrono::steady_clock::now();
    const bool last = total > 0 && done >= total;
    const auto minInterval = m_isTerminal ? std::chrono::milliseconds(100) : std::chrono::milliseconds(1000);
    // The completing update always shows, once; later updates at done == total (work after the counted part,
    // such as an experiment's reference scoring) are rate-limited like the rest.
    if (now - m_lastPrint < minInterval && !(last && !m_lastShown))
        return;
    m_lastShown = m_lastShown || last;
    m_lastPrint = now;
    m_drawn = true;
    char counts[64];
    if (total > 0)
        std::snprintf(counts, sizeof counts, "%lld/%lld", static_cast<long long>(done), static_cast<long long>(total));
    else
        std::snprintf(counts, sizeof counts, "%lld", static_cast<long long>(done));
    if (m_isTerminal) {
        std::string bar;
        if (total > 0) {
            const int width = 24;
            int filled = static_cast<int>(width * std::min<double>(1.0, double(done) / double(total)));
            bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "] ";
        }
        std::cerr << "\r\033[K" << m_label << " " << bar << counts << (detail.empty() ? "" : "  ") << detail << std::flush;
    } else {
        std::cerr << m_label << " " << counts << (detail.empty() ? "" : "  ") << detail << "\n";
    }
}

void TerminalProgress::finish(const std::string& detail)
{
    if (m_finished)
        return;
    m_finished = true;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.1f s", seconds);
    if (m_isTerminal)
        std::cerr << "\r\033[K";
    std::cerr << m_label << " done in " << elapsed << (detail.empty() ? "" : "  ") << detail << "\n";
}

} // namespace emo::cli
