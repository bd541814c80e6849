#include "gui_stall_probe.h"

#include <algorithm>

namespace emo::widgets {

GuiStallProbe::GuiStallProbe(QObject* parent, int intervalMs)
    : QObject(parent)
    , m_interval(intervalMs)
{
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        const qint64 now = m_clock.elapsed();
        const double late = double(now - m_last - m_interval);
        m_maxStallMs = std::max(m_maxStallMs, late);
        m_lateness.add(late);
        m_last = now;
        ++m_ticks;
    });
    reset();
    m_timer.start();
}

void GuiStallProbe::reset()
{
    m_clock.start();
    m_last = 0;
    m_ticks = 0;
    m_maxStallMs = 0.0;
    m_lateness.clear();
}

} // namespace emo::widgets
