// The paired sign-flip test against exact p-values enumerated by an independent numpy script
// (tests/data/eval/make_paired_test_reference.py), exactly and by its Monte Carlo path; and by hand.
#include "eval/paired_test.h"
#include "support/test_paths.h"
#include "util/error.h"

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

class TestPairedTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void againstEnumeration_data()
    {
        QTest::addColumn<int>("index");
        std::ifstream in(emo::test::dataPath("eval/paired_test_reference.json"));
        QVERIFY(in.good());
        const auto j = nlohmann::json::parse(in);
        for (size_t i = 0; i < j["cases"].size(); ++i)
            QTest::newRow(j["cases"][i]["name"].get<std::string>().c_str()) << int(i);
    }

    void againstEnumeration()
    {
        QFETCH(int, index);
        std::ifstream in(emo::test::dataPath("eval/paired_test_reference.json"));
        const auto c = nlohmann::json::parse(in)["cases"][index];
        const auto a = c["a"].get<std::vector<double>>(), b = c["b"].get<std::vector<double>>();
        const double expected = c["p"];
        const auto exact = emo::eval::pairedSignFlipTest(a, b);
        QVERIFY(exact.exact);
        QCOMPARE(exact.pairs, int64_t(a.size()));
        QVERIFY2(std::abs(exact.pValue - expected) < 1e-12, qPrintable(QString("p %1 vs %2").arg(exact.pValue).arg(expected)));
        QVERIFY(std::abs(exact.meanDifference - c["mean_difference"].get<double>()) < 1e-12);

        // Monte Carlo (forced): within 4 binomial standard errors of the exact p, never 0.
        const int64_t draws = 200000;
        const auto sampled = emo::eval::pairedSignFlipTest(a, b, 0, draws, 7);
        QVERIFY(!sampled.exact);
        const double se = std::sqrt(std::max(expected * (1 - expected), 1.0 / draws) / draws);
        QVERIFY2(std::abs(sampled.pValue - expected) < 4 * se + 1.0 / draws,
                 qPrintable(QString("MC p %1 vs exact %2").arg(sampled.pValue).arg(expected)));
        QVERIFY(sampled.pValue > 0.0);
    }

    void byHand()
    {
        // d = (1, 1, 1): only the all-plus and all-minus patterns reach |sum| = 3 → p = 2/8.
        auto t = emo::eval::pairedSignFlipTest({2, 3, 4}, {1, 2, 3});
        QCOMPARE(t.pValue, 0.25);
        QCOMPARE(t.meanDifference, 1.0);
        // No difference at all: p = 1; no pairs: p = 1.
        QCOMPARE(emo::eval::pairedSignFlipTest({1, 2}, {1, 2}).pValue, 1.0);
        QCOMPARE(emo::eval::pairedSignFlipTest({}, {}).pairs, int64_t(0));
        // Symmetric in a and b.
        QCOMPARE(emo::eval::pairedSignFlipTest({1, 5, 2, 8}, {0, 1, 3, 2}).pValue,
                 emo::eval::pairedSignFlipTest({0, 1, 3, 2}, {1, 5, 2, 8}).pValue);
    }

    void unpairedIsRefused()
    {
        try {
            emo::eval::pairedSignFlipTest({1, 2, 3}, {1, 2});
            QFAIL("3 values against 2 were accepted");
        } catch (const emo::Error& e) {
            QCOMPARE(e.kind(), emo::Error::Kind::BadInput);
        }
    }
};

QTEST_GUILESS_MAIN(TestPairedTest)
#include "tst_paired_test.moc"
