#include "io/safetensors.h"
#include "objective/cost_embedding.h"
#include "objective/head_objective.h"
#include "objective/objective.h"
#include "support/reference_tensors.h"
#include "support/test_devices.h"
#include "support/test_paths.h"
#include "util/error.h"

#include <QtTest/QtTest>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <vector>

using namespace emo::objective;

Q_DECLARE_METATYPE(emo::objective::ObjectiveSettings)

namespace {

ObjectiveSettings makeSettings(const QString& kind, const QString& mode = "paper", double cap = 0.0)
{
    ObjectiveSettings settings;
    parseObjectiveKind(kind.toStdString(), &settings.kind);
    parseEmoMode(mode.toStdString(), &settings.emoMode);
    settings.emoRatioCap = cap;
    settings.tailrGamma = 0.1;
    settings.tailrMinWeight = 0.3;
    settings.mixceEta = 0.3;
    return settings;
}

// The test's own statement of each objective as coefficients of ce and demd at the base point
// (stop-gradient factors frozen): token value = a·ce + b·demd + c, gradient = a·∇ce + b·∇demd.
struct FrozenCoefficients {
    double a = 0, b = 0, c = 0;
};

FrozenCoefficients frozen(const ObjectiveSettings& s, double ce, double demd)
{
    const double qy = std::exp(-ce);
    switch (s.kind) {
    case ObjectiveKind::Mle: return {1, 0, 0};
    case ObjectiveKind::Tailr: {
        if (s.tailrForm == TailrForm::Mixed) {
            const double r = s.tailrMix;
            const double w = std::min(1.0, std::max(s.tailrMinWeight, qy / ((1 - r) + r * qy)));
            return {r + (1 - r) * w, 0, 0};
        }
        const double w = std::min(1.0, std::max(s.tailrMinWeight, qy / (s.tailrGamma + (1 - s.tailrGamma) * qy)));
        return {w, 0, 0};
    }
    case ObjectiveKind::Mixce: return {s.mixceEta + (1 - s.mixceEta) * qy, 0, 0};
    case ObjectiveKind::Emo: break;
    }
    if (s.emoMode == EmoMode::Pure)
        return {0, 1, 0};
    if (s.emoMode == EmoMode::Paper) {
        double r = ce / (demd + 1e-10);
        if (s.emoRatioCap > 0)
            r = std::min(r, s.emoRatioCap);
        return {0.5, 0.5 * r, 0};
    }
    const double d = demd + qy;
    double r = d / (ce + 1e-10);
    if (s.emoRatioCap > 0)
        r = std::min(r, s.emoRatioCap);
    return {r, 1, qy};  // r·ce + demd + q_y, q_y under sg
}

ObjectiveResult runPath(const QString& path, const ObjectiveSettings& s, const torch::Tensor& logits,
                        const torch::Tensor& labels, const CostEmbedding* cost, int64_t chunk = 0)
{
    if (path == "reference")
        return computeObjectiveReference(s, logits, labels, cost);
    return computeObjectiveFused(s, logits, labels, cost, chunk);
}

// Columns kind, mode, doublePrecision, chunk: every objective and mode in fp64 and fp32 at each chunk size.
void addObjectiveChunkRows(std::initializer_list<int> chunks)
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("mode");
    QTest::addColumn<bool>("doublePrecision");
    QTest::addColumn<int>("chunk");
    for (const char* dt : {"fp64", "fp32"}) {
        for (int chunk : chunks) {
            for (auto km : {std::pair{"mle", "paper"}, {"emo", "paper"}, {"emo", "pure"}, {"emo", "llama"},
                            {"tailr", "paper"}, {"mixce", "paper"}}) {
                QTest::newRow(qPrintable(QString("%1 %2 %3 chunk %4").arg(km.first, km.second, dt).arg(chunk)))
                    << QString(km.first) << QString(km.second) << (QString(dt) == "fp64") << chunk;
            }
        }
    }
}

// One row of addObjectiveChunkRows' table, read from inside the test function.
struct ObjectiveChunkRow {
    ObjectiveSettings settings;
    torch::ScalarType dtype;
    bool doublePrecision;
    int chunk;
};

ObjectiveChunkRow fetchObjectiveChunkRow()
{
    QFETCH(QString, kind);
    QFETCH(QString, mode);
    QFETCH(bool, doublePrecision);
    QFETCH(int, chunk);
    return {makeSettings(kind, mode), doublePrecision ? torch::kFloat64 : torch::kFloat32, doublePrecision, chunk};
}

} // namespace

class TestObjective : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(7); }

    void namesRoundTrip();

    void finiteDifferences_data();
    void finiteDifferences();

    void handComputedV3_data();
    void handComputedV3();

    void demdEqualsSlowSum();

    void fusedMatchesReference_data();
    void fusedMatchesReference();
    void halfPrecisionLogits();

    void officialReference_data();
    void officialReference();

    void logitGradientMatchesBatch_data();
    void logitGradientMatchesBatch();

    void allIgnoredIsAnError();
    void badInputsAreErrors();
    void secondBackwardThrows();
    void noGradPathGivesSameValues();

    void headMatchesLogitsPath_data();
    void headMatchesLogitsPath();
    void headGemmPaddedOrMixed_data();
    void headGemmPaddedOrMixed();
    void headWithTiedEmbedding();
    void headNoGradAndErrors();

    void costEmbeddingIsFrozen();
    void costEmbeddingSaveLoad();
    void costEmbeddingRejectsUnnormalisedFile();
};

