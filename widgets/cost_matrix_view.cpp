#include "cost_matrix_view.h"

#include "plot_export.h"
#include "token_strip.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace emo::widgets {
namespace {

// Perceptually even (viridis-like): dark = cheap (similar tokens), yellow = expensive.
QCPColorGradient costGradient()
{
    QCPColorGradient gradient;
    gradient.clearColorStops();
    gradient.setColorStopAt(0.00, QColor(68, 1, 84));
    gradient.setColorStopAt(0.25, QColor(59, 82, 139));
    gradient.setColorStopAt(0.50, QColor(33, 145, 140));
    gradient.setColorStopAt(0.75, QColor(94, 201, 98));
    gradient.setColorStopAt(1.00, QColor(253, 231, 37));
    gradient.setColorInterpolation(QCPColorGradient::ciRGB);
    return gradient;
}

QString formatCost(double value)
{
    return QString::number(value, 'f', 3);
}

QString formatDistance(double value)
{
    return QString::number(value, 'f', 4);
}

double symmetricCost(const emo::inspect::CostMatrixReport& report, size_t i, size_t j)
{
    return 0.5 * (report.at(i, j) + report.at(j, i));
}

QVector<int> clusteredOrder(const emo::inspect::CostMatrixReport& report)
{
    const int n = int(report.ids.size());
    QVector<QVector<int>> clusters;
    for (int i = 0; i < n; ++i)
        clusters.push_back({i});
    auto meanCost = [&report](const QVector<int>& a, const QVector<int>& b) {
        double sum = 0.0;
        for (int i : a)
            for (int j : b)
                sum += symmetricCost(report, size_t(i), size_t(j));
        return sum / double(a.size() * b.size());
    };
    // Clusters stay sorted by their lowest index (each cluster's first leaf is its lowest index), so
    // scanning pairs (a < b) in list order breaks ties toward the smaller indices.
    while (clusters.size() > 1) {
        int bestA = 0, bestB = 1;
        double best = std::numeric_limits<double>::infinity();
        for (int a = 0; a < clusters.size(); ++a)
            for (int b = a + 1; b < clusters.size(); ++b) {
                const double cost = meanCost(clusters[a], clusters[b]);
                if (cost < best) {
                    best = cost;
                    bestA = a;
                    bestB = b;
                }
            }
        clusters[bestA] += clusters[bestB];
        clusters.remove(bestB);
    }
    return clusters.isEmpty() ? QVector<int>() : clusters.front();
}

} // namespace

CostMatrixView::CostMatrixView(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("costMatrixView"));
    auto* layout = new QVBoxLayout(this);
    buildSourceBar();
    buildHeatmap();
    buildTransport();

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Tokens:"), this));
    bar->addWidget(m_sourceKind);
    bar->addWidget(m_sourceText, 1);
    bar->addWidget(new QLabel(tr("k"), this));
    bar->addWidget(m_k);
    bar->addWidget(m_show);
    bar->addSpacing(16);
    bar->addWidget(new QLabel(tr("Order:"), this));
    bar->addWidget(m_orderBox);
    layout->addLayout(bar);

    auto* transportPanel = new QWidget(this);
    auto* transportLayout = new QVBoxLayout(transportPanel);
    transportLayout->setContentsMargins(0, 0, 0, 0);
    transportLayout->addWidget(m_transportPlot, 1);
    transportLayout->addWidget(m_transportLabel);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setObjectName(QStringLiteral("costMatrixSplitter"));
    splitter->addWidget(m_heatmap);
    splitter->addWidget(transportPanel);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);

    rebuildHeatmap();
    rebuildTransport();
}

