// Token inspector view: token strip (chips, colour scale, legend, tooltip, selection, wrapping),
// distribution view (q bars, costs, per-objective gradients with n/a where a list lacks the id), summary,
// export table, busy state, Ctrl+Return; and a screenshot of a realistic report.
#include "distribution_view.h"
#include "inspector_view.h"
#include "token_strip.h"

#include "support/test_paths.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QtTest>

#include <cmath>

using emo::inspect::CandidateReport;
using emo::inspect::InspectReport;
using emo::inspect::ObjectiveGradientReport;
using emo::inspect::TokenReport;
using emo::widgets::DistributionView;
using emo::widgets::InspectorView;
using emo::widgets::TokenStrip;

namespace {

// Eight tokens with hand-picked values; token 3 ("\n") carries the detailed top-k and gradients.
InspectReport handReport()
{
    const char* texts[8] = {"Hello", ",", " world", "\n", " this", " is", " a", " test"};
    const double ce[8] = {2.1, 0.3, 4.5, 1.2, 0.05, 3.3, 0.8, 1.91};
    const double demd[8] = {0.4, 0.1, 0.9, 0.3, 0.02, 0.5, 0.2, 0.351};
    InspectReport r;
    r.inputIds = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    for (int i = 0; i < 8; ++i) {
        TokenReport t;
        t.position = i + 1;
        t.id = 100 + i;
        t.text = texts[i];
        t.ce = ce[i];
        t.demd = demd[i];
        t.pGold = std::exp(-ce[i]);
        t.topk = {{t.id, t.text, t.pGold, 0.0}, {200 + i, " other", 0.1, 0.5}};
        for (const char* key : {"mle", "emo", "tailr", "mixce"})
            t.grad.push_back({key, t.pGold - 1.0, 1.0, {{t.id, t.pGold - 1.0}, {200 + i, 0.1}}});
        r.tokens.push_back(t);
    }
    TokenReport& t = r.tokens[3];
    t.id = 10;
    t.pGold = 0.30;
    t.topk = {{10, "\n", 0.30, 0.0}, {11, " The", 0.25, 0.6}, {12, ".", 0.20, 0.4}, {13, " and", 0.10, 0.7}};
    t.grad = {
        {"mle", -0.7, 0.8, {{10, -0.7}, {11, 0.25}, {12, 0.2}, {13, 0.1}}},
        {"emo", -0.2, 0.3, {{10, -0.2}, {11, 0.08}, {13, 0.05}, {99, 0.04}}},  // no 12; 99 only here
        {"tailr", -0.5, 0.6, {{10, -0.5}, {11, 0.2}, {12, 0.15}, {13, 0.07}}},
        {"mixce", -0.6, 0.7, {{10, -0.6}, {11, 0.22}, {12, 0.18}, {13, 0.09}}},
    };
    // Summary by hand: Σce = 14.16, Σdemd = 2.771.
    r.summary.meanCe = 14.16 / 8;       // 1.770
    r.summary.meanDemd = 2.771 / 8;     // 0.346375
    r.summary.perplexity = std::exp(1.77);  // 5.8709
    r.summary.tokens = 8;
    return r;
}

// A plausible report for "The cat sat on the mat because it was tired.\nThen it fell asleep in the warm sun."
InspectReport realisticReport()
{
    struct Spec {
        const char* text;
        double ce;
        std::vector<std::pair<const char*, double>> alternatives;  // besides the gold, with p
        double goldRank;  // where the gold goes among the alternatives (−1: outside the top-k)
    };
    const std::vector<Spec> specs = {
        {" cat", 5.9, {{" first", 0.06}, {" following", 0.04}, {" new", 0.035}, {" most", 0.03}, {" same", 0.02}}, -1},
        {" sat", 3.4, {{" is", 0.18}, {" was", 0.12}, {"'s", 0.06}, {" and", 0.05}}, 2},
        {" on", 0.35, {{" down", 0.12}, {" in", 0.06}, {" there", 0.04}, {" up", 0.02}}, 0},
        {" the", 0.45, {{" a", 0.25}, {" my", 0.04}, {" his", 0.03}, {" top", 0.02}}, 0},
        {" mat", 1.6, {{" floor", 0.14}, {" couch", 0.09}, {" bed", 0.08}, {" chair", 0.07}}, 0},
        {" because", 3.8, {{".", 0.38}, {",", 0.17}, {" and", 0.15}, {" for", 0.04}}, 4},
        {" it", 0.9, {{" she", 0.17}, {" he", 0.12}, {" the", 0.06}, {" its", 0.02}}, 0},
        {" was", 0.25, {{" had", 0.07}, {" wanted", 0.03}, {" felt", 0.03}, {" is", 0.02}}, 0},
        {" tired", 2.2, {{" too", 0.09}, {" cold", 0.08}, {" hungry", 0.07}, {" sleepy", 0.06}}, 0},
        {".\n", 1.5, {{".", 0.52}, {" and", 0.08}, {",", 0.05}, {" of", 0.02}}, 1},
        {"Then", 3.1, {{"The", 0.2}, {"It", 0.15}, {"After", 0.06}, {"When", 0.05}}, 3},
        {" it", 0.7, {{",", 0.2}, {" the", 0.08}, {" she", 0.05}, {" he", 0.03}}, 0},
        {" fell", 1.9, {{" went", 0.16}, {" curled", 0.1}, {" lay", 0.09}, {" closed", 0.05}}, 0},
        {" asleep", 0.12, {{" into", 0.04}, {" down", 0.03}, {" over", 0.01}, {" off", 0.01}}, 0},
        {" in", 1.3, {{".", 0.38}, {" on", 0.1}, {",", 0.06}, {" under", 0.03}}, 1},
        {" the", 0.2, {{" a", 0.1}, {" its", 0.03}, {" his", 0.01}, {" her", 0.01}}, 0},
        {" warm", 2.0, {{" sun", 0.2}, {" shade", 0.08}, {" corner", 0.06}, {" middle", 0.04}}, 1},
        {" sun", 0.6, {{" sunlight", 0.2}, {" light", 0.08}, {" bed", 0.03}, {" afternoon", 0.03}}, 0},
        {".", 0.5, {{"light", 0.2}, {",", 0.05}, {" and", 0.03}, {"shine", 0.02}}, 0},
    };
    InspectReport r;
    r.inputIds.push_back(464);  // "The" (no report: nothing predicts it)
    double sumCe = 0.0, sumDemd = 0.0;
    for (size_t i = 0; i < specs.size(); ++i) {
        const Spec& s = specs[i];
        TokenReport t;
        t.position = int64_t(i) + 1;
        t.id = 1000 + int64_t(i) * 7;
        t.text = s.text;
        t.ce = s.ce;
        t.pGold = std::exp(-s.ce);
        r.inputIds.push_back(t.id);
        std::vector<CandidateReport> cands;
        int64_t nextId = 5000 + int64_t(i) * 10;
        for (size_t k = 0; k < s.alternatives.size(); ++k) {
            // Plausible embedding costs: punctuation and function words far, near-synonyms close.
            const double cost = 0.25 + 0.12 * double((k * 37 + i * 11) % 7);
            cands.push_back({nextId++, s.alternatives[k].first, s.alternatives[k].second, cost});
        }
        if (s.goldRank >= 0)
            cands.insert(cands.begin() + int(s.goldRank), CandidateReport{t.id, t.text, t.pGold, 0.0});
        std::stable_sort(cands.begin(), cands.end(), [](const auto& a, const auto& b) { return a.p > b.p; });
        t.topk = cands;
        // DEMD over the shown mass plus the rest at an average cost of 0.8.
        double shown = 0.0;
        for (const auto& c : cands) {
            t.demd += c.p * c.cost;
            shown += c.p;
        }
        if (s.goldRank < 0)
            shown += t.pGold;
        t.demd += std::max(0.0, 1.0 - shown) * 0.8;
        // Gradients: MLE q − onehot; EMO q_j (C_j − DEMD); TaiLr MLE weighted by q_gold/(0.1 + 0.9 q_gold);
        // MixCE halfway between MLE and a q-weighted self term.
        const double wTailr = t.pGold / (0.1 + 0.9 * t.pGold);
        const char* keys[4] = {"mle", "emo", "tailr", "mixce"};
        for (const char* key : keys) {
            ObjectiveGradientReport g;
            g.objective = key;
            auto value = [&](const CandidateReport& c) {
                const double onehot = c.id == t.id ? 1.0 : 0.0;
                const std::string k = key;
                if (k == "mle")
                    return c.p - onehot;
                if (k == "emo")
                    return c.p * (c.cost - t.demd);
                if (k == "tailr")
                    return wTailr * (c.p - onehot);
                return 0.5 * (c.p - onehot) + 0.5 * c.p * (c.p - t.pGold);
            };
            CandidateReport gold{t.id, t.text, t.pGold, 0.0};
            g.gold = value(gold);
            for (const auto& c : cands)
                g.topk.push_back({c.id, value(c)});
            if (s.goldRank < 0)
                g.topk.push_back({t.id, g.gold});
            std::sort(g.topk.begin(), g.topk.end(), [](const auto& a, const auto& b) { return std::abs(a.g) > std::abs(b.g); });
            if (std::string(key) == "emo")  // EMO's list is cut shorter: its smallest entry is unknown
                g.topk.pop_back();
            for (const auto& e : g.topk)
                g.norm += e.g * e.g;
            g.norm = std::sqrt(g.norm);
            t.grad.push_back(g);
        }
        sumCe += t.ce;
        sumDemd += t.demd;
        r.tokens.push_back(t);
    }
    r.summary.tokens = int64_t(r.tokens.size());
    r.summary.meanCe = sumCe / double(r.tokens.size());
    r.summary.meanDemd = sumDemd / double(r.tokens.size());
    r.summary.perplexity = std::exp(r.summary.meanCe);
    return r;
}

bool near(const QColor& a, const QColor& b, int tolerance = 3)
{
    return std::abs(a.red() - b.red()) <= tolerance && std::abs(a.green() - b.green()) <= tolerance
           && std::abs(a.blue() - b.blue()) <= tolerance;
}

QVector<double> barValues(QCPBars* bars)
{
    QVector<double> v;
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it)
        v.push_back(it->value);
    return v;
}

