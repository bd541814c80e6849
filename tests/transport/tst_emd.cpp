#include "support/test_paths.h"
#include "transport/demd.h"
#include "transport/exact_emd.h"
#include "util/error.h"

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <random>
#include <vector>

using namespace emo::transport;

namespace {

std::vector<double> randomDistribution(std::mt19937& rng, int k, double zeroFraction = 0.0)
{
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::vector<double> p(k);
    double total = 0;
    for (double& x : p) {
        x = uniform(rng) < zeroFraction ? 0.0 : uniform(rng);
        total += x;
    }
    if (total == 0) {
        p[0] = 1;
        total = 1;
    }
    for (double& x : p)
        x /= total;
    return p;
}

// Cosine cost 1 − ê_i·ê_j between k random unit vectors in `dim` dimensions.
std::vector<double> cosineCost(std::mt19937& rng, int k, int dim)
{
    std::normal_distribution<double> normal;
    std::vector<std::vector<double>> e(k, std::vector<double>(dim));
    for (auto& row : e) {
        double norm = 0;
        for (double& x : row) {
            x = normal(rng);
            norm += x * x;
        }
        for (double& x : row)
            x /= std::sqrt(norm);
    }
    std::vector<double> cost(k * k);
    for (int i = 0; i < k; ++i)
        for (int j = 0; j < k; ++j) {
            double dot = 0;
            for (int d = 0; d < dim; ++d)
                dot += e[i][d] * e[j][d];
            cost[i * k + j] = i == j ? 0.0 : 1.0 - dot;
        }
    return cost;
}

void checkMarginals(const TransportPlan& plan, const std::vector<double>& source, const std::vector<double>& target)
{
    QCOMPARE(plan.rows, int64_t(source.size()));
    QCOMPARE(plan.cols, int64_t(target.size()));
    for (int64_t i = 0; i < plan.rows; ++i) {
        double row = 0;
        for (int64_t j = 0; j < plan.cols; ++j) {
            QVERIFY(plan.plan[i * plan.cols + j] >= 0.0);
            row += plan.plan[i * plan.cols + j];
        }
        QVERIFY2(std::abs(row - source[i]) < 1e-12, qPrintable(QString("row %1: %2 vs %3").arg(i).arg(row).arg(source[i])));
    }
    for (int64_t j = 0; j < plan.cols; ++j) {
        double col = 0;
        for (int64_t i = 0; i < plan.rows; ++i)
            col += plan.plan[i * plan.cols + j];
        QVERIFY2(std::abs(col - target[j]) < 1e-12, qPrintable(QString("column %1: %2 vs %3").arg(j).arg(col).arg(target[j])));
    }
}

} // namespace

class TestEmd : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void handCases();
    void oneDimensional_data();
    void oneDimensional();
    void bruteForce_data();
    void bruteForce();
    void marginalsAndBound_data();
    void marginalsAndBound();
    void oneHotEqualsDemd();
    void badInputs();
    void cancels();
};

void TestEmd::handCases()
{
    // Two points, cost 1 across: moving (1,0) → (0,1) costs 1·3 = 3.
    TransportPlan t = exactEmd({1.0, 0.0}, {0.0, 1.0}, {0.0, 3.0, 3.0, 0.0});
    QCOMPARE(t.totalCost, 3.0);
    QCOMPARE(t.plan, (std::vector<double>{0.0, 1.0, 0.0, 0.0}));
    // Equal distributions under a metric: nothing moves.
    t = exactEmd({0.3, 0.7}, {0.3, 0.7}, {0.0, 1.0, 1.0, 0.0});
    QCOMPARE(t.totalCost, 0.0);
    // Crossing is cheaper than staying: cost [[1,0],[0,1]] sends everything across for free.
    t = exactEmd({0.5, 0.5}, {0.5, 0.5}, {1.0, 0.0, 0.0, 1.0});
    QCOMPARE(t.totalCost, 0.0);
    QCOMPARE(t.plan, (std::vector<double>{0.0, 0.5, 0.5, 0.0}));
    // 3 points on a line at 0, 1, 2: (½, ½, 0) → (0, ½, ½): ½ moves 0→1 and ½ moves 1→2 (or ½ moves 0→2): cost 1.
    t = exactEmd({0.5, 0.5, 0.0}, {0.0, 0.5, 0.5}, {0, 1, 2, 1, 0, 1, 2, 1, 0});
    QVERIFY(std::abs(t.totalCost - 1.0) < 1e-15);
    // Rectangular: one source point to three targets, the plan is forced: Σ_j b_j C(0,j) = 0.2·1 + 0.5·2 + 0.3·4 = 2.4.
    t = exactEmd({1.0}, {0.2, 0.5, 0.3}, {1.0, 2.0, 4.0});
    QVERIFY(std::abs(t.totalCost - 2.4) < 1e-15);
}