void TestObjective::namesRoundTrip()
{
    for (ObjectiveKind k : {ObjectiveKind::Mle, ObjectiveKind::Emo, ObjectiveKind::Tailr, ObjectiveKind::Mixce}) {
        ObjectiveKind parsed = ObjectiveKind::Mle;
        QVERIFY(parseObjectiveKind(toString(k), &parsed));
        QCOMPARE(int(parsed), int(k));
    }
    for (EmoMode m : {EmoMode::Paper, EmoMode::Pure, EmoMode::Llama}) {
        EmoMode parsed = EmoMode::Paper;
        QVERIFY(parseEmoMode(toString(m), &parsed));
        QCOMPARE(int(parsed), int(m));
    }
    QCOMPARE(QString(toString(ObjectiveKind::Tailr)), QString("tailr"));
    QVERIFY(!parseObjectiveKind("EMO", nullptr));
    QVERIFY(!parseEmoMode("gpt2", nullptr));
    // Defaults from the official repositories (see objective_types.h).
    ObjectiveSettings defaults;
    QCOMPARE(defaults.tailrGamma, 1e-7);
    QCOMPARE(defaults.tailrMinWeight, 0.2);
    QCOMPARE(defaults.mixceEta, 0.5);
}

void TestObjective::finiteDifferences_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("mode");
    QTest::addColumn<double>("cap");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("vocab");
    QTest::addColumn<bool>("withIgnored");
    struct Row { const char* kind; const char* mode; double cap; };
    const Row objectives[] = {{"mle", "paper", 0}, {"emo", "paper", 0}, {"emo", "paper", 0.7}, {"emo", "pure", 0},
                              {"emo", "llama", 0}, {"emo", "llama", 1.5}, {"tailr", "paper", 0}, {"mixce", "paper", 0}};
    struct Shape { int rows, vocab; bool ignored; };
    const Shape shapes[] = {{1, 5, false}, {4, 9, true}, {3, 17, false}};
    for (const char* path : {"fused", "reference"}) {
        for (const Row& o : objectives) {
            for (const Shape& sh : shapes) {
                const QString name = QString("%1 %2 %3 cap%4 %5x%6%7").arg(path, o.kind, o.mode).arg(o.cap)
                                         .arg(sh.rows).arg(sh.vocab).arg(sh.ignored ? " ignored" : "");
                QTest::newRow(qPrintable(name)) << QString(path) << QString(o.kind) << QString(o.mode) << o.cap
                                                << sh.rows << sh.vocab << sh.ignored;
            }
        }
    }
}

// Central differences in double: mean loss and ∂loss/∂logits, with the sg factors frozen at the base point.
void TestObjective::finiteDifferences()
{
    QFETCH(QString, path);
    QFETCH(QString, kind);
    QFETCH(QString, mode);
    QFETCH(double, cap);
    QFETCH(int, rows);
    QFETCH(int, vocab);
    QFETCH(bool, withIgnored);
    const ObjectiveSettings settings = makeSettings(kind, mode, cap);
    const CostEmbedding cost(torch::randn({vocab, 6}));
    const torch::Tensor base = torch::randn({rows, vocab}, torch::kFloat64) * 2.0;
    torch::Tensor labels = torch::randint(0, vocab, {rows}, torch::kLong);
    if (withIgnored)
        labels[1] = -100;
    const bool needsCost = kind == "emo";
    const CostEmbedding* costPtr = needsCost ? &cost : nullptr;

    torch::Tensor logits = base.clone().requires_grad_(true);
    const ObjectiveResult result = runPath(path, settings, logits, labels, costPtr, 2);
    result.loss.backward();
    const torch::Tensor grad = logits.grad();

    // ce and demd at the base point by an independent formula.
    const torch::Tensor logProbs = torch::log_softmax(base, 1);
    const torch::Tensor unit = cost.normalized().to(torch::kFloat64);
    const torch::Tensor costFull = 1.0 - unit.matmul(unit.t());  // [V,V], in double like the objective
    std::vector<FrozenCoefficients> coeff(rows);
    int valid = 0;
    double expectedLoss = 0.0;
    for (int i = 0; i < rows; ++i) {
        const int64_t y = labels[i].item<int64_t>();
        if (y == -100)
            continue;
        ++valid;
        const double ce = -logProbs[i][y].item<double>();
        const double demd = (logProbs[i].exp() * costFull.select(1, y)).sum().item<double>();
        coeff[i] = frozen(settings, ce, demd);
        expectedLoss += coeff[i].a * ce + coeff[i].b * demd + coeff[i].c;
    }
    expectedLoss /= valid;
    QVERIFY2(std::abs(result.loss.item<double>() - expectedLoss) < 1e-9 * std::max(1.0, std::abs(expectedLoss)),
             qPrintable(QString("loss %1 expected %2").arg(result.loss.item<double>(), 0, 'g', 15).arg(expectedLoss, 0, 'g', 15)));

    auto surrogate = [&](const torch::Tensor& z) {
        torch::NoGradGuard noGrad;
        const ObjectiveResult r = computeObjectiveReference(makeSettings("mle"), z, labels, &cost);
        double total = 0.0;
        for (int i = 0; i < rows; ++i) {
            if (labels[i].item<int64_t>() == -100)
                continue;
            total += coeff[i].a * r.ce[i].item<double>() + coeff[i].b * r.demd[i].item<double>();
        }
        return total / valid;
    };
    const double h = 1e-6;
    double worst = 0.0;
    for (int i = 0; i < rows; ++i) {
        for (int j = 0; j < vocab; ++j) {
            torch::Tensor plus = base.clone();
            torch::Tensor minus = base.clone();
            plus[i][j] += h;
            minus[i][j] -= h;
            const double numeric = (surrogate(plus) - surrogate(minus)) / (2 * h);
            worst = std::max(worst, std::abs(numeric - grad[i][j].item<double>()));
        }
    }
    QVERIFY2(worst < 1e-8, qPrintable(QString("max |analytic − numeric| = %1").arg(worst)));
    if (withIgnored)
        QCOMPARE(grad[1].abs().sum().item<double>(), 0.0);
}