QVector<double> barKeys(QCPBars* bars)
{
    QVector<double> v;
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it)
        v.push_back(it->key);
    return v;
}

} // namespace

class TestInspectorView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void stripChipsAndWhitespace();
    void colourScaleAndLegend();
    void differenceScaleIsSymmetric();
    void clickSelectsAndFillsDistribution();
    void tooltip_data();
    void tooltip();
    void summary_data();
    void summary();
    void exportTable();
    void busyAndShortcut();
    void goldOutsideTopk();
    void screenshot();
};

void TestInspectorView::stripChipsAndWhitespace()
{
    InspectorView view;
    view.resize(900, 600);
    view.setReport(handReport());
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    TokenStrip* strip = view.tokenStrip();
    QCOMPARE(strip->chipCount(), 8);
    QCOMPARE(strip->chipText(0), QStringLiteral("Hello"));
    QCOMPARE(strip->chipText(2), QStringLiteral("world"));          // leading space → gap, not text
    QCOMPARE(strip->chipText(3), QString(QChar(0x21b5)));         // newline → ↵
    // The space before "world" is a wider gap than the tight one between "Hello" and ",".
    const int tight = strip->chipRect(1).left() - strip->chipRect(0).right();
    const int spaced = strip->chipRect(2).left() - strip->chipRect(1).right();
    QVERIFY2(spaced > tight, qPrintable(QStringLiteral("%1 vs %2").arg(spaced).arg(tight)));
    // The chip after the newline starts a new row at the left margin.
    QVERIFY(strip->chipRect(4).top() > strip->chipRect(3).bottom());
    QVERIFY(strip->chipRect(4).left() < strip->chipRect(1).left());
    for (int i = 0; i < 8; ++i)
        QVERIFY(strip->rect().contains(strip->chipRect(i)));
    // Wraps: narrower is taller, and a narrow strip still keeps every chip inside.
    QVERIFY(strip->heightForWidth(60) > strip->heightForWidth(1000));
}

