#pragma once
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace emo::widgets {

// Measures how long the GUI thread was ever blocked: a 10 ms timer on the GUI thread notes how late each
// tick came; the longest lateness is the longest time the event loop could not run.
class GuiStallProbe : public QObject {
    Q_OBJECT
public:
    explicit GuiStallProbe(QObject* parent = nullptr, int intervalMs = 10);
    double maxStallMs() const { return m_maxStallMs; }
    qint64 ticks() const { return m_ticks; }
    void reset();

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    qint64 m_ticks = 0;
    int m_interval;
    double m_maxStallMs = 0.0;
};

} // namespace emo::widgets