void TestObjective::handComputedV3_data()
{
    QTest::addColumn<ObjectiveSettings>("settings");
    QTest::addColumn<double>("loss");
    QTest::addColumn<QVector<double>>("grad");
    // Row 0: z = (ln 2, 0, 0) → q = (1/2, 1/4, 1/4), gold y = 0, so mle = ln 2 = 0.69314718056.
    // Ê rows e0 = (1,0), e1 = (0,1), e2 = (−1,0) (the LM head rows (3,0), (0,0.5), (−2,0) normalised):
    // C(·,0) = (0, 1, 2), demd = ¼·1 + ¼·2 = 0.75.
    // ∇mle = q − e_y = (−0.5, 0.25, 0.25); ∇demd = q ⊙ (c − ⟨q,c⟩) = (½·(−0.75), ¼·0.25, ¼·1.25)
    //      = (−0.375, 0.0625, 0.3125). Row 1 has label −100: mean over one token, zero gradient.
    const double ln2 = std::log(2.0);
    const double gm[3] = {-0.5, 0.25, 0.25};
    const double gd[3] = {-0.375, 0.0625, 0.3125};
    auto combo = [&](double a, double b) {
        return QVector<double>{a * gm[0] + b * gd[0], a * gm[1] + b * gd[1], a * gm[2] + b * gd[2]};
    };
    ObjectiveSettings mle;
    QTest::newRow("mle: ln2, q − e_y") << mle << ln2 << QVector<double>{-0.5, 0.25, 0.25};

    // paper: r = ln2/0.75 = 0.924196; value = ½(ln2 + r·0.75) = ln2; grad = ½∇mle + ½r∇demd
    //   = (−0.25 − 0.173287, 0.125 + 0.028881, 0.125 + 0.144406) = (−0.423287, 0.153881, 0.269406)
    //   (computed again here to 9 digits: 0.5·r = 0.46209812)
    ObjectiveSettings paper;
    paper.kind = ObjectiveKind::Emo;
    QTest::newRow("emo paper") << paper << ln2 << QVector<double>{-0.423286795, 0.153881133, 0.269405663};
    // capped at 0.5: value = ½(ln2 + 0.5·0.75) = 0.534074; grad = ½∇mle + ¼∇demd = (−0.34375, 0.140625, 0.203125)
    ObjectiveSettings capped = paper;
    capped.emoRatioCap = 0.5;
    QTest::newRow("emo paper cap 0.5") << capped << 0.5 * (ln2 + 0.375) << QVector<double>{-0.34375, 0.140625, 0.203125};
    // pure: value = 0.75, grad = ∇demd
    ObjectiveSettings pure = paper;
    pure.emoMode = EmoMode::Pure;
    QTest::newRow("emo pure") << pure << 0.75 << QVector<double>{-0.375, 0.0625, 0.3125};
    // llama: d = 0.75 + 0.5 = 1.25, r = 1.25/ln2 = 1.803369; value = r·ln2 + d = 2.5;
    //   grad = r∇mle + ∇demd = (−0.901684 − 0.375, 0.450842 + 0.0625, 0.450842 + 0.3125)
    //        = (−1.276684, 0.513342, 0.763342)
    ObjectiveSettings llama = paper;
    llama.emoMode = EmoMode::Llama;
    QTest::newRow("emo llama") << llama << 2.5 << QVector<double>{-1.276684401, 0.513342200, 0.763342200};
    QTest::newRow("emo llama via parts") << llama << 2.5 << combo(1.25 / ln2, 1.0);
    // tailr γ = 0.5: w = 0.5/(0.5 + 0.5·0.5) = 2/3; value = ⅔ln2 = 0.462098; grad = ⅔∇mle = (−⅓, ⅙, ⅙)
    ObjectiveSettings tailr;
    tailr.kind = ObjectiveKind::Tailr;
    tailr.tailrGamma = 0.5;
    tailr.tailrMinWeight = 0.0;
    QTest::newRow("tailr gamma 0.5") << tailr << 2.0 / 3.0 * ln2 << QVector<double>{-1.0 / 3, 1.0 / 6, 1.0 / 6};
    // min weight 0.8 lifts w = ⅔ to 0.8
    ObjectiveSettings tailrMin = tailr;
    tailrMin.tailrMinWeight = 0.8;
    QTest::newRow("tailr min 0.8") << tailrMin << 0.8 * ln2 << QVector<double>{-0.4, 0.2, 0.2};
    // tailr mixed r = 0.5 (the EMO repository's "tvd"): w = 0.5/((1−0.5) + 0.5·0.5) = ⅔, coefficient
    // 0.5 + 0.5·⅔ = ⅚; value = ⅚ln2; grad = ⅚∇mle = (−5/12, 5/24, 5/24)
    ObjectiveSettings tailrMixed;
    tailrMixed.kind = ObjectiveKind::Tailr;
    tailrMixed.tailrForm = TailrForm::Mixed;
    tailrMixed.tailrMix = 0.5;
    tailrMixed.tailrMinWeight = 0.0;
    QTest::newRow("tailr mixed r 0.5") << tailrMixed << 5.0 / 6.0 * ln2 << QVector<double>{-5.0 / 12, 5.0 / 24, 5.0 / 24};
    // mixce η = 0.5: coefficient 0.5 + 0.5·q_y = 0.75; value = 0.75·ln2 = 0.519860; grad = (−0.375, 0.1875, 0.1875)
    ObjectiveSettings mixce;
    mixce.kind = ObjectiveKind::Mixce;
    mixce.mixceEta = 0.5;
    QTest::newRow("mixce eta 0.5") << mixce << 0.75 * ln2 << QVector<double>{-0.375, 0.1875, 0.1875};
}