void TestInspectorView::colourScaleAndLegend()
{
    InspectorView view;
    view.resize(900, 600);
    view.setReport(handReport());
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    TokenStrip* strip = view.tokenStrip();
    // CE: max 4.5 at chip 2, min 0.05 at chip 4 (by hand).
    QCOMPARE(strip->scaleMin(), 0.05);
    QCOMPARE(strip->scaleMax(), 4.5);
    QCOMPARE(strip->legendMinText(), QStringLiteral("0.050"));
    QCOMPARE(strip->legendMaxText(), QStringLiteral("4.500"));
    QCOMPARE(strip->chipColor(2), TokenStrip::scaleColor(TokenStrip::Measure::Ce, 1.0));
    QCOMPARE(strip->chipColor(4), TokenStrip::scaleColor(TokenStrip::Measure::Ce, 0.0));
    QVERIFY(!near(strip->chipColor(2), strip->chipColor(4), 60));
    // Chip 0 (2.1) sits at (2.1 − 0.05)/4.45 of the scale.
    QCOMPARE(strip->chipColor(0), TokenStrip::scaleColor(TokenStrip::Measure::Ce, (2.1 - 0.05) / 4.45));
    // The painted pixels carry those colours (sampled inside the chip, off the text).
    const QImage image = strip->grab().toImage();
    const qreal dpr = image.devicePixelRatio();
    for (int i : {2, 4}) {
        const QRect r = strip->chipRect(i);
        const QPoint p(int((r.left() + 2) * dpr), int((r.top() + r.height() / 2) * dpr));
        QVERIFY2(near(image.pixelColor(p), strip->chipColor(i), 6),
                 qPrintable(QStringLiteral("chip %1: %2 vs %3").arg(i).arg(image.pixelColor(p).name(), strip->chipColor(i).name())));
    }
    // DEMD through the combo: min 0.02 (chip 4), max 0.9 (chip 2).
    auto* combo = view.findChild<QComboBox*>(QStringLiteral("colorByCombo"));
    QVERIFY(combo);
    combo->setCurrentIndex(1);
    QCOMPARE(strip->measure(), TokenStrip::Measure::Demd);
    QCOMPARE(strip->legendMinText(), QStringLiteral("0.020"));
    QCOMPARE(strip->legendMaxText(), QStringLiteral("0.900"));
    QCOMPARE(strip->chipColor(2), TokenStrip::scaleColor(TokenStrip::Measure::Demd, 1.0));
    QCOMPARE(strip->chipColor(4), TokenStrip::scaleColor(TokenStrip::Measure::Demd, 0.0));
}