void CostMatrixView::buildSourceBar()
{
    m_sourceKind = new QComboBox(this);
    m_sourceKind->setObjectName(QStringLiteral("sourceKind"));
    m_sourceKind->addItem(tr("Top-k at a position"), int(TopKAtPosition));
    m_sourceKind->addItem(tr("Typed word list"), int(WordList));
    m_sourceKind->addItem(tr("Nearest neighbours of a token"), int(Neighbours));
    m_sourceText = new QLineEdit(this);
    m_sourceText->setObjectName(QStringLiteral("sourceText"));
    m_sourceText->setClearButtonEnabled(true);
    m_k = new QSpinBox(this);
    m_k->setObjectName(QStringLiteral("sourceK"));
    m_k->setRange(2, 64);
    m_k->setValue(12);
    m_k->setToolTip(tr("How many tokens the set holds"));
    m_show = new QPushButton(tr("Show costs"), this);
    m_show->setObjectName(QStringLiteral("sourceButton"));
    m_orderBox = new QComboBox(this);
    m_orderBox->setObjectName(QStringLiteral("orderBox"));
    m_orderBox->addItem(tr("as given"), int(AsGiven));
    m_orderBox->addItem(tr("sorted by cost to the first token"), int(SortedByCost));
    m_orderBox->addItem(tr("clustered"), int(Clustered));
    m_orderBox->setItemData(int(Clustered),
                            tr("Average-linkage clustering: the two groups with the smallest mean cost merge "
                               "first, so similar tokens sit next to each other"),
                            Qt::ToolTipRole);

    connect(m_sourceKind, &QComboBox::currentIndexChanged, this, [this] { updateSourceHints(); });
    connect(m_show, &QPushButton::clicked, this, [this] { requestMatrix(); });
    connect(m_sourceText, &QLineEdit::returnPressed, this, [this] { requestMatrix(); });
    connect(m_orderBox, &QComboBox::currentIndexChanged, this, [this] {
        m_order = orderFor(m_report, order());
        rebuildHeatmap();
    });
    updateSourceHints();
}

void CostMatrixView::updateSourceHints()
{
    switch (SourceKind(m_sourceKind->currentData().toInt())) {
    case TopKAtPosition:
        m_sourceText->setPlaceholderText(tr("position in the inspected text, e.g. 7"));
        m_k->setEnabled(true);
        break;
    case WordList:
        m_sourceText->setPlaceholderText(tr("words separated by commas, e.g. cat, dog, car"));
        m_k->setEnabled(false);  // the list is the set
        break;
    case Neighbours:
        m_sourceText->setPlaceholderText(tr("a token, e.g. cat"));
        m_k->setEnabled(true);
        break;
    }
}

void CostMatrixView::requestMatrix()
{
    Q_EMIT costMatrixRequested(m_sourceKind->currentData().toInt(), m_sourceText->text().trimmed(), m_k->value());
}

