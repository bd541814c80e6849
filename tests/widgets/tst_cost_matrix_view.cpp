// CostMatrixView: the heatmap holds the report's costs in the chosen order (orders worked by hand),
// the transport panel shows the plan's EMD and DEMD, and the export follows the displayed order.
#include "cost_matrix_view.h"
#include "plot_export.h"
#include "support/test_paths.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QToolTip>
#include <QTemporaryDir>
#include <QtTest>

#include <array>
#include <cmath>

using emo::inspect::CostMatrixReport;
using emo::inspect::TransportReport;
using emo::widgets::CostMatrixView;

namespace {

// Two pairs of near-synonyms: red ~ crimson (0.1), blue ~ navy (0.2).
CostMatrixReport colours()
{
    CostMatrixReport report;
    report.ids = {10, 11, 12, 13};
    report.labels = {"red", "blue", "crimson", "navy"};
    report.cost = {
        0.0, 0.8, 0.1, 0.7,  //
        0.8, 0.0, 0.9, 0.2,  //
        0.1, 0.9, 0.0, 0.6,  //
        0.7, 0.2, 0.6, 0.0,
    };
    return report;
}

// All costs equal.
CostMatrixReport threeWayTie()
{
    CostMatrixReport report;
    report.ids = {1, 2, 3};
    report.labels = {"x", "y", "z"};
    report.cost = {0, 1, 1, 1, 0, 1, 1, 1, 0};
    return report;
}

// Source (0.6, 0.4, 0, 0) → target (0, 0, 0.5, 0.5). Moving x from red to crimson, the plan costs
// 0.85 − 1.3x on x ∈ [0.1, 0.5], so x = 0.5: red→crimson 0.5, red→navy 0.1, blue→navy 0.4, EMD 0.2.
// DEMD = 0.6·0.5·(0.1 + 0.7) + 0.4·0.5·(0.9 + 0.2) = 0.46.
TransportReport colourTransport()
{
    TransportReport report;
    report.costs = colours();
    report.source = {0.6, 0.4, 0.0, 0.0};
    report.target = {0.0, 0.0, 0.5, 0.5};
    report.sourceLabel = "model q";
    report.targetLabel = "second q";
    report.plan.rows = 4;
    report.plan.cols = 4;
    report.plan.plan = {
        0.0, 0.0, 0.5, 0.1,  //
        0.0, 0.0, 0.0, 0.4,  //
        0.0, 0.0, 0.0, 0.0,  //
        0.0, 0.0, 0.0, 0.0,
    };
    report.plan.totalCost = 0.2;
    report.demd = 0.46;
    return report;
}

QByteArray readAll(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestCostMatrixView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cellsAsGiven();
    void orderFor_data();
    void orderFor();
    void sortedAndClusteredOrders();
    void hoverText_data();
    void hoverText();
    void hoverTooltip();
    void transportPanel();
    void exportFollowsDisplayedOrder();
    void requestSignal();
    void screenshot();
    void manyTokens();
};

void TestCostMatrixView::cellsAsGiven()
{
    CostMatrixView view;
    view.setCostMatrix(colours());
    QCOMPARE(view.order(), CostMatrixView::AsGiven);
    const CostMatrixReport report = colours();
    QCPColorMapData* data = view.colorMap()->data();
    QCOMPARE(data->keySize(), 4);
    QCOMPARE(data->valueSize(), 4);
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j)
            QCOMPARE(data->cell(i, j), report.cost[size_t(i * 4 + j)]);
    // The tick labels name the tokens in order.
    auto ticker = view.heatmapPlot()->xAxis->ticker().dynamicCast<QCPAxisTickerText>();
    QVERIFY(ticker);
    QCOMPARE(ticker->ticks().value(2), QString("crimson"));
}

void TestCostMatrixView::orderFor_data()
{
    QTest::addColumn<QString>("matrix");
    QTest::addColumn<int>("order");
    QTest::addColumn<QVector<int>>("expected");
    // Sorted by C(red, ·): red 0, crimson 0.1, navy 0.7, blue 0.8.
    QTest::newRow("colours sorted") << "colours" << int(CostMatrixView::SortedByCost) << QVector<int>{0, 2, 3, 1};
    // Average linkage: {red, crimson} at 0.1, then {blue, navy} at 0.2 (the pair means are
    // {red,crimson}–blue 0.85 and {red,crimson}–navy 0.65), then the two groups; lower index first.
    QTest::newRow("colours clustered") << "colours" << int(CostMatrixView::Clustered) << QVector<int>{0, 2, 1, 3};
    // A three-way tie keeps the given order in every mode.
    QTest::newRow("tie sorted") << "tie" << int(CostMatrixView::SortedByCost) << QVector<int>{0, 1, 2};
    QTest::newRow("tie clustered") << "tie" << int(CostMatrixView::Clustered) << QVector<int>{0, 1, 2};
}