void TestObjective::handComputedV3()
{
    QFETCH(ObjectiveSettings, settings);
    QFETCH(double, loss);
    QFETCH(QVector<double>, grad);
    const CostEmbedding cost(torch::tensor({3.0, 0.0, 0.0, 0.5, -2.0, 0.0}).view({3, 2}));
    const torch::Tensor labels = torch::tensor({int64_t(0), int64_t(-100)});
    for (const auto dtype : {torch::kFloat64, torch::kFloat32}) {
        const double tol = dtype == torch::kFloat64 ? 1e-7 : 2e-6;
        for (const QString path : {"fused", "reference"}) {
            torch::Tensor logits = torch::tensor({std::log(2.0), 0.0, 0.0, 5.0, -1.0, 2.0}, dtype).view({2, 3});
            logits.requires_grad_(true);
            const ObjectiveResult r = runPath(path, settings, logits, labels, &cost);
            r.loss.backward();
            QVERIFY2(std::abs(r.loss.item<double>() - loss) < tol, qPrintable(path + QString(" loss %1").arg(r.loss.item<double>(), 0, 'g', 12)));
            QCOMPARE(r.validCount, int64_t(1));
            QVERIFY(std::abs(r.ce[0].item<double>() - std::log(2.0)) < tol);
            QVERIFY(std::abs(r.demd[0].item<double>() - 0.75) < tol);
            QCOMPARE(r.ce[1].item<double>(), 0.0);
            for (int j = 0; j < 3; ++j) {
                QVERIFY2(std::abs(logits.grad()[0][j].item<double>() - grad[j]) < tol,
                         qPrintable(path + QString(" grad[%1] = %2, expected %3").arg(j).arg(logits.grad()[0][j].item<double>(), 0, 'g', 10).arg(grad[j], 0, 'g', 10)));
                QCOMPARE(logits.grad()[1][j].item<double>(), 0.0);
            }
        }
    }
}

// demd from the objective vs Σ_j q_j C(j,y) with C built entry by entry from the LM head in plain C++.
void TestObjective::demdEqualsSlowSum()
{
    const int rows = 6, vocab = 20, dim = 5;
    const torch::Tensor head = torch::randn({vocab, dim}, torch::kFloat64);
    const torch::Tensor logits = torch::randn({rows, vocab}, torch::kFloat64) * 2.0;
    const torch::Tensor labels = torch::randint(0, vocab, {rows}, torch::kLong);
    const CostEmbedding cost(head);
    std::vector<std::vector<double>> unit(vocab, std::vector<double>(dim));
    for (int v = 0; v < vocab; ++v) {
        double norm = 0;
        for (int d = 0; d < dim; ++d)
            norm += head[v][d].item<double>() * head[v][d].item<double>();
        for (int d = 0; d < dim; ++d)
            unit[v][d] = head[v][d].item<double>() / std::sqrt(norm);
    }
    auto costOf = [&](int i, int j) {
        double dot = 0;
        for (int d = 0; d < dim; ++d)
            dot += unit[i][d] * unit[j][d];
        return 1.0 - dot;
    };
    for (const QString path : {"fused", "reference"}) {
        for (const ObjectiveSettings& s : {makeSettings("emo"), makeSettings("mle"), makeSettings("tailr")}) {
            const ObjectiveResult r = runPath(path, s, logits, labels, &cost, 4);
            QVERIFY(r.demd.defined());
            double meanDemd = 0;
            for (int i = 0; i < rows; ++i) {
                std::vector<double> q(vocab);
                double total = 0;
                for (int j = 0; j < vocab; ++j)
                    total += q[j] = std::exp(logits[i][j].item<double>());
                double slow = 0;
                const int y = int(labels[i].item<int64_t>());
                for (int j = 0; j < vocab; ++j)
                    slow += q[j] / total * costOf(j, y);
                meanDemd += slow / rows;
                QVERIFY2(std::abs(r.demd[i].item<double>() - slow) < 1e-6,
                         qPrintable(QString("row %1: %2 vs slow %3").arg(i).arg(r.demd[i].item<double>()).arg(slow)));
            }
            QVERIFY(std::abs(r.demdPart - meanDemd) < 1e-6);
        }
    }
    // costRow and costMatrix against the same slow cost.
    const torch::Tensor row = cost.costRow(3);
    const torch::Tensor ids = torch::tensor({int64_t(3), int64_t(0), int64_t(19)});
    const torch::Tensor matrix = cost.costMatrix(ids);
    for (int j = 0; j < vocab; ++j)
        QVERIFY(std::abs(row[j].item<double>() - costOf(j, 3)) < 1e-6);
    for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b)
            QVERIFY(std::abs(matrix[a][b].item<double>() - costOf(int(ids[a].item<int64_t>()), int(ids[b].item<int64_t>()))) < 1e-6);
    QVERIFY(std::abs(matrix[1][1].item<double>()) < 1e-6);
}

void TestObjective::fusedMatchesReference_data()
{
    addObjectiveChunkRows({0, 1, 3, 7, 13, 100});
}

// N = 13 rows (not a multiple of any chunk), V = 50, with ignored rows inside and at chunk edges.
void TestObjective::fusedMatchesReference()
{
    const auto [s, dtype, doublePrecision, chunk] = fetchObjectiveChunkRow();
    const double tol = doublePrecision ? 1e-12 : 2e-6;
    const CostEmbedding cost(torch::randn({50, 16}));
    const torch::Tensor base = torch::randn({13, 50}, dtype) * 3.0;
    torch::Tensor labels = torch::randint(0, 50, {13}, torch::kLong);
    labels[0] = -100;
    labels[6] = -100;
    labels[7] = -100;
    labels[12] = -100;

    torch::Tensor a = base.clone().requires_grad_(true);
    torch::Tensor b = base.clone().requires_grad_(true);
    const ObjectiveResult fused = computeObjectiveFused(s, a, labels, &cost, chunk);
    const ObjectiveResult reference = computeObjectiveReference(s, b, labels, &cost);
    // Weighted so that per-token gradients are checked, not only their mean.
    const torch::Tensor weights = torch::linspace(0.5, 2.0, 13, dtype);
    (fused.perToken * weights).sum().backward();
    (reference.perToken * weights).sum().backward();
    QVERIFY2(emo::test::maxAbsDiff(fused.perToken, reference.perToken) < tol, "perToken");
    QVERIFY(std::abs(fused.loss.item<double>() - reference.loss.item<double>()) < tol);
    QVERIFY2(emo::test::maxAbsDiff(fused.ce, reference.ce) < tol, "ce");
    QVERIFY2(emo::test::maxAbsDiff(fused.demd, reference.demd) < tol, "demd");
    QVERIFY2(emo::test::maxAbsDiff(a.grad(), b.grad()) < tol, qPrintable(QString("grad diff %1").arg(emo::test::maxAbsDiff(a.grad(), b.grad()))));
    QCOMPARE(fused.validCount, int64_t(9));
    QCOMPARE(a.grad().scalar_type(), dtype);
    QCOMPARE(a.grad()[6].abs().sum().item<double>(), 0.0);
}