void CostMatrixView::buildHeatmap()
{
    m_heatmap = new QCustomPlot(this);
    m_heatmap->setObjectName(QStringLiteral("costHeatmap"));
    m_heatmap->setMinimumSize(360, 300);
    m_heatmap->setInteractions(QCP::iRangeZoom | QCP::iRangeDrag);
    m_heatmap->setMouseTracking(true);
    m_heatmap->plotLayout()->insertRow(0);
    auto* title = new QCPTextElement(m_heatmap, tr("Cost C(i, j) = 1 − cos(ê_i, ê_j)"),
                                     QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    title->setObjectName(QStringLiteral("heatmapTitle"));
    m_heatmap->plotLayout()->addElement(0, 0, title);

    for (QCPAxis* axis : {m_heatmap->xAxis, m_heatmap->yAxis}) {
        axis->grid()->setVisible(false);
        axis->setSubTicks(false);
        axis->setTickLength(0, 3);
    }
    m_heatmap->xAxis->setTickLabelRotation(60);
    m_heatmap->xAxis->setLabel(tr("token i"));
    m_heatmap->yAxis->setLabel(tr("token j"));
    m_heatmap->yAxis->setRangeReversed(true);  // the first token at the top, as a matrix reads

    // Key (x) = i, value (y) = j: cell(i, j) of the map is C(i, j) and the tooltip reads x → y.
    m_map = new QCPColorMap(m_heatmap->xAxis, m_heatmap->yAxis);
    m_map->setName(tr("cost"));
    m_map->setInterpolate(false);
    m_map->setTightBoundary(false);

    m_scale = new QCPColorScale(m_heatmap);
    m_scale->setType(QCPAxis::atRight);
    m_scale->setBarWidth(14);
    m_scale->axis()->setLabel(tr("C = 1 − cos"));
    m_heatmap->plotLayout()->addElement(1, 1, m_scale);
    m_map->setColorScale(m_scale);
    m_map->setGradient(costGradient());  // after setColorScale, which adopts the scale's default gradient
    auto* margins = new QCPMarginGroup(m_heatmap);
    m_heatmap->axisRect()->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    m_scale->setMarginGroup(QCP::msTop | QCP::msBottom, margins);

    connect(m_heatmap, &QCustomPlot::mouseMove, this, &CostMatrixView::showHover);
    installExportMenu(m_heatmap, [this] { return exportData(); });
}

void CostMatrixView::buildTransport()
{
    m_transportPlot = new QCustomPlot(this);
    m_transportPlot->setObjectName(QStringLiteral("transportPlot"));
    m_transportPlot->setMinimumSize(280, 300);
    m_transportPlot->plotLayout()->insertRow(0);
    auto* title = new QCPTextElement(m_transportPlot, tr("Optimal transport plan"),
                                     QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    m_transportPlot->plotLayout()->addElement(0, 0, title);
    m_transportPlot->yAxis->setRangeReversed(true);
    m_transportPlot->yAxis2->setVisible(true);
    m_transportPlot->yAxis2->setRangeReversed(true);
    m_transportPlot->xAxis2->setVisible(true);
    m_transportPlot->xAxis->setTickLabels(false);
    m_transportPlot->xAxis->setTicks(false);
    for (QCPAxis* axis : m_transportPlot->axisRect()->axes()) {
        axis->grid()->setVisible(false);
        axis->setSubTicks(false);
        axis->setTickLength(0, 3);
    }
    connect(m_transportPlot->yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), m_transportPlot->yAxis2,
            qOverload<const QCPRange&>(&QCPAxis::setRange));

    auto* scale = new QCPColorScale(m_transportPlot);
    scale->setObjectName(QStringLiteral("transportScale"));
    scale->setType(QCPAxis::atRight);
    scale->setBarWidth(10);
    scale->setGradient(costGradient());
    scale->axis()->setLabel(tr("cost of the flow"));
    m_transportPlot->plotLayout()->addElement(1, 1, scale);
    auto* margins = new QCPMarginGroup(m_transportPlot);
    m_transportPlot->axisRect()->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    scale->setMarginGroup(QCP::msTop | QCP::msBottom, margins);

    m_transportLabel = new QLabel(this);
    m_transportLabel->setObjectName(QStringLiteral("transportLabel"));
    m_transportLabel->setAlignment(Qt::AlignCenter);
    m_transportLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont bold = m_transportLabel->font();
    bold.setBold(true);
    m_transportLabel->setFont(bold);

    installExportMenu(m_transportPlot, [this] { return exportTransportData(); });
}

QVector<int> CostMatrixView::orderFor(const emo::inspect::CostMatrixReport& report, Order order)
{
    const int n = int(report.ids.size());
    if (report.cost.size() != size_t(n) * size_t(n))
        return {};
    QVector<int> indices(n);
    std::iota(indices.begin(), indices.end(), 0);
    switch (order) {
    case AsGiven:
        return indices;
    case SortedByCost:
        std::stable_sort(indices.begin(), indices.end(),
                         [&report](int a, int b) { return report.at(0, size_t(a)) < report.at(0, size_t(b)); });
        return indices;
    case Clustered:
        return clusteredOrder(report);
    }
    return indices;
}

CostMatrixView::Order CostMatrixView::order() const
{
    return Order(m_orderBox->currentData().toInt());
}

void CostMatrixView::setOrder(Order order)
{
    m_orderBox->setCurrentIndex(m_orderBox->findData(int(order)));
}

void CostMatrixView::setCostMatrix(const emo::inspect::CostMatrixReport& report)
{
    m_report = report;
    if (m_report.labels.size() < m_report.ids.size())
        m_report.labels.resize(m_report.ids.size());
    m_order = orderFor(m_report, order());
    rebuildHeatmap();
    m_heatmap->rescaleAxes();
}

QString CostMatrixView::label(int reportIndex) const
{
    return TokenStrip::visibleToken(m_report.labels[size_t(reportIndex)]);
}

void CostMatrixView::rebuildHeatmap()
{
    m_heatmap->clearItems();
    const int n = m_order.size();
    auto* map = m_map->data();
    if (n == 0) {
        map->setSize(0, 0);
        m_heatmap->xAxis->setTicker(QSharedPointer<QCPAxisTickerText>::create());
        m_heatmap->yAxis->setTicker(QSharedPointer<QCPAxisTickerText>::create());
        auto* hint = new QCPItemText(m_heatmap);
        hint->position->setType(QCPItemPosition::ptAxisRectRatio);
        hint->position->setCoords(0.5, 0.5);
        hint->setText(tr("No token set yet: choose one above and press “Show costs”."));
        hint->setColor(Qt::darkGray);
        m_heatmap->replot();
        return;
    }
    map->setSize(n, n);
    map->setRange(QCPRange(0, std::max(n - 1, 1)), QCPRange(0, std::max(n - 1, 1)));
    double maxCost = 0.0;
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
            const double c = m_report.at(size_t(m_order[i]), size_t(m_order[j]));
            map->setCell(i, j, c);
            maxCost = std::max(maxCost, c);
        }
    m_map->setDataRange(QCPRange(0.0, std::max(maxCost, 1e-6)));

    auto xTicks = QSharedPointer<QCPAxisTickerText>::create();
    auto yTicks = QSharedPointer<QCPAxisTickerText>::create();
    for (int i = 0; i < n; ++i) {
        xTicks->addTick(i, label(m_order[i]));
        yTicks->addTick(i, label(m_order[i]));
    }
    m_heatmap->xAxis->setTicker(xTicks);
    m_heatmap->yAxis->setTicker(yTicks);
    // The text ticker shows every label: smaller type keeps 30–64 rows from running into each other.
    QFont tickFont = font();
    tickFont.setPointSizeF(std::max(5.0, font().pointSizeF() - (n > 40 ? 3.0 : n > 20 ? 2.0 : 0.0)));
    m_heatmap->xAxis->setTickLabelFont(tickFont);
    m_heatmap->yAxis->setTickLabelFont(tickFont);
    m_heatmap->xAxis->setRange(-0.5, n - 0.5);
    m_heatmap->yAxis->setRange(-0.5, n - 0.5);

    // Small sets get their values written in the cells: the colour alone hides 0.41 vs 0.45.
    if (n <= 16) {
        QCPColorGradient gradient = m_map->gradient();
        QFont small = font();
        small.setPointSizeF(std::max(6.0, font().pointSizeF() - (n > 10 ? 2.0 : 1.0)));
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j) {
                const double c = map->cell(i, j);
                auto* text = new QCPItemText(m_heatmap);
                text->setClipToAxisRect(true);
                text->position->setCoords(i, j);
                text->setText(QString::number(std::abs(c) < 0.005 ? 0.0 : c, 'f', 2));
                text->setFont(small);
                const QColor cell = gradient.color(c, m_map->dataRange());
                text->setColor(qGray(cell.rgb()) > 140 ? Qt::black : Qt::white);
            }
    }
    m_heatmap->replot();
}