void TestCostMatrixView::orderFor()
{
    QFETCH(QString, matrix);
    QFETCH(int, order);
    QFETCH(QVector<int>, expected);
    QCOMPARE(CostMatrixView::orderFor(matrix == "tie" ? threeWayTie() : colours(), CostMatrixView::Order(order)),
             expected);
}

void TestCostMatrixView::sortedAndClusteredOrders()
{
    CostMatrixView view;
    view.setCostMatrix(colours());
    view.findChild<QComboBox*>("orderBox")->setCurrentIndex(1);
    QCOMPARE(view.order(), CostMatrixView::SortedByCost);
    QCOMPARE(view.displayOrder(), (QVector<int>{0, 2, 3, 1}));
    QCPColorMapData* data = view.colorMap()->data();
    QCOMPARE(data->cell(1, 2), 0.6);  // crimson–navy
    QCOMPARE(data->cell(3, 0), 0.8);  // blue–red
    QCOMPARE(data->cell(2, 3), 0.2);  // navy–blue

    view.setOrder(CostMatrixView::Clustered);
    QCOMPARE(view.displayOrder(), (QVector<int>{0, 2, 1, 3}));
    QCOMPARE(data->cell(1, 2), 0.9);  // crimson–blue
    QCOMPARE(data->cell(2, 3), 0.2);  // blue–navy
    auto ticker = view.heatmapPlot()->yAxis->ticker().dynamicCast<QCPAxisTickerText>();
    QCOMPARE(ticker->ticks().value(2), QString("blue"));
}

void TestCostMatrixView::hoverText_data()
{
    QTest::addColumn<int>("order");
    QTest::addColumn<double>("x");
    QTest::addColumn<double>("y");
    QTest::addColumn<QString>("expected");
    QTest::newRow("as given, blue -> navy")
        << int(CostMatrixView::AsGiven) << 1.0 << 3.2 << QString("blue → navy: C = 0.200");
    QTest::newRow("as given, crimson -> red")
        << int(CostMatrixView::AsGiven) << 2.4 << 0.0 << QString("crimson → red: C = 0.100");
    QTest::newRow("outside the matrix") << int(CostMatrixView::AsGiven) << 4.6 << 0.0 << QString();
    QTest::newRow("sorted, crimson -> blue")
        << int(CostMatrixView::SortedByCost) << 1.0 << 3.0 << QString("crimson → blue: C = 0.900");
}

void TestCostMatrixView::hoverText()
{
    QFETCH(int, order);
    QFETCH(double, x);
    QFETCH(double, y);
    QFETCH(QString, expected);
    CostMatrixView view;
    view.setCostMatrix(colours());
    view.setOrder(CostMatrixView::Order(order));
    QCOMPARE(view.hoverText(x, y), expected);  // an empty expected: nothing there
}