// bf16 logits are computed in fp32 and the gradient comes back in bf16.
void TestObjective::halfPrecisionLogits()
{
    const CostEmbedding cost(torch::randn({40, 8}));
    const torch::Tensor base = (torch::randn({9, 40}) * 2).to(torch::kBFloat16);
    const torch::Tensor labels = torch::randint(0, 40, {9}, torch::kLong);
    const ObjectiveSettings s = makeSettings("emo");
    torch::Tensor half = base.clone().requires_grad_(true);
    torch::Tensor full = base.to(torch::kFloat32).requires_grad_(true);
    const ObjectiveResult rh = computeObjectiveFused(s, half, labels, &cost, 4);
    const ObjectiveResult rf = computeObjectiveReference(s, full, labels, &cost);
    rh.loss.backward();
    rf.loss.backward();
    QCOMPARE(rh.loss.scalar_type(), torch::kFloat32);
    QCOMPARE(half.grad().scalar_type(), torch::kBFloat16);
    QVERIFY(std::abs(rh.loss.item<double>() - rf.loss.item<double>()) < 1e-5);
    QVERIFY(emo::test::maxAbsDiff(half.grad(), full.grad()) < 2e-3);  // bf16 rounding of the gradient
}

void TestObjective::officialReference_data()
{
    QTest::addColumn<int>("index");
    std::ifstream in(emo::test::dataPath("objective/official_reference.json"));
    QVERIFY(in.good());
    const nlohmann::json j = nlohmann::json::parse(in);
    for (std::size_t i = 0; i < j["cases"].size(); ++i)
        QTest::newRow(j["cases"][i]["name"].get<std::string>().c_str()) << int(i);
}

// Losses and gradients of the official Python formulations (make_reference.py, float64).
void TestObjective::officialReference()
{
    QFETCH(int, index);
    std::ifstream in(emo::test::dataPath("objective/official_reference.json"));
    const nlohmann::json j = nlohmann::json::parse(in);
    const int64_t n = j["N"], v = j["V"], d = j["D"];
    const torch::Tensor logits0 = torch::tensor(j["logits"].get<std::vector<double>>(), torch::kFloat64).view({n, v});
    const torch::Tensor labels = torch::tensor(j["labels"].get<std::vector<int64_t>>(), torch::kLong);
    const CostEmbedding cost(torch::tensor(j["lm_head"].get<std::vector<double>>(), torch::kFloat64).view({v, d}));
    const nlohmann::json& c = j["cases"][index];
    ObjectiveSettings s;
    QVERIFY(parseObjectiveKind(c["objective"].get<std::string>(), &s.kind));
    if (c.contains("emo_mode"))
        QVERIFY(parseEmoMode(c["emo_mode"].get<std::string>(), &s.emoMode));
    if (c.contains("eta"))
        s.mixceEta = c["eta"];
    if (c.contains("gamma")) {
        s.tailrGamma = c["gamma"];
        s.tailrMinWeight = c["min_weight"];
    }
    if (c.contains("tailr_form")) {
        QVERIFY(parseTailrForm(c["tailr_form"].get<std::string>(), &s.tailrForm));
        s.tailrMix = c["mix"];
        s.tailrMinWeight = c["min_weight"];
    }
    const torch::Tensor expectedGrad = torch::tensor(c["grad"].get<std::vector<double>>(), torch::kFloat64).view({n, v});
    const double expectedLoss = c["loss"];
    for (const QString path : {"fused", "reference"}) {
        torch::Tensor logits = logits0.clone().requires_grad_(true);
        const ObjectiveResult r = runPath(path, s, logits, labels, &cost, 5);
        r.loss.backward();
        // The cost embedding is fp32 here, float64 in the script: agreement to ~1e-6.
        QVERIFY2(std::abs(r.loss.item<double>() - expectedLoss) < 2e-6 * std::max(1.0, std::abs(expectedLoss)),
                 qPrintable(path + QString(" loss %1 vs official %2").arg(r.loss.item<double>(), 0, 'g', 12).arg(expectedLoss, 0, 'g', 12)));
        const double diff = emo::test::maxAbsDiff(logits.grad(), expectedGrad);
        QVERIFY2(diff < 2e-6, qPrintable(path + QString(" max grad diff %1").arg(diff)));
    }
}

void TestObjective::logitGradientMatchesBatch_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("mode");
    for (auto km : {std::pair{"mle", "paper"}, {"emo", "paper"}, {"emo", "pure"}, {"emo", "llama"}, {"tailr", "paper"},
                    {"mixce", "paper"}})
        QTest::newRow(qPrintable(QString(km.first) + " " + km.second)) << QString(km.first) << QString(km.second);
}