QString CostMatrixView::hoverText(double x, double y) const
{
    const int n = m_order.size();
    const int i = int(std::lround(x));
    const int j = int(std::lround(y));
    if (n == 0 || i < 0 || j < 0 || i >= n || j >= n)
        return {};
    const int a = m_order[i];
    const int b = m_order[j];
    return tr("%1 → %2: C = %3").arg(label(a), label(b), formatCost(m_report.at(size_t(a), size_t(b))));
}

void CostMatrixView::showHover(QMouseEvent* event)
{
    const QPointF pos = event->position();
    const QString text = hoverText(m_heatmap->xAxis->pixelToCoord(pos.x()), m_heatmap->yAxis->pixelToCoord(pos.y()));
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, m_heatmap);
}

void CostMatrixView::setTransport(const emo::inspect::TransportReport& report)
{
    m_transport = report;
    m_hasTransport = true;
    rebuildTransport();
}

QString CostMatrixView::transportSummary() const
{
    return m_transportLabel->text();
}

void CostMatrixView::rebuildTransport()
{
    QCustomPlot* plot = m_transportPlot;
    plot->clearItems();
    const auto& costs = m_transport.costs;
    const int n = int(costs.ids.size());
    const bool valid = m_hasTransport && n > 0 && costs.cost.size() == size_t(n) * size_t(n)
        && m_transport.source.size() == size_t(n) && m_transport.target.size() == size_t(n)
        && m_transport.plan.plan.size() == size_t(n) * size_t(n);
    m_flowCount = 0;
    auto* scale = plot->findChild<QCPColorScale*>(QStringLiteral("transportScale"));
    scale->setVisible(valid);  // an empty panel has no costs to scale
    if (!valid) {
        m_transportLabel->setText(tr("No transport plan yet"));
        m_transportLabel->setToolTip({});
        auto* hint = new QCPItemText(plot);
        hint->position->setType(QCPItemPosition::ptAxisRectRatio);
        hint->position->setCoords(0.5, 0.5);
        hint->setText(tr("The plan between the model's q and the data\nappears with a position's token set."));
        hint->setColor(Qt::darkGray);
        plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerText>::create());
        plot->yAxis2->setTicker(QSharedPointer<QCPAxisTickerText>::create());
        plot->xAxis2->setTicker(QSharedPointer<QCPAxisTickerText>::create());
        plot->replot();
        return;
    }

    auto tokenLabel = [&costs](int i) {
        return i < int(costs.labels.size()) ? TokenStrip::visibleToken(costs.labels[size_t(i)]) : QString();
    };
    // The masses go into the tick labels beside their token, where they cannot collide with anything.
    auto massText = [](double mass) { return mass > 0.0 ? QString::number(mass, 'f', 3) : QString(); };
    auto leftTicks = QSharedPointer<QCPAxisTickerText>::create();
    auto rightTicks = QSharedPointer<QCPAxisTickerText>::create();
    for (int i = 0; i < n; ++i) {
        const QString source = massText(m_transport.source[size_t(i)]);
        const QString target = massText(m_transport.target[size_t(i)]);
        leftTicks->addTick(i, source.isEmpty() ? tokenLabel(i) : tokenLabel(i) + QStringLiteral("  ") + source);
        rightTicks->addTick(i, target.isEmpty() ? tokenLabel(i) : target + QStringLiteral("  ") + tokenLabel(i));
    }
    plot->yAxis->setTicker(leftTicks);
    plot->yAxis2->setTicker(rightTicks);
    auto topTicks = QSharedPointer<QCPAxisTickerText>::create();
    topTicks->addTick(-0.3, m_transport.sourceLabel.empty() ? tr("source") : QString::fromStdString(m_transport.sourceLabel));
    topTicks->addTick(1.3, m_transport.targetLabel.empty() ? tr("target") : QString::fromStdString(m_transport.targetLabel));
    plot->xAxis2->setTicker(topTicks);
    plot->xAxis->setRange(-0.75, 1.75);  // room for the bars (0.6 long)
    plot->xAxis2->setRange(-0.75, 1.75);
    plot->yAxis->setRange(-0.6, n - 0.4);

    double maxMass = 1e-12;
    double maxCost = 1e-6;
    double maxFlow = 1e-12;
    for (int i = 0; i < n; ++i)
        maxMass = std::max({maxMass, m_transport.source[size_t(i)], m_transport.target[size_t(i)]});
    for (double c : costs.cost)
        maxCost = std::max(maxCost, c);
    for (double m : m_transport.plan.plan)
        maxFlow = std::max(maxFlow, m);
    QCPColorGradient gradient = costGradient();
    const QCPRange costRange(0.0, maxCost);
    scale->setDataRange(costRange);

    // Two baselines the bars grow from, then the flows, so the bars and their numbers sit on top.
    for (double x : {0.0, 1.0}) {
        auto* baseline = new QCPItemLine(plot);
        baseline->setPen(QPen(QColor(170, 170, 170), 1.0));
        baseline->start->setCoords(x, -0.5);
        baseline->end->setCoords(x, n - 0.5);
    }
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
            const double mass = m_transport.plan.plan[size_t(i) * size_t(n) + size_t(j)];
            if (mass <= 1e-9 * maxFlow || mass <= 0.0)
                continue;
            const double share = mass / maxFlow;
            QColor color = gradient.color(costs.at(size_t(i), size_t(j)), costRange);
            color.setAlpha(int(70 + 170 * share));
            auto* flow = new QCPItemCurve(plot);
            flow->setObjectName(QStringLiteral("flow"));
            flow->setPen(QPen(color, 1.0 + 11.0 * share, Qt::SolidLine, Qt::FlatCap));
            flow->start->setCoords(0.0, i);
            flow->startDir->setCoords(0.5, i);
            flow->endDir->setCoords(0.5, j);
            flow->end->setCoords(1.0, j);
            flow->setSelectable(false);
            ++m_flowCount;
        }

    const QColor sourceColor(70, 110, 190);
    const QColor targetColor(220, 120, 40);
    auto addBar = [&](int i, double mass, bool source) {
        if (mass <= 0.0)
            return;
        const double length = 0.6 * mass / maxMass;
        auto* bar = new QCPItemRect(plot);
        const double x0 = source ? -length : 1.0;
        const double x1 = source ? 0.0 : 1.0 + length;
        bar->topLeft->setCoords(x0, i - 0.32);
        bar->bottomRight->setCoords(x1, i + 0.32);
        const QColor color = source ? sourceColor : targetColor;
        bar->setPen(QPen(color.darker(130)));
        bar->setBrush(color);
    };
    int targetSupport = 0;
    for (int i = 0; i < n; ++i) {
        addBar(i, m_transport.source[size_t(i)], true);
        addBar(i, m_transport.target[size_t(i)], false);
        if (m_transport.target[size_t(i)] > 0.0)
            ++targetSupport;
    }
    const bool oneHot = targetSupport == 1;

    m_transportLabel->setText(tr("exact EMD = %1 · DEMD = %2")
                                  .arg(formatDistance(m_transport.plan.totalCost), formatDistance(m_transport.demd)));
    QString tip = tr("Exact EMD: the cost of the optimal plan drawn above. DEMD: the cost of the independent "
                     "coupling Σ q_i p_j C(i, j) the paper trains on, an upper bound on the EMD (DEMD ≥ EMD), "
                     "equal to it when the target is one-hot.");
    tip += QLatin1Char(' ')
        + (oneHot ? tr("The target here is one-hot, so the two are equal.")
                  : tr("The target here is spread over several tokens, so DEMD exceeds the EMD."));
    m_transportLabel->setToolTip(tip);
    plot->replot();
}

