// Learning-rate schedules against values computed by hand from transformers' definitions.
#include "train/lr_schedule.h"
#include "util/error.h"

#include <QtTest/QtTest>

#include <cmath>

using emo::train::LearningRateSchedule;

class TestLrSchedule : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void rates_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<double>("base");
        QTest::addColumn<int>("warmup");
        QTest::addColumn<int>("total");
        QTest::addColumn<int>("step");
        QTest::addColumn<double>("expected");

        // linear, no warm-up: base · (total − step) / total
        QTest::newRow("linear first") << "linear" << 1.0 << 0 << 10 << 0 << 1.0;
        QTest::newRow("linear middle") << "linear" << 2.0 << 0 << 10 << 5 << 1.0;
        QTest::newRow("linear last") << "linear" << 1.0 << 0 << 10 << 9 << 0.1;
        QTest::newRow("linear past end") << "linear" << 1.0 << 0 << 10 << 12 << 0.0;
        // linear with 2 warm-up steps over 10: 0, 1/2, then (10 − s) / 8
        QTest::newRow("linear warmup 0") << "linear" << 1.0 << 2 << 10 << 0 << 0.0;
        QTest::newRow("linear warmup 1") << "linear" << 1.0 << 2 << 10 << 1 << 0.5;
        QTest::newRow("linear after warmup") << "linear" << 1.0 << 2 << 10 << 2 << 1.0;
        QTest::newRow("linear decay") << "linear" << 1.0 << 2 << 10 << 6 << 0.5;
        // cosine over 4 steps: ½(1 + cos(π s/4))
        QTest::newRow("cosine 0") << "cosine" << 1.0 << 0 << 4 << 0 << 1.0;
        QTest::newRow("cosine 1") << "cosine" << 1.0 << 0 << 4 << 1 << 0.8535533905932737;
        QTest::newRow("cosine 2") << "cosine" << 1.0 << 0 << 4 << 2 << 0.5;
        QTest::newRow("cosine 3") << "cosine" << 1.0 << 0 << 4 << 3 << 0.14644660940672627;
        QTest::newRow("cosine end") << "cosine" << 1.0 << 0 << 4 << 4 << 0.0;
        // cosine with 1 warm-up step over 5: warm-up 0, then ½(1 + cos(π (s−1)/4))
        QTest::newRow("cosine warmup") << "cosine" << 3.0 << 1 << 5 << 0 << 0.0;
        QTest::newRow("cosine after warmup") << "cosine" << 3.0 << 1 << 5 << 2 << 3.0 * 0.8535533905932737;
        // constant with 4 warm-up steps
        QTest::newRow("constant warmup") << "constant" << 1e-3 << 4 << 100 << 1 << 2.5e-4;
        QTest::newRow("constant") << "constant" << 1e-3 << 4 << 100 << 4 << 1e-3;
        QTest::newRow("constant late") << "constant" << 1e-3 << 4 << 100 << 99 << 1e-3;
    }

    void rates()
    {
        QFETCH(QString, name);
        QFETCH(double, base);
        QFETCH(int, warmup);
        QFETCH(int, total);
        QFETCH(int, step);
        QFETCH(double, expected);
        LearningRateSchedule schedule(name.toStdString(), base, warmup, total);
        const double rate = schedule.rateAt(step);
        QVERIFY2(std::abs(rate - expected) <= 1e-12 * std::max(1.0, std::abs(expected)),
                 qPrintable(QString("rate %1, expected %2").arg(rate, 0, 'g', 17).arg(expected, 0, 'g', 17)));
    }

    void unknownScheduleIsBadInput()
    {
        try {
            LearningRateSchedule schedule("exponential", 1.0, 0, 10);
            QFAIL("no error for an unknown schedule");
        } catch (const emo::Error& e) {
            QCOMPARE(e.kind(), emo::Error::Kind::BadInput);
            QVERIFY(QString(e.what()).contains("exponential"));
        }
        QVERIFY(!LearningRateSchedule::isKnown("exponential"));
        QVERIFY(LearningRateSchedule::isKnown("cosine"));
    }
};

QTEST_GUILESS_MAIN(TestLrSchedule)
#include "tst_lr_schedule.moc"