// The per-token helper for inspect = that row's gradient of the token objective (reference autograd).
void TestObjective::logitGradientMatchesBatch()
{
    QFETCH(QString, kind);
    QFETCH(QString, mode);
    const ObjectiveSettings s = makeSettings(kind, mode);
    const CostEmbedding cost(torch::randn({30, 8}));
    const torch::Tensor logits = torch::randn({5, 30}, torch::kFloat64);
    const torch::Tensor labels = torch::randint(0, 30, {5}, torch::kLong);
    torch::Tensor z = logits.clone().requires_grad_(true);
    computeObjectiveReference(s, z, labels, &cost).perToken.sum().backward();
    for (int i = 0; i < 5; ++i) {
        torch::Tensor g;
        {
            c10::InferenceMode inference;  // inspect runs without autograd
            g = logitGradient(s, logits[i], labels[i].item<int64_t>(), &cost);
        }
        QCOMPARE(g.sizes().vec(), std::vector<int64_t>{30});
        QVERIFY(emo::test::maxAbsDiff(g, z.grad()[i]) < 1e-12);
    }
    QVERIFY_THROWS_EXCEPTION(emo::Error, logitGradient(s, logits[0], -100, &cost));
}

void TestObjective::allIgnoredIsAnError()
{
    const torch::Tensor logits = torch::randn({4, 10});
    const torch::Tensor labels = torch::full({4}, -100, torch::kLong);
    for (const QString path : {"fused", "reference"}) {
        bool thrown = false;
        try {
            runPath(path, ObjectiveSettings(), logits, labels, nullptr);
        } catch (const emo::Error& e) {
            thrown = true;
            QCOMPARE(int(e.kind()), int(emo::Error::Kind::BadInput));
            QVERIFY(QString(e.what()).contains("-100"));
        }
        QVERIFY(thrown);
    }
}

void TestObjective::badInputsAreErrors()
{
    const torch::Tensor logits = torch::randn({4, 10});
    const torch::Tensor labels = torch::randint(0, 10, {4}, torch::kLong);
    ObjectiveSettings emo;
    emo.kind = ObjectiveKind::Emo;
    QVERIFY_THROWS_EXCEPTION(emo::Error, computeObjective(emo, logits, labels, nullptr));  // emo without cost
    const CostEmbedding wrongSize(torch::randn({11, 3}));
    QVERIFY_THROWS_EXCEPTION(emo::Error, computeObjective(emo, logits, labels, &wrongSize));
    QVERIFY_THROWS_EXCEPTION(emo::Error, computeObjective(ObjectiveSettings(), logits, torch::tensor({int64_t(0), int64_t(10), int64_t(1), int64_t(2)}), nullptr));
    QVERIFY_THROWS_EXCEPTION(emo::Error, computeObjective(ObjectiveSettings(), logits, labels.narrow(0, 0, 3), nullptr));
    QVERIFY_THROWS_EXCEPTION(emo::Error, computeObjective(ObjectiveSettings(), logits[0], labels, nullptr));
}

void TestObjective::secondBackwardThrows()
{
    const CostEmbedding cost(torch::randn({10, 4}));
    torch::Tensor logits = torch::randn({3, 10}).requires_grad_(true);
    const torch::Tensor labels = torch::randint(0, 10, {3}, torch::kLong);
    const ObjectiveResult r = computeObjective(makeSettings("emo"), logits, labels, &cost);
    r.loss.backward({}, /*retain_graph=*/true);
    QVERIFY_THROWS_EXCEPTION(std::exception, r.loss.backward());
}

// Without autograd (evaluation) the fused path allocates no gradient and gives the same numbers.
void TestObjective::noGradPathGivesSameValues()
{
    const CostEmbedding cost(torch::randn({20, 4}));
    const torch::Tensor base = torch::randn({6, 20});
    const torch::Tensor labels = torch::randint(0, 20, {6}, torch::kLong);
    const ObjectiveSettings s = makeSettings("emo", "llama");
    torch::Tensor z = base.clone().requires_grad_(true);
    const ObjectiveResult withGrad = computeObjective(s, z, labels, &cost);
    ObjectiveResult without;
    {
        torch::NoGradGuard noGrad;
        without = computeObjective(s, base, labels, &cost);
    }
    QVERIFY(!without.loss.requires_grad());
    QVERIFY(withGrad.loss.requires_grad());
    QCOMPARE(without.loss.item<double>(), withGrad.loss.item<double>());
    QVERIFY(emo::test::maxAbsDiff(without.demd, withGrad.demd) == 0.0);
}

void TestObjective::headMatchesLogitsPath_data()
{
    addObjectiveChunkRows({0, 1, 4, 13, 100});
}

// The head path against logits = h·Wᵀ through plain autograd and the reference objective: the same values, and
// the same gradients w.r.t. the hidden states and the head weight. N = 13, D = 8, V = 50, ignored rows inside.
void TestObjective::headMatchesLogitsPath()
{
    const auto [s, dtype, doublePrecision, chunk] = fetchObjectiveChunkRow();
    const double tol = doublePrecision ? 1e-12 : 3e-6;
    const torch::Tensor hidden0 = torch::randn({13, 8}, dtype);
    const torch::Tensor head0 = torch::randn({50, 8}, dtype) * 0.7;
    const CostEmbedding cost(head0.to(torch::kFloat32));
    torch::Tensor labels = torch::randint(0, 50, {13}, torch::kLong);
    labels[0] = -100;
    labels[5] = -100;
    labels[12] = -100;

    torch::Tensor h1 = hidden0.clone().requires_grad_(true), w1 = head0.clone().requires_grad_(true);
    torch::Tensor h2 = hidden0.clone().requires_grad_(true), w2 = head0.clone().requires_grad_(true);
    const ObjectiveResult fused = computeHeadObjective(s, h1, w1, labels, &cost, chunk);
    const ObjectiveResult reference = computeObjectiveReference(s, torch::mm(h2, w2.t()), labels, &cost);
    (fused.loss * 1.7).backward();
    (reference.loss * 1.7).backward();
    QVERIFY(std::abs(fused.loss.item<double>() - reference.loss.item<double>()) < tol);
    QVERIFY2(emo::test::maxAbsDiff(fused.perToken, reference.perToken) < tol, "perToken");
    QVERIFY2(emo::test::maxAbsDiff(fused.ce, reference.ce) < tol, "ce");
    QVERIFY2(emo::test::maxAbsDiff(fused.demd, reference.demd) < tol, "demd");
    QVERIFY2(emo::test::maxAbsDiff(h1.grad(), h2.grad()) < tol, qPrintable(QString("hidden grad %1").arg(emo::test::maxAbsDiff(h1.grad(), h2.grad()))));
    QVERIFY2(emo::test::maxAbsDiff(w1.grad(), w2.grad()) < tol, qPrintable(QString("head grad %1").arg(emo::test::maxAbsDiff(w1.grad(), w2.grad()))));
    QCOMPARE(h1.grad().scalar_type(), dtype);
    QCOMPARE(h1.grad()[5].abs().sum().item<double>(), 0.0);
    QVERIFY(!fused.perToken.requires_grad());
}

