#pragma once
#include "stall_histogram.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace emo::widgets {

// Measures how long the GUI thread was blocked: a 10 ms timer on the GUI thread notes how late each tick came;
// the longest lateness is the longest time the event loop could not run, and its percentiles say how often.
class GuiStallProbe : public QObject {
    Q_OBJECT
public:
    explicit GuiStallProbe(QObject* parent = nullptr, int intervalMs = 10);
    double maxStallMs() const { return m_maxStallMs; }
    qint64 ticks() const { return m_ticks; }
    double stallPercentileMs(double q) const { return m_lateness.percentileMs(q); }  // e.g. 0.99 for the p99
    void reset();

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    qint64 m_ticks = 0;
    int m_interval;
    double m_maxStallMs = 0.0;
    StallHistogram m_lateness;
};

} // namespace emo::widgets