void TestEmd::oneDimensional_data()
{
    QTest::addColumn<int>("points");
    QTest::addColumn<bool>("uneven");
    QTest::addColumn<double>("zeros");
    for (int k : {3, 10, 50, 200}) {
        QTest::newRow(qPrintable(QString("%1 points, unit spacing").arg(k))) << k << false << 0.0;
        QTest::newRow(qPrintable(QString("%1 points, uneven spacing, sparse").arg(k))) << k << true << 0.5;
    }
}

// On a line with C(i,j) = |x_i − x_j|, EMD = Σ_k |F_p(k) − F_q(k)|·(x_{k+1} − x_k) (CDF difference).
void TestEmd::oneDimensional()
{
    QFETCH(int, points);
    QFETCH(bool, uneven);
    QFETCH(double, zeros);
    std::mt19937 rng(points * 31 + (uneven ? 1 : 0));
    std::uniform_real_distribution<double> step(0.1, 2.0);
    std::vector<double> x(points);
    for (int i = 1; i < points; ++i)
        x[i] = x[i - 1] + (uneven ? step(rng) : 1.0);
    const std::vector<double> p = randomDistribution(rng, points, zeros);
    const std::vector<double> q = randomDistribution(rng, points, zeros);
    std::vector<double> cost(points * points);
    for (int i = 0; i < points; ++i)
        for (int j = 0; j < points; ++j)
            cost[i * points + j] = std::abs(x[i] - x[j]);
    double closedForm = 0, cdfP = 0, cdfQ = 0;
    for (int k = 0; k + 1 < points; ++k) {
        cdfP += p[k];
        cdfQ += q[k];
        closedForm += std::abs(cdfP - cdfQ) * (x[k + 1] - x[k]);
    }
    QElapsedTimer timer;
    timer.start();
    const TransportPlan t = exactEmd(p, q, cost);
    const qint64 ms = timer.elapsed();
    QVERIFY2(std::abs(t.totalCost - closedForm) < 1e-10 * std::max(1.0, closedForm),
             qPrintable(QString("EMD %1 vs closed form %2").arg(t.totalCost, 0, 'g', 15).arg(closedForm, 0, 'g', 15)));
    checkMarginals(t, p, q);
    if (points == 200)
        qInfo("200 points: %lld augmentations, %lld ms", static_cast<long long>(t.augmentations), static_cast<long long>(ms));
}

void TestEmd::bruteForce_data()
{
    QTest::addColumn<int>("index");
    std::ifstream in(emo::test::dataPath("transport/brute_force.json"));
    QVERIFY(in.good());
    const nlohmann::json j = nlohmann::json::parse(in);
    for (std::size_t i = 0; i < j["cases"].size(); ++i) {
        const auto& c = j["cases"][i];
        QTest::newRow(qPrintable(QString("%1x%2 (%3 integer plans)").arg(c["rows"].get<int>()).arg(c["cols"].get<int>())
                                     .arg(c["plans_enumerated"].get<int>())))
            << int(i);
    }
}

// Against every integer plan enumerated by make_reference.py (integer margins: the LP optimum is integral).
void TestEmd::bruteForce()
{
    QFETCH(int, index);
    std::ifstream in(emo::test::dataPath("transport/brute_force.json"));
    const nlohmann::json c = nlohmann::json::parse(in)["cases"][index];
    const auto source = c["source"].get<std::vector<double>>();
    const auto target = c["target"].get<std::vector<double>>();
    const TransportPlan t = exactEmd(source, target, c["cost"].get<std::vector<double>>());
    const double expected = c["emd"];
    QVERIFY2(std::abs(t.totalCost - expected) < 1e-12,
             qPrintable(QString("EMD %1 vs brute force %2").arg(t.totalCost, 0, 'g', 15).arg(expected, 0, 'g', 15)));
    checkMarginals(t, source, target);
}