void TestObjective::headGemmPaddedOrMixed_data()
{
    QTest::addColumn<QString>("device");
    QTest::addColumn<int>("rowMultiple");
    QTest::addColumn<QString>("gemmType");
    for (const QString& device : emo::test::testDevices()) {
        for (const char* kind : {"mle", "emo", "tailr", "mixce"}) {
            QTest::addRow("%s %s padded fp32", qPrintable(device), kind) << device << 64 << "fp32";
            QTest::addRow("%s %s bf16", qPrintable(device), kind) << device << 1 << "bf16";
            QTest::addRow("%s %s padded bf16", qPrintable(device), kind) << device << 64 << "bf16";
        }
    }
}

// The head's GEMMs on a padded copy (V 50 → 64 rows, as CUDA runs them) and/or in bfloat16 against the float64
// logits path: the padding rows must never reach the softmax (their logits would be 0, a large share of the
// mass at V 50), and bf16 operands move the values by bf16's rounding only. Tolerances: padded fp32 as the
// unpadded path (3e-6; measured ≤ 5e-7); bf16 GEMMs 0.05 on values and 3 % of the largest gradient entry
// (measured up to 7.2e-3 and 1.2 %, D = 8, logits of size ~3).
void TestObjective::headGemmPaddedOrMixed()
{
    QFETCH(QString, device);
    QFETCH(int, rowMultiple);
    QFETCH(QString, gemmType);
    EMO_REQUIRE_DEVICE(device);
    const QString kind = QString::fromLatin1(QTest::currentDataTag()).section(' ', 1, 1);
    const ObjectiveSettings s = makeSettings(kind);
    const torch::Device on(device.toStdString());
    const bool bf16 = gemmType == "bf16";
    torch::manual_seed(7);
    const torch::Tensor hidden0 = torch::randn({13, 8}, torch::kFloat64);
    const torch::Tensor head0 = torch::randn({50, 8}, torch::kFloat64) * 0.7;
    const CostEmbedding cost(head0.to(on, torch::kFloat32));
    torch::Tensor labels = torch::randint(0, 50, {13}, torch::kLong);
    labels[5] = -100;

    torch::Tensor h1 = hidden0.to(on, torch::kFloat32).requires_grad_(true);
    torch::Tensor w1 = head0.to(on, torch::kFloat32).requires_grad_(true);
    HeadGemmOptions gemm;
    gemm.rowMultiple = rowMultiple;
    gemm.type = bf16 ? torch::kBFloat16 : torch::kFloat32;
    const ObjectiveResult fused = computeHeadObjective(s, h1, w1, labels.to(on), &cost, 4, gemm);
    fused.loss.backward();

    const CostEmbedding cost64(head0.to(torch::kFloat32));
    torch::Tensor h2 = hidden0.clone().requires_grad_(true), w2 = head0.clone().requires_grad_(true);
    const ObjectiveResult reference = computeObjectiveReference(s, torch::mm(h2, w2.t()), labels, &cost64);
    reference.loss.backward();

    const double valueTol = bf16 ? 0.05 : 3e-6;
    const double gradTol = bf16 ? 0.03 : 3e-6;
    const auto relative = [](const torch::Tensor& a, const torch::Tensor& b) {
        return emo::test::maxAbsDiff(a, b) / b.abs().max().item<double>();
    };
    const double loss = std::abs(fused.loss.item<double>() - reference.loss.item<double>());
    const double perToken = emo::test::maxAbsDiff(fused.perToken, reference.perToken);
    const double gradHidden = relative(h1.grad(), h2.grad());
    const double gradHead = relative(w1.grad(), w2.grad());
    qInfo("loss %.2e  per token %.2e  ∂hidden %.2e  ∂head %.2e (relative)", loss, perToken, gradHidden, gradHead);
    QVERIFY2(loss <= valueTol, qPrintable(QString::number(loss)));
    QVERIFY2(perToken <= valueTol, qPrintable(QString::number(perToken)));
    if (fused.demd.defined())
        QVERIFY(emo::test::maxAbsDiff(fused.demd, reference.demd) <= valueTol);
    QVERIFY2(gradHidden <= gradTol, qPrintable(QString::number(gradHidden)));
    QVERIFY2(gradHead <= gradTol, qPrintable(QString::number(gradHead)));
    QCOMPARE(w1.grad().sizes(), w1.sizes());  // [V,D]: the padding rows have no gradient to give back
    QCOMPARE(w1.grad().scalar_type(), torch::kFloat32);
}

