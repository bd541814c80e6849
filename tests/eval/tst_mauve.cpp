// MAUVE and its steps: PCA against sklearn/numpy SVD, Lloyd k-means against numpy (and sklearn) from the same
// initial centres, the divergence curve and its area against a numpy transcription of compute_mauve's
// formulas, the whole pipeline on well-separated blobs, and the two extremes (identical sets ≈ 1, disjoint ≈ 0).
// References: tests/data/eval/mauve_reference.json, made by make_mauve_reference.py.
#include "eval/divergence_curve.h"
#include "eval/kmeans.h"
#include "eval/mauve.h"
#include "eval/pca.h"
#include "util/error.h"

#include "support/test_paths.h"

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <fstream>

using namespace emo::eval;

namespace {

const nlohmann::json& reference()
{
    static const nlohmann::json json = [] {
        std::ifstream in(emo::test::dataPath("eval/mauve_reference.json"));
        if (!in)
            throw std::runtime_error("cannot open eval/mauve_reference.json");
        return nlohmann::json::parse(in);
    }();
    return json;
}

// A JSON list of lists → [rows, cols] float64.
torch::Tensor matrix(const nlohmann::json& rows)
{
    std::vector<double> values;
    for (const auto& row : rows)
        for (const auto& v : row)
            values.push_back(v.get<double>());
    const int64_t n = static_cast<int64_t>(rows.size());
    return torch::tensor(values, torch::kFloat64).view({n, n ? static_cast<int64_t>(values.size()) / n : 0});
}

torch::Tensor vector(const nlohmann::json& values)
{
    return torch::tensor(values.get<std::vector<double>>(), torch::kFloat64);
}

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

} // namespace