void TestInspectorView::differenceScaleIsSymmetric()
{
    InspectReport r = handReport();
    r.tokens[1].demd = 1.3;  // CE − DEMD = 0.3 − 1.3 = −1.0; the largest |·| stays chip 2's 3.6
    TokenStrip strip;
    strip.setReport(r);
    strip.setMeasure(TokenStrip::Measure::Difference);
    QCOMPARE(strip.measureValue(2), 4.5 - 0.9);
    QVERIFY(std::abs(strip.scaleMin() + 3.6) < 1e-12);
    QVERIFY(std::abs(strip.scaleMax() - 3.6) < 1e-12);
    QCOMPARE(strip.chipColor(2), TokenStrip::scaleColor(TokenStrip::Measure::Difference, 1.0));
    // 0 is the middle (white-ish) of the diverging map; −1.0 is on the blue side.
    QCOMPARE(strip.colorFor(0.0), TokenStrip::scaleColor(TokenStrip::Measure::Difference, 0.5));
    QVERIFY(strip.colorFor(0.0).lightness() > 230);
    const QColor negative = strip.chipColor(1);
    QVERIFY(negative.blue() > negative.red());
}

void TestInspectorView::clickSelectsAndFillsDistribution()
{
    const InspectReport r = handReport();
    InspectorView view;
    view.resize(1000, 700);
    view.setReport(r);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    TokenStrip* strip = view.tokenStrip();
    QSignalSpy spy(strip, &TokenStrip::tokenSelected);
    QTest::mouseClick(strip, Qt::LeftButton, {}, strip->chipRect(3).center());
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toInt(), 3);
    QCOMPARE(strip->selectedIndex(), 3);

    DistributionView* dist = view.distributionView();
    QVERIFY(dist->hasToken());
    QCOMPARE(dist->token().position, 4);
    // Columns: the four top-k ids, then 99 which only EMO's gradient list holds.
    QCOMPARE(int(dist->columns().size()), 5);
    const int64_t ids[5] = {10, 11, 12, 13, 99};
    for (int i = 0; i < 5; ++i)
        QCOMPARE(dist->columns()[size_t(i)].id, ids[i]);
    QVERIFY(dist->columns()[0].gold);
    QVERIFY(!dist->columns()[4].q.has_value());
    // q bars as drawn: gold at key 0, the rest at 1..3; together they are the top-k p in order.
    QCOMPARE(barKeys(dist->goldBars()), QVector<double>({0.0}));
    QCOMPARE(barValues(dist->goldBars()), QVector<double>({0.30}));
    QCOMPARE(barKeys(dist->probabilityBars()), QVector<double>({1.0, 2.0, 3.0}));
    QVector<double> q = barValues(dist->goldBars()) + barValues(dist->probabilityBars());
    QVector<double> expectedQ;
    for (const auto& c : r.tokens[3].topk)
        expectedQ.push_back(c.p);
    QCOMPARE(q, expectedQ);
    // Costs on the right axis.
    QCOMPARE(dist->costGraph()->data()->size(), 4);
    QCOMPARE(dist->costGraph()->data()->at(2)->value, 0.4);
    QCOMPARE(dist->costGraph()->valueAxis()->axisType(), QCPAxis::atRight);

    // Gradients: one bar set per objective, values where each list holds the id, n/a elsewhere.
    QCOMPARE(dist->objectiveCount(), 4);
    const QStringList names = {"MLE", "EMO", "TaiLr", "MixCE"};
    const QVector<QVector<double>> expected = {
        {-0.7, 0.25, 0.2, 0.1},    // mle: no 99
        {-0.2, 0.08, 0.05, 0.04},  // emo: no 12
        {-0.5, 0.2, 0.15, 0.07},   // tailr: no 99
        {-0.6, 0.22, 0.18, 0.09},  // mixce: no 99 (its list order differs from q's; ids matter)
    };
    const QVector<QVector<int>> present = {{0, 1, 2, 3}, {0, 1, 3, 4}, {0, 1, 2, 3}, {0, 1, 2, 3}};
    QSet<QRgb> colors;
    for (int o = 0; o < 4; ++o) {
        QCPBars* bars = dist->gradientBars(o);
        QVERIFY(bars);
        QCOMPARE(bars->name(), names[o]);
        QCOMPARE(barValues(bars), expected[o]);
        QVector<double> keys;
        for (int column : present[o])
            keys.push_back(dist->gradientBarKey(o, column));
        QCOMPARE(barKeys(bars), keys);
        colors.insert(bars->brush().color().rgb());
    }
    QCOMPARE(colors.size(), 4);
    QCOMPARE(dist->missingGradientCount(), 4);  // 99 for mle/tailr/mixce, 12 for emo
    QVERIFY(!dist->gradient(1, 2).has_value());
    // Bars of one column sit side by side inside it, in objective order.
    QVERIFY(dist->gradientBarKey(0, 1) < dist->gradientBarKey(3, 1));
    QVERIFY(dist->gradientBarKey(3, 1) - dist->gradientBarKey(0, 1) < 1.0);

    // Keyboard moves the selection too.
    strip->setFocus();
    QTest::keyClick(strip, Qt::Key_Right);
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.at(1).at(0).toInt(), 4);
    QCOMPARE(dist->token().position, 5);
}

