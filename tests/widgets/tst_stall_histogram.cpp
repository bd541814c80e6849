// The GUI stall probe's percentiles: the histogram against values worked out by hand, and the probe itself
// against a stall made on purpose.
#include "gui_stall_probe.h"
#include "stall_histogram.h"

#include <QtTest>
#include <QThread>

#include <cmath>
#include <limits>

using emo::widgets::GuiStallProbe;
using emo::widgets::StallHistogram;

class TestStallHistogram : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // 100 ticks: 0,1,…,97 ms late, then 250 and 4000. The p50 is the 50th smallest (49), the p98 the 98th (97),
    // the p99 the 99th (250), the max the 100th (4000).
    void percentilesByHand()
    {
        StallHistogram h;
        QCOMPARE(h.percentileMs(0.99), 0.0);
        for (int ms = 0; ms < 98; ++ms)
            h.add(ms);
        h.add(250);
        h.add(4000);
        QCOMPARE(h.count(), int64_t(100));
        QCOMPARE(h.percentileMs(0.5), 49.0);
        QCOMPARE(h.percentileMs(0.98), 97.0);
        QCOMPARE(h.percentileMs(0.99), 250.0);
        QCOMPARE(h.percentileMs(1.0), 4000.0);
        QCOMPARE(h.percentileMs(0.0), 0.0);
        h.clear();
        QCOMPARE(h.count(), int64_t(0));
        QCOMPARE(h.percentileMs(0.5), 0.0);
    }

    // Early ticks count as 0, fractions round up to the next millisecond, and anything past 10 s (or not a
    // number) lands in the last bucket.
    void edges()
    {
        StallHistogram h;
        h.add(-3);
        h.add(0.2);
        h.add(1e9);
        h.add(std::numeric_limits<double>::quiet_NaN());
        QCOMPARE(h.percentileMs(0.25), 0.0);
        QCOMPARE(h.percentileMs(0.5), 1.0);
        QCOMPARE(h.percentileMs(0.75), 10000.0);
        QCOMPARE(h.percentileMs(1.0), 10000.0);
    }

    // A 200 ms block of the event loop among about 100 ticks: the max sees it, the median does not, and every
    // tick was counted once.
    void probeSeesAMadeStall()
    {
        GuiStallProbe probe;
        QTest::qWait(500);
        QTimer::singleShot(0, [] { QThread::msleep(200); });
        QTest::qWait(600);
        QVERIFY2(probe.maxStallMs() >= 180.0, qPrintable(QString::number(probe.maxStallMs())));
        QCOMPARE(probe.stallPercentileMs(1.0), std::ceil(probe.maxStallMs()));
        QVERIFY(probe.stallPercentileMs(0.5) < probe.maxStallMs());
        QVERIFY(probe.ticks() > 20);
        probe.reset();
        QCOMPARE(probe.stallPercentileMs(1.0), 0.0);
    }
};

QTEST_MAIN(TestStallHistogram)
#include "tst_stall_histogram.moc"