class TestMauve : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void pcaMatchesSklearn()
    {
        const auto& ref = reference().at("pca");
        const auto data = matrix(ref.at("data"));
        const PcaFit fit = fitPca(data);
        QCOMPARE(fit.components.size(0), int64_t{12});
        QVERIFY(maxAbsDiff(fit.explainedVariance, vector(ref.at("explained_variance"))) < 1e-12);
        QVERIFY(maxAbsDiff(fit.explainedVarianceRatio, vector(ref.at("explained_variance_ratio"))) < 1e-12);
        // Components up to sign (sklearn's svd_flip should give the same sign, but only the direction matters).
        const auto components = matrix(ref.at("components"));
        for (int64_t i = 0; i < 12; ++i) {
            const double same = maxAbsDiff(fit.components[i], components[i]);
            const double flipped = maxAbsDiff(fit.components[i], -components[i]);
            QVERIFY2(std::min(same, flipped) < 1e-8, qPrintable(QString("component %1").arg(i)));
        }
        const auto thresholds = ref.at("thresholds").get<std::vector<double>>();
        const auto kept = ref.at("kept").get<std::vector<int64_t>>();
        for (size_t i = 0; i < thresholds.size(); ++i)
            QCOMPARE(componentsForExplainedVariance(fit.explainedVarianceRatio, thresholds[i]), kept[i]);
        const auto projected = pcaProject(fit, data, kept[1]);
        const auto expected = matrix(ref.at("projected"));
        QCOMPARE(projected.sizes(), expected.sizes());
        for (int64_t j = 0; j < kept[1]; ++j) {
            const auto column = projected.select(1, j), want = expected.select(1, j);
            QVERIFY(std::min(maxAbsDiff(column, want), maxAbsDiff(column, -want)) < 1e-8);
        }
    }

    void explainedVarianceRule()
    {
        const auto ratio = torch::tensor({0.5, 0.3, 0.15, 0.05}, torch::kFloat64);
        QCOMPARE(componentsForExplainedVariance(ratio, 0.5), int64_t{1});   // reached exactly at the first
        QCOMPARE(componentsForExplainedVariance(ratio, 0.81), int64_t{3});
        QCOMPARE(componentsForExplainedVariance(torch::zeros({3}, torch::kFloat64), 0.9), int64_t{1});
    }

    void lloydMatchesNumpy()
    {
        const auto& ref = reference().at("kmeans");
        const auto data = matrix(ref.at("data"));
        const auto rows = torch::tensor(ref.at("init_rows").get<std::vector<int64_t>>(), torch::kLong);
        const KMeansResult result = lloydKMeans(data, data.index_select(0, rows), 500, 7);
        QCOMPARE(result.iterations, ref.at("iterations").get<int64_t>());
        QVERIFY(maxAbsDiff(result.centroids, matrix(ref.at("centroids"))) < 1e-10);
        const auto labels = torch::tensor(ref.at("labels").get<std::vector<int64_t>>(), torch::kLong);
        QVERIFY(torch::equal(result.labels, labels));
        QVERIFY(std::abs(result.objective - ref.at("objective").get<double>()) < 1e-9);
    }

    void kmeansRestartsKeepTheBest()
    {
        const auto& ref = reference().at("kmeans");
        const auto data = matrix(ref.at("data"));
        const KMeansResult one = kmeans(data, 4, 500, 1, 11);
        const KMeansResult five = kmeans(data, 4, 500, 5, 11);
        QVERIFY(five.objective <= one.objective + 1e-12);  // restart 0 is the same run in both
        const KMeansResult again = kmeans(data, 4, 500, 5, 11);
        QVERIFY(torch::equal(five.labels, again.labels));  // deterministic for a seed
        QVERIFY(torch::equal(five.centroids, again.centroids));
        QVERIFY_THROWS_EXCEPTION(emo::Error, kmeans(data, 81, 10, 1, 0));
    }

    // Four points, two centres starting on the same point: the second cluster is empty after the first
    // assignment and must be refilled by splitting the first.
    void emptyClusterIsSplit()
    {
        const auto data = torch::tensor({0.0, 0.0, 0.1, 0.0, 5.0, 5.0, 5.1, 5.0}, torch::kFloat64).view({4, 2});
        const auto init = torch::tensor({0.0, 0.0, 0.0, 0.0}, torch::kFloat64).view({2, 2});
        const KMeansResult result = lloydKMeans(data, init, 100, 3);
        QCOMPARE(torch::bincount(result.labels, {}, 2).min().item<int64_t>(), int64_t{2});
        QVERIFY(result.objective < 0.011);  // (0.05² · 2) · 2 = 0.01
    }

    void divergenceCurveMatchesNumpy()
    {
        int checked = 0;
        for (const auto& c : reference().at("curves")) {
            const auto p = c.at("p").get<std::vector<double>>();
            const auto q = c.at("q").get<std::vector<double>>();
            const DivergenceCurve curve = divergenceCurve(p, q, c.at("points").get<int64_t>(), c.at("scaling").get<double>());
            const auto x = c.at("x").get<std::vector<double>>();
            const auto y = c.at("y").get<std::vector<double>>();
            QCOMPARE(curve.x.size(), x.size());
            for (size_t i = 0; i < x.size(); ++i) {
                QVERIFY2(std::abs(curve.x[i] - x[i]) < 1e-12, qPrintable(QString("case %1 x[%2]").arg(checked).arg(i)));
                QVERIFY2(std::abs(curve.y[i] - y[i]) < 1e-12, qPrintable(QString("case %1 y[%2]").arg(checked).arg(i)));
            }
            QVERIFY2(std::abs(mauveArea(curve) - c.at("mauve").get<double>()) < 1e-12,
                     qPrintable(QString("case %1: %2 vs %3").arg(checked).arg(mauveArea(curve)).arg(c.at("mauve").get<double>())));
            ++checked;
        }
        QCOMPARE(checked, 10);
    }

    // p = q exactly: every inner point is (1, 1), so the area is 1 (the tie rule keeps the upper envelope).
    void identicalHistogramsGiveOne()
    {
        const std::vector<double> h{0.25, 0.25, 0.5};
        QCOMPARE(mauveArea(divergenceCurve(h, h, 25, 5.0)), 1.0);
        // Never above 1, not even by an ulp (a fine-tuned model's MAUVE came out 1.0000000000000002).
        for (const std::vector<double>& g : {std::vector<double>{1.0 / 3, 1.0 / 3, 1.0 / 3}, {0.1, 0.2, 0.7},
                                             {0.3, 0.7}, {0.05, 0.15, 0.35, 0.45}, {0.125, 0.125, 0.25, 0.5}})
            QVERIFY(mauveArea(divergenceCurve(g, g, 25, 5.0)) <= 1.0);
        QCOMPARE(klMultinomial({0.5, 0.5}, {1.0, 0.0}), std::numeric_limits<double>::infinity());
    }

    void autoClusters_data()
    {
        QTest::addColumn<qlonglong>("nP");
        QTest::addColumn<qlonglong>("nQ");
        QTest::addColumn<qlonglong>("k");
        QTest::newRow("few") << 5LL << 500LL << 2LL;
        QTest::newRow("half to even, down") << 25LL << 30LL << 2LL;    // round(2.5) = 2
        QTest::newRow("half to even, up") << 35LL << 100LL << 4LL;     // round(3.5) = 4
        QTest::newRow("paper scale") << 5000LL << 5000LL << 500LL;
        QTest::newRow("rounds") << 156LL << 200LL << 16LL;             // round(15.6)
    }
    void autoClusters()
    {
        QFETCH(qlonglong, nP);
        QFETCH(qlonglong, nQ);
        QFETCH(qlonglong, k);
        QCOMPARE(static_cast<qlonglong>(mauveAutoClusters(nP, nQ)), k);
    }

    // The whole pipeline where the partition is unambiguous: MAUVE and the (p, q) mass per cluster equal the
    // sklearn pipeline's, whatever the cluster numbering.
    void blobsMatchReference()
    {
        const auto& ref = reference().at("blobs");
        const MauveResult r = computeMauve(matrix(ref.at("p")).to(torch::kFloat32), matrix(ref.at("q")));
        QCOMPARE(r.numClusters, ref.at("clusters").get<int64_t>());
        QCOMPARE(r.pcaComponents, ref.at("pca_components").get<int64_t>());
        std::vector<std::vector<double>> pairs;
        for (int64_t i = 0; i < r.numClusters; ++i)
            pairs.push_back({r.pHistogram[i], r.qHistogram[i]});
        std::sort(pairs.begin(), pairs.end());
        const auto expected = ref.at("hist_pairs_sorted").get<std::vector<std::vector<double>>>();
        for (size_t i = 0; i < pairs.size(); ++i)
            for (int j = 0; j < 2; ++j)
                QVERIFY(std::abs(pairs[i][j] - expected[i][j]) < 1e-12);
        QVERIFY(std::abs(r.score - ref.at("mauve").get<double>()) < 1e-12);
        QCOMPARE(r.curveX.size(), size_t{27});
    }

    void identicalFeaturesScoreNearOne()
    {
        torch::manual_seed(3);
        const auto features = torch::randn({200, 32});
        const MauveResult r = computeMauve(features, features.clone());
        QCOMPARE(r.numClusters, int64_t{20});
        QVERIFY2(r.score > 0.99, qPrintable(QString::number(r.score)));
        for (int64_t i = 0; i < r.numClusters; ++i)
            QCOMPARE(r.pHistogram[i], r.qHistogram[i]);
    }

    void separatedFeaturesScoreNearZero()
    {
        torch::manual_seed(4);
        auto offset = torch::zeros({1, 32});
        offset[0][0] = 10.0;
        const auto p = torch::randn({100, 32}) + offset;
        const auto q = torch::randn({100, 32}) - offset;
        const MauveResult r = computeMauve(p, q);
        QVERIFY2(r.score < 0.1, qPrintable(QString::number(r.score)));
        // Every cluster holds only p or only q.
        for (int64_t i = 0; i < r.numClusters; ++i)
            QVERIFY(r.pHistogram[i] == 0.0 || r.qHistogram[i] == 0.0);
    }

    void sameSeedSameResult()
    {
        torch::manual_seed(5);
        const auto p = torch::randn({120, 16}), q = torch::randn({90, 16}) + 0.3;
        const MauveResult a = computeMauve(p, q), b = computeMauve(p, q);
        QCOMPARE(a.score, b.score);
        QVERIFY(a.pHistogram == b.pHistogram);
        QVERIFY(a.score > 0.0 && a.score < 1.0);
    }

    void progressCancels()
    {
        torch::manual_seed(6);
        const auto p = torch::randn({60, 8}), q = torch::randn({60, 8});
        int calls = 0;
        const emo::ProgressCallback stopSoon = [&calls](const emo::Progress&) { return ++calls < 3; };
        try {
            computeMauve(p, q, {}, stopSoon);
            QFAIL("not cancelled");
        } catch (const emo::Error& e) {
            QCOMPARE(e.kind(), emo::Error::Kind::Cancelled);
        }
        QCOMPARE(calls, 3);
    }

    void badInput()
    {
        QVERIFY_THROWS_EXCEPTION(emo::Error, computeMauve(torch::zeros({4, 3}), torch::zeros({4, 2})));
        MauveOptions options;
        options.explainedVariance = 1.0;
        QVERIFY_THROWS_EXCEPTION(emo::Error, computeMauve(torch::randn({4, 3}), torch::randn({4, 3}), options));
    }
};

QTEST_GUILESS_MAIN(TestMauve)
#include "tst_mauve.moc"