void TestInspectorView::tooltip_data()
{
    const QString space(QChar(0x2423));  // ␣: a leading space made visible
    QTest::addColumn<int>("chip");
    QTest::addColumn<QString>("needle");
    QTest::newRow("chip 2: CE") << 2 << QStringLiteral("4.500");
    QTest::newRow("chip 2: DEMD") << 2 << QStringLiteral("0.900");
    QTest::newRow("chip 2: p(gold) = e^-4.5 = 0.011109") << 2 << QStringLiteral("0.0111");
    QTest::newRow("chip 2: the gold") << 2 << space + QStringLiteral("world");
    QTest::newRow("chip 2: a candidate") << 2 << space + QStringLiteral("other");
    QTest::newRow("chip 2: its cost to the gold") << 2 << QStringLiteral("0.500");
    QTest::newRow("chip 3: a candidate") << 3 << space + QStringLiteral("The");
    QTest::newRow("chip 3: its p") << 3 << QStringLiteral("0.2500");
    QTest::newRow("chip 3: its cost to the gold") << 3 << QStringLiteral("0.600");
}

void TestInspectorView::tooltip()
{
    QFETCH(int, chip);
    QFETCH(QString, needle);
    InspectorView view;
    view.setReport(handReport());
    const QString tip = view.tokenStrip()->tooltipText(chip);
    QVERIFY2(tip.contains(needle), qPrintable(tip));
}