void TestEmd::marginalsAndBound_data()
{
    QTest::addColumn<int>("points");
    QTest::addColumn<int>("seed");
    for (int k : {5, 30, 120})
        for (int seed : {1, 2})
            QTest::newRow(qPrintable(QString("%1 points seed %2").arg(k).arg(seed))) << k << seed;
}

// Random cosine costs: marginals hold, and EMD ≤ DEMD (the independent coupling is one feasible plan).
void TestEmd::marginalsAndBound()
{
    QFETCH(int, points);
    QFETCH(int, seed);
    std::mt19937 rng(seed);
    const std::vector<double> cost = cosineCost(rng, points, 8);
    const std::vector<double> p = randomDistribution(rng, points, 0.3);
    const std::vector<double> q = randomDistribution(rng, points, 0.3);
    const TransportPlan t = exactEmd(q, p, cost);
    checkMarginals(t, q, p);
    QVERIFY(t.totalCost <= demd(q, p, cost) + 1e-12);
    QVERIFY(t.totalCost >= 0.0);
    // Symmetric cost: EMD(q,p) = EMD(p,q).
    QVERIFY(std::abs(exactEmd(p, q, cost).totalCost - t.totalCost) < 1e-12);
}

// With a one-hot target every plan is the independent one, so the exact EMD is DEMD = Σ_j q_j C(j,y).
void TestEmd::oneHotEqualsDemd()
{
    std::mt19937 rng(99);
    const int k = 40;
    const std::vector<double> cost = cosineCost(rng, k, 6);
    for (int gold : {0, 17, 39}) {
        const std::vector<double> q = randomDistribution(rng, k);
        std::vector<double> p(k, 0.0);
        p[gold] = 1.0;
        const TransportPlan t = exactEmd(q, p, cost);
        const double expected = demdOneHot(q, gold, cost);
        QVERIFY2(std::abs(t.totalCost - expected) < 1e-13, qPrintable(QString("%1 vs %2").arg(t.totalCost).arg(expected)));
        QVERIFY(std::abs(demd(q, p, cost) - expected) < 1e-15);
        for (int i = 0; i < k; ++i)
            QVERIFY(std::abs(t.plan[i * k + gold] - q[i]) < 1e-15);
    }
}

void TestEmd::badInputs()
{
    QVERIFY_THROWS_EXCEPTION(emo::Error, exactEmd({0.5, 0.5}, {1.0, 0.5}, {0, 1, 1, 0}));         // totals differ
    QVERIFY_THROWS_EXCEPTION(emo::Error, exactEmd({1.5, -0.5}, {0.5, 0.5}, {0, 1, 1, 0}));       // negative mass
    QVERIFY_THROWS_EXCEPTION(emo::Error, exactEmd({0.5, 0.5}, {0.5, 0.5}, {0, 1, 1}));           // cost size
    QVERIFY_THROWS_EXCEPTION(emo::Error, exactEmd({}, {}, {}));                                  // empty
    QVERIFY_THROWS_EXCEPTION(emo::Error, exactEmd({1.0}, {1.0}, {std::nan("")}));               // NaN cost
    QVERIFY_THROWS_EXCEPTION(emo::Error, demdOneHot({0.5, 0.5}, 2, {0, 1, 1, 0}));               // gold outside
}

void TestEmd::cancels()
{
    std::mt19937 rng(5);
    const std::vector<double> cost = cosineCost(rng, 30, 4);
    const std::vector<double> p = randomDistribution(rng, 30);
    const std::vector<double> q = randomDistribution(rng, 30);
    int calls = 0;
    bool cancelled = false;
    try {
        exactEmd(p, q, cost, [&](const emo::Progress&) { return ++calls < 3; });
    } catch (const emo::Error& e) {
        cancelled = e.kind() == emo::Error::Kind::Cancelled;
    }
    QVERIFY(cancelled);
    QCOMPARE(calls, 3);
}

QTEST_GUILESS_MAIN(TestEmd)
#include "tst_emd.moc"