void TestCostMatrixView::hoverTooltip()
{
    // A real mouse move over a cell shows its hover text as a tooltip.
    CostMatrixView view;
    view.setCostMatrix(colours());
    view.setOrder(CostMatrixView::SortedByCost);
    view.resize(900, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QCustomPlot* plot = view.heatmapPlot();
    plot->replot();
    const QPoint cell(int(plot->xAxis->coordToPixel(1.0)), int(plot->yAxis->coordToPixel(3.0)));
    QMouseEvent move(QEvent::MouseMove, QPointF(cell), QPointF(plot->mapToGlobal(cell)), Qt::NoButton,
                     Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(plot, &move);
    QTRY_COMPARE(QToolTip::text(), QString("crimson → blue: C = 0.900"));
}

void TestCostMatrixView::transportPanel()
{
    CostMatrixView view;
    QCOMPARE(view.flowCount(), 0);
    view.setTransport(colourTransport());
    QCOMPARE(view.transportSummary(), QString("exact EMD = 0.2000 · DEMD = 0.4600"));
    QCOMPARE(view.flowCount(), 3);
    auto* label = view.findChild<QLabel*>("transportLabel");
    QVERIFY(label->toolTip().contains("DEMD ≥ EMD"));
    QVERIFY(label->toolTip().contains("exceeds"));
    // Widths follow the mass: red → crimson (0.5) > blue → navy (0.4) > red → navy (0.1).
    QMap<QPair<int, int>, double> width;
    for (QCPItemCurve* flow : view.transportPlot()->findChildren<QCPItemCurve*>("flow")) {
        QCOMPARE(flow->start->coords().x(), 0.0);
        QCOMPARE(flow->end->coords().x(), 1.0);
        width[{int(flow->start->coords().y()), int(flow->end->coords().y())}] = flow->pen().widthF();
    }
    QCOMPARE(width.keys(), (QList<QPair<int, int>>{{0, 2}, {0, 3}, {1, 3}}));
    const double redCrimson = width[qMakePair(0, 2)], blueNavy = width[qMakePair(1, 3)];
    QVERIFY(redCrimson > blueNavy);
    QVERIFY(blueNavy > 2 * width[qMakePair(0, 3)]);

    // One-hot target: all mass flows into it and EMD = DEMD.
    TransportReport oneHot = colourTransport();
    oneHot.target = {0, 0, 1, 0};
    oneHot.plan.plan = {0, 0, 0.6, 0, 0, 0, 0.4, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    oneHot.plan.totalCost = 0.6 * 0.1 + 0.4 * 0.9;
    oneHot.demd = oneHot.plan.totalCost;
    view.setTransport(oneHot);
    QCOMPARE(view.transportSummary(), QString("exact EMD = 0.4200 · DEMD = 0.4200"));
    QCOMPARE(view.flowCount(), 2);
    QVERIFY(label->toolTip().contains("one-hot, so the two are equal"));
}

void TestCostMatrixView::exportFollowsDisplayedOrder()
{
    CostMatrixView view;
    view.setCostMatrix(colours());
    view.setOrder(CostMatrixView::SortedByCost);
    QCOMPARE(view.exportWidget(), static_cast<QWidget*>(view.heatmapPlot()));
    QTemporaryDir dir;
    QString error;
    QVERIFY2(emo::widgets::saveDataTable(view.exportData(), dir.filePath("costs.csv"), &error), qPrintable(error));
    const QByteArray expected =
        "token,red,crimson,navy,blue\r\n"
        "red,0,0.1,0.7,0.8\r\n"
        "crimson,0.1,0,0.6,0.9\r\n"
        "navy,0.7,0.6,0,0.2\r\n"
        "blue,0.8,0.9,0.2,0\r\n";
    QCOMPARE(readAll(dir.filePath("costs.csv")), expected);

    view.setTransport(colourTransport());
    const emo::widgets::DataTable plan = view.exportTransportData();
    QCOMPARE(plan.rows.size(), 3);
    QCOMPARE(plan.rows[1], (QVector<QVariant>{QString("red"), QString("navy"), 0.1, 0.7}));
}

void TestCostMatrixView::requestSignal()
{
    CostMatrixView view;
    QSignalSpy spy(&view, &CostMatrixView::costMatrixRequested);
    view.findChild<QComboBox*>("sourceKind")->setCurrentIndex(CostMatrixView::Neighbours);
    view.findChild<QLineEdit*>("sourceText")->setText("  cat ");
    view.findChild<QSpinBox*>("sourceK")->setValue(5);
    view.findChild<QPushButton*>("sourceButton")->click();
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy[0][0].toInt(), int(CostMatrixView::Neighbours));
    QCOMPARE(spy[0][1].toString(), QString("cat"));
    QCOMPARE(spy[0][2].toInt(), 5);
    view.findChild<QComboBox*>("sourceKind")->setCurrentIndex(CostMatrixView::WordList);
    QVERIFY(!view.findChild<QSpinBox*>("sourceK")->isEnabled());
}

void TestCostMatrixView::screenshot()
{
    // Twelve word-like tokens from four topics, shuffled; embeddings = topic axis + a per-word twist,
    // so the clustered order should bring the topics back together.
    const QStringList words = {" cat", " car", " red", " the", " dog", " truck", " blue", " a",
                               " kitten", " bus", " green", " of"};
    const int topic[] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};
    const int n = int(words.size());
    std::vector<std::array<double, 6>> e(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        e[size_t(i)].fill(0.0);
        e[size_t(i)][size_t(topic[i])] = 1.0;
        e[size_t(i)][4] = 0.45 * std::sin(1.7 * i);
        e[size_t(i)][5] = 0.45 * std::cos(2.3 * i);
    }
    CostMatrixReport report;
    for (int i = 0; i < n; ++i) {
        report.ids.push_back(100 + i);
        report.labels.push_back(words[i].toStdString());
    }
    auto cosine = [&](int a, int b) {
        double dot = 0, na = 0, nb = 0;
        for (int d = 0; d < 6; ++d) {
            dot += e[size_t(a)][size_t(d)] * e[size_t(b)][size_t(d)];
            na += e[size_t(a)][size_t(d)] * e[size_t(a)][size_t(d)];
            nb += e[size_t(b)][size_t(d)] * e[size_t(b)][size_t(d)];
        }
        return dot / std::sqrt(na * nb);
    };
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
            report.cost.push_back(i == j ? 0.0 : 1.0 - cosine(i, j));

    // The model's q at a position whose gold token is " cat" (index 0): one-hot target, so the exact
    // plan sends every q_i to " cat" and EMD = DEMD = Σ q_i C(i, cat).
    TransportReport transport;
    transport.costs = report;
    transport.source = {0.30, 0.04, 0.02, 0.05, 0.22, 0.01, 0.02, 0.03, 0.18, 0.02, 0.01, 0.10};
    transport.target.assign(size_t(n), 0.0);
    transport.target[0] = 1.0;
    transport.sourceLabel = "model q at position 7";
    transport.targetLabel = "data: ' cat'";
    transport.plan.rows = n;
    transport.plan.cols = n;
    transport.plan.plan.assign(size_t(n * n), 0.0);
    double emd = 0;
    for (int i = 0; i < n; ++i) {
        transport.plan.plan[size_t(i * n)] = transport.source[size_t(i)];
        emd += transport.source[size_t(i)] * report.at(size_t(i), 0);
    }
    transport.plan.totalCost = emd;
    transport.demd = emd;

    CostMatrixView view;
    view.resize(1200, 800);
    view.setCostMatrix(report);
    view.setTransport(transport);
    view.setOrder(CostMatrixView::Clustered);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QCoreApplication::processEvents();
    // Clustered: the three animals, vehicles, colours and function words each sit together.
    const QVector<int> order = view.displayOrder();
    for (int k = 0; k < n; k += 3)
        QVERIFY(topic[order[k]] == topic[order[k + 1]] && topic[order[k]] == topic[order[k + 2]]);

    const QString path = QString::fromStdString(emo::test::outputDir()) + "/screenshot-cost-matrix.png";
    QVERIFY(view.grab().save(path));
    QString error;
    QVERIFY2(emo::widgets::saveWidgetImage(view.heatmapPlot(), QString::fromStdString(emo::test::outputDir())
                                                                   + "/screenshot-cost-matrix-heatmap.svg",
                                           &error),
             qPrintable(error));
    QVERIFY2(emo::widgets::saveWidgetImage(view.transportPlot(), QString::fromStdString(emo::test::outputDir())
                                                                     + "/screenshot-cost-matrix-transport.pdf",
                                           &error),
             qPrintable(error));

    // The spread case of transportPanel(): two tokens feed two others along a non-trivial plan.
    CostMatrixView small;
    small.resize(900, 520);
    small.setCostMatrix(colours());
    small.setTransport(colourTransport());
    small.setOrder(CostMatrixView::Clustered);
    small.show();
    QVERIFY(QTest::qWaitForWindowExposed(&small));
    QVERIFY(small.grab().save(QString::fromStdString(emo::test::outputDir()) + "/screenshot-cost-matrix-spread.png"));
}

void TestCostMatrixView::manyTokens()
{
    // 48 tokens on a circle: C(i, j) = 1 − cos(angle difference), so the sorted order by cost to
    // token 0 walks outwards in both directions: 0, 1, 47, 2, 46, ... (ties: lower index first).
    const int n = 48;
    CostMatrixReport report;
    for (int i = 0; i < n; ++i) {
        report.ids.push_back(i);
        report.labels.push_back(" word" + std::to_string(i));
    }
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
            const int steps = std::min((i - j + n) % n, (j - i + n) % n);
            report.cost.push_back(1.0 - std::cos(2.0 * M_PI * steps / n));
        }
    const QVector<int> sorted = CostMatrixView::orderFor(report, CostMatrixView::SortedByCost);
    QCOMPARE(sorted.mid(0, 5), (QVector<int>{0, 1, 47, 2, 46}));
    QCOMPARE(sorted.last(), 24);
    const QVector<int> clustered = CostMatrixView::orderFor(report, CostMatrixView::Clustered);
    QCOMPARE(clustered.size(), n);
    // Neighbours on the circle stay neighbours: every step of the clustered order is short except
    // where two arcs meet.
    int longSteps = 0;
    for (int k = 1; k < n; ++k)
        if (report.at(size_t(clustered[k - 1]), size_t(clustered[k])) > 1.0 - std::cos(2.0 * M_PI * 2 / n) + 1e-12)
            ++longSteps;
    QVERIFY2(longSteps <= 6, qPrintable(QString::number(longSteps)));

    CostMatrixView view;
    view.resize(1200, 800);
    view.setCostMatrix(report);
    view.setOrder(CostMatrixView::Clustered);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QVERIFY(view.grab().save(QString::fromStdString(emo::test::outputDir()) + "/screenshot-cost-matrix-large.png"));
}

QTEST_MAIN(TestCostMatrixView)
#include "tst_cost_matrix_view.moc"