void TestInspectorView::summary_data()
{
    QTest::addColumn<QString>("needle");
    QTest::newRow("mean CE") << QStringLiteral("1.770");
    QTest::newRow("mean DEMD") << QStringLiteral("0.346");
    QTest::newRow("perplexity") << QStringLiteral("5.87");
    QTest::newRow("tokens") << QStringLiteral("8 tokens");
}

void TestInspectorView::summary()
{
    QFETCH(QString, needle);
    InspectorView view;
    view.setReport(handReport());
    const QString summary = view.summaryText();
    QVERIFY2(summary.contains(needle), qPrintable(summary));
    QCOMPARE(view.findChild<QLabel*>(QStringLiteral("inspectSummary"))->text(), summary);
}

void TestInspectorView::exportTable()
{
    InspectorView view;
    const InspectReport r = handReport();
    view.setReport(r);
    const auto table = view.exportData();
    QCOMPARE(table.columns, QStringList({"position", "token", "ce", "demd", "p_gold"}));
    QCOMPARE(table.rows.size(), 8);
    QCOMPARE(table.rows[2][0].toLongLong(), 3);
    QCOMPARE(table.rows[2][1].toString(), QStringLiteral(" world"));
    QCOMPARE(table.rows[2][2].toDouble(), 4.5);
    QCOMPARE(table.rows[2][3].toDouble(), 0.9);
    QCOMPARE(table.rows[2][4].toDouble(), std::exp(-4.5));
    QVERIFY(view.exportWidget());

    view.selectToken(3);
    const auto dist = view.distributionView()->exportData();
    QCOMPARE(dist.columns, QStringList({"id", "token", "q", "cost", "gold", "g_mle", "g_emo", "g_tailr", "g_mixce"}));
    QCOMPARE(dist.rows.size(), 5);
    QVERIFY(dist.rows[2][6].isNull());  // emo at id 12: n/a, not 0
    QCOMPARE(dist.rows[2][5].toDouble(), 0.2);
}