QWidget* CostMatrixView::exportWidget()
{
    return m_heatmap;
}

DataTable CostMatrixView::exportData() const
{
    DataTable table;
    table.title = tr("Cost matrix C(i, j) = 1 − cos(ê_i, ê_j), %1").arg(m_orderBox->currentText());
    table.columns << tr("token");
    for (int index : m_order)
        table.columns << QString::fromStdString(m_report.labels[size_t(index)]);
    for (int i : m_order) {
        QVector<QVariant> row;
        row << QString::fromStdString(m_report.labels[size_t(i)]);
        for (int j : m_order)
            row << m_report.at(size_t(i), size_t(j));
        table.rows << row;
    }
    return table;
}

DataTable CostMatrixView::exportTransportData() const
{
    DataTable table;
    table.title = tr("Optimal transport plan: %1 → %2")
                      .arg(QString::fromStdString(m_transport.sourceLabel), QString::fromStdString(m_transport.targetLabel));
    table.columns = {tr("source token"), tr("target token"), tr("mass"), tr("cost")};
    const auto& costs = m_transport.costs;
    const size_t n = costs.ids.size();
    if (!m_hasTransport || m_transport.plan.plan.size() != n * n || costs.labels.size() < n)
        return table;
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j) {
            const double mass = m_transport.plan.plan[i * n + j];
            if (mass > 0.0)
                table.rows << QVector<QVariant>{QString::fromStdString(costs.labels[i]),
                                                QString::fromStdString(costs.labels[j]), mass, costs.at(i, j)};
        }
    return table;
}

} // namespace emo::widgets