// A tied head (the embedding that also feeds the model) receives both gradients; a frozen head none.
void TestObjective::headWithTiedEmbedding()
{
    const ObjectiveSettings s = makeSettings("emo");
    const torch::Tensor ids = torch::tensor({int64_t(3), int64_t(1), int64_t(4), int64_t(1), int64_t(5)});
    const torch::Tensor labels = torch::tensor({int64_t(1), int64_t(4), int64_t(1), int64_t(5), int64_t(9)});
    const torch::Tensor table0 = torch::randn({12, 6}, torch::kFloat64);
    const CostEmbedding cost(table0.to(torch::kFloat32));
    torch::Tensor t1 = table0.clone().requires_grad_(true), t2 = table0.clone().requires_grad_(true);
    const auto hidden1 = torch::tanh(t1.index_select(0, ids));
    const auto hidden2 = torch::tanh(t2.index_select(0, ids));
    computeHeadObjective(s, hidden1, t1, labels, &cost, 2).loss.backward();
    computeObjectiveReference(s, torch::mm(hidden2, t2.t()), labels, &cost).loss.backward();
    QVERIFY2(emo::test::maxAbsDiff(t1.grad(), t2.grad()) < 1e-12, qPrintable(QString::number(emo::test::maxAbsDiff(t1.grad(), t2.grad()))));

    torch::Tensor h = torch::randn({5, 6}, torch::kFloat64).requires_grad_(true);
    computeHeadObjective(s, h, table0, labels, &cost).loss.backward();
    QVERIFY(h.grad().defined());
    QVERIFY(!table0.grad().defined());
}

void TestObjective::headNoGradAndErrors()
{
    const CostEmbedding cost(torch::randn({20, 4}));
    const torch::Tensor hidden = torch::randn({6, 4});
    const torch::Tensor head = torch::randn({20, 4});
    const torch::Tensor labels = torch::randint(0, 20, {6}, torch::kLong);
    const ObjectiveSettings s = makeSettings("emo", "llama");
    ObjectiveResult without;
    {
        torch::NoGradGuard noGrad;
        without = computeHeadObjective(s, hidden, head, labels, &cost);
    }
    const ObjectiveResult logits = computeObjective(s, torch::mm(hidden, head.t()), labels, &cost);
    QVERIFY(!without.loss.requires_grad());
    QVERIFY(std::abs(without.loss.item<double>() - logits.loss.item<double>()) < 1e-5);
    QVERIFY(emo::test::maxAbsDiff(without.demd, logits.demd) < 1e-5);

    torch::Tensor h = hidden.clone().requires_grad_(true);
    const ObjectiveResult r = computeHeadObjective(s, h, head, labels, &cost);
    r.loss.backward({}, /*retain_graph=*/true);
    QVERIFY_THROWS_EXCEPTION(std::exception, r.loss.backward());
    QVERIFY_THROWS_EXCEPTION(emo::Error, computeHeadObjective(s, hidden, head, labels, nullptr));  // emo, no cost
    QVERIFY_THROWS_EXCEPTION(emo::Error, computeHeadObjective(s, hidden, torch::randn({20, 5}), labels, &cost));
    QVERIFY_THROWS_EXCEPTION(emo::Error, computeHeadObjective(s, hidden[0], head, labels, &cost));
    QVERIFY_THROWS_EXCEPTION(emo::Error, computeHeadObjective(s, hidden, torch::randn({21, 4}), labels, &cost));
    QVERIFY_THROWS_EXCEPTION(emo::Error, computeHeadObjective(s, hidden, head, labels.narrow(0, 0, 5), &cost));
}

void TestObjective::costEmbeddingIsFrozen()
{
    torch::Tensor head = torch::randn({12, 6}).requires_grad_(true);
    const CostEmbedding cost(head);
    QVERIFY(!cost.normalized().requires_grad());
    QCOMPARE(cost.normalized().scalar_type(), torch::kFloat32);
    const torch::Tensor before = cost.normalized().clone();
    {
        torch::NoGradGuard noGrad;
        head.mul_(3.0).add_(1.0);  // fine-tuning moves the head; the cost must not move with it
    }
    QCOMPARE(emo::test::maxAbsDiff(cost.normalized(), before), 0.0);
    QVERIFY(emo::test::maxAbsDiff(cost.normalized().norm(2, 1), torch::ones({12})) < 1e-6);
    // A training step through EMO leaves no gradient on the cost.
    torch::Tensor logits = torch::randn({4, 12}).requires_grad_(true);
    computeObjective(makeSettings("emo"), logits, torch::randint(0, 12, {4}, torch::kLong), &cost).loss.backward();
    QVERIFY(!cost.normalized().grad().defined());
    QVERIFY(logits.grad().defined());
}

void TestObjective::costEmbeddingSaveLoad()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/cost_embedding.safetensors").toStdString();
    const CostEmbedding cost(torch::randn({17, 5}, torch::kFloat64));
    cost.save(path);
    const CostEmbedding loaded = CostEmbedding::load(path);
    QCOMPARE(loaded.vocabSize(), int64_t(17));
    QVERIFY(torch::equal(loaded.normalized(), cost.normalized()));
    QVERIFY(!loaded.normalized().requires_grad());
    QVERIFY(torch::equal(loaded.costRow(4), cost.costRow(4)));
}

void TestObjective::costEmbeddingRejectsUnnormalisedFile()
{
    QTemporaryDir dir;
    const std::string raw = (dir.path() + "/raw.safetensors").toStdString();
    emo::io::writeSafetensors(raw, {{"cost_embedding", torch::randn({6, 3}) * 5.0}});
    QVERIFY_THROWS_EXCEPTION(emo::Error, CostEmbedding::load(raw));
    const std::string other = (dir.path() + "/other.safetensors").toStdString();
    emo::io::writeSafetensors(other, {{"something_else", torch::randn({6, 3})}});
    QVERIFY_THROWS_EXCEPTION(emo::Error, CostEmbedding::load(other));
}

QTEST_GUILESS_MAIN(TestObjective)
#include "tst_objective.moc"