void TestInspectorView::busyAndShortcut()
{
    InspectorView view;
    view.resize(800, 500);
    view.show();
    QVERIFY(QTest::qWaitForWindowActive(&view));
    QSignalSpy spy(&view, &InspectorView::inspectRequested);
    auto* button = view.findChild<QPushButton*>(QStringLiteral("inspectButton"));
    auto* input = view.findChild<QPlainTextEdit*>(QStringLiteral("inspectInput"));
    QVERIFY(button && input);
    button->click();
    QCOMPARE(spy.count(), 0);  // nothing to inspect
    view.setText(QStringLiteral("The cat sat."));
    button->click();
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toString(), QStringLiteral("The cat sat."));

    view.setBusy(true);
    QVERIFY(view.isBusy());
    QVERIFY(!button->isEnabled());
    QVERIFY(input->isReadOnly());
    button->click();
    QCOMPARE(spy.count(), 1);
    view.setBusy(false);
    QVERIFY(button->isEnabled());

    input->setFocus();
    input->moveCursor(QTextCursor::End);
    QTest::keyClick(input, Qt::Key_Return, Qt::ControlModifier);
    QCOMPARE(spy.count(), 2);
    QCOMPARE(input->toPlainText(), QStringLiteral("The cat sat."));  // no line added
}

void TestInspectorView::goldOutsideTopk()
{
    InspectReport r = realisticReport();
    const TokenReport& t = r.tokens[0];  // " cat", not among the top-k
    DistributionView dist;
    dist.setToken(t);
    const auto& cols = dist.columns();
    QCOMPARE(int(cols.size()), int(t.topk.size()) + 1);
    QCOMPARE(cols.back().id, t.id);
    QVERIFY(cols.back().gold && !cols.back().inTopk);
    QCOMPARE(*cols.back().q, t.pGold);
    QCOMPARE(barValues(dist.goldBars()), QVector<double>({t.pGold}));
    for (int o = 0; o < dist.objectiveCount(); ++o)
        QCOMPARE(*dist.gradient(o, int(cols.size()) - 1), t.grad[size_t(o)].gold);
}

void TestInspectorView::screenshot()
{
    const InspectReport r = realisticReport();
    InspectorView view;
    view.setText(QStringLiteral("The cat sat on the mat because it was tired.\nThen it fell asleep in the warm sun."));
    view.resize(1200, 800);
    view.setReport(r);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    TokenStrip* strip = view.tokenStrip();
    QCOMPARE(strip->chipCount(), int(r.tokens.size()));
    QTest::mouseClick(strip, Qt::LeftButton, {}, strip->chipRect(5).center());  // " because"
    QCOMPARE(view.distributionView()->token().position, 6);
    QTest::qWait(50);
    const QString dir = QString::fromStdString(emo::test::outputDir());
    QDir().mkpath(dir);
    const QString path = dir + QStringLiteral("/screenshot-inspector.png");
    QVERIFY(view.grab().save(path));
    qInfo("screenshot: %s", qPrintable(path));
    // The hover tooltip is a separate popup, so render its rich text alone to look at it too.
    QLabel tip(strip->tooltipText(5));
    tip.setTextFormat(Qt::RichText);
    tip.setAutoFillBackground(true);
    tip.setMargin(6);
    tip.adjustSize();
    QVERIFY(tip.grab().save(dir + QStringLiteral("/screenshot-inspector-tooltip.png")));
}

QTEST_MAIN(TestInspectorView)
#include "tst_inspector_view.moc"
