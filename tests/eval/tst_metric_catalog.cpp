// The metric catalog against what each metric is by definition (written here by hand, not read from the
// catalog): which way is better, which request computes it, what it needs, and the texts built from it.
#include "eval/metric_catalog.h"

#include <QtTest/QtTest>

class TestMetricCatalog : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void metrics_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("request");
        QTest::addColumn<bool>("lowerIsBetter");
        QTest::addColumn<bool>("needsOracle");
        QTest::addColumn<bool>("needsSamples");
        QTest::addColumn<QString>("header");
        QTest::newRow("ppl") << "ppl" << "ppl" << true << false << false << "PPL ↓";
        QTest::newRow("oracle-ppl") << "oracle-ppl" << "oracle-ppl" << true << true << true << "Oracle PPL ↓";
        QTest::newRow("fwd-ce") << "fwd-ce" << "fwd-ce" << true << false << false << "Fwd CE ↓";
        QTest::newRow("rev-ce") << "rev-ce" << "rev-ce" << true << true << true << "Rev CE ↓";
        QTest::newRow("mauve") << "mauve" << "mauve" << false << false << true << "MAUVE ↑";
        QTest::newRow("rouge-1") << "rouge-1" << "rouge" << false << false << true << "ROUGE-1 ↑";
        QTest::newRow("rouge-l") << "rouge-l" << "rouge" << false << false << true << "ROUGE-L ↑";
        QTest::newRow("fewshot-acc") << "fewshot-acc" << "fewshot" << false << false << false << "Few-shot acc. ↑";
    }
    void metrics()
    {
        QFETCH(QString, name);
        QFETCH(QString, request);
        QFETCH(bool, lowerIsBetter);
        QFETCH(bool, needsOracle);
        QFETCH(bool, needsSamples);
        QFETCH(QString, header);
        const auto* info = emo::eval::findMetric(name.toStdString());
        QVERIFY(info);
        QCOMPARE(QString::fromLatin1(info->request), request);
        QCOMPARE(info->lowerIsBetter, lowerIsBetter);
        QVERIFY(emo::eval::isMetricRequest(request.toStdString()));
        QCOMPARE(emo::eval::requestNeedsOracle(request.toStdString()), needsOracle);
        QCOMPARE(emo::eval::requestNeedsSamples(request.toStdString()), needsSamples);
        QCOMPARE(QString::fromStdString(emo::eval::metricHeader(name.toStdString())), header);
        const QString tip = QString::fromStdString(emo::eval::metricTooltip(name.toStdString()));
        QVERIFY2(tip.endsWith(lowerIsBetter ? "(lower is better)" : "(higher is better)"), qPrintable(tip));
    }

    void requests()
    {
        QCOMPARE(QString::fromStdString(emo::eval::metricRequestList()),
                 QStringLiteral("ppl, oracle-ppl, fwd-ce, rev-ce, mauve, rouge, fewshot"));
        QStringList rouge;
        for (const auto* m : emo::eval::metricsOfRequest("rouge"))
            rouge << m->name;
        QCOMPARE(rouge, QStringList({"rouge-1", "rouge-l"}));
        // A report name that is no request, and names the catalog does not know.
        QVERIFY(!emo::eval::isMetricRequest("rouge-1"));
        QVERIFY(!emo::eval::isMetricRequest("bleu"));
        QVERIFY(emo::eval::metricsOfRequest("bleu").empty());
        QVERIFY(!emo::eval::findMetric("bleu"));
        QCOMPARE(QString::fromStdString(emo::eval::metricHeader("bleu")), QStringLiteral("bleu"));
        // Every name once.
        QSet<QString> names;
        for (const auto& m : emo::eval::metricCatalog())
            names.insert(m.name);
        QCOMPARE(int(names.size()), int(emo::eval::metricCatalog().size()));
    }
};

QTEST_APPLESS_MAIN(TestMetricCatalog)
#include "tst_metric_catalog.moc"
