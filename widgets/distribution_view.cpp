#include "distribution_view.h"
#include "token_strip.h"

#include <qcustomplot.h>

#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace emo::widgets {

namespace {

const QColor kQColor(0x9e, 0xbc, 0xda);
const QColor kGoldColor(0xf2, 0xb7, 0x05);
const QColor kCostColor(0x54, 0x27, 0x8f);

} // namespace

DistributionView::DistributionView(QWidget* parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("distributionView"));
    m_plot = new QCustomPlot(this);
    m_plot->setObjectName(QStringLiteral("distributionPlot"));
    m_plot->setAutoAddPlottableToLegend(false);
    m_plot->setMinimumHeight(fontMetrics().height() * 16);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);

    // Layout grid: title row, q panel, gradient panel; legends in a narrow second column.
    QCPLayoutGrid* grid = m_plot->plotLayout();
    m_qRect = m_plot->axisRect();
    grid->insertRow(0);
    m_title = new QCPTextElement(m_plot, QString(), m_plot->font());
    m_title->setTextFlags(Qt::AlignCenter | Qt::TextWordWrap);
    grid->addElement(0, 0, m_title);
    m_gradRect = new QCPAxisRect(m_plot);
    grid->addElement(2, 0, m_gradRect);
    grid->setRowStretchFactor(1, 1.0);
    grid->setRowStretchFactor(2, 1.0);

    auto* group = new QCPMarginGroup(m_plot);
    m_qRect->setMarginGroup(QCP::msLeft | QCP::msRight, group);
    m_gradRect->setMarginGroup(QCP::msLeft | QCP::msRight, group);

    // Each legend sits at the top of its panel's row, compact: a sub-grid whose second, empty row takes
    // the spare height (a grid cell would otherwise stretch the legend to the panel's height).
    m_qRect->insetLayout()->take(m_plot->legend);
    m_qRect->insetLayout()->simplify();
    m_gradLegend = new QCPLegend;
    int row = 1;
    for (QCPLegend* legend : {m_plot->legend, m_gradLegend}) {
        auto* cell = new QCPLayoutGrid;
        grid->addElement(row++, 1, cell);
        cell->addElement(0, 0, legend);
        cell->addElement(1, 0, new QCPLayoutElement(m_plot));
        cell->setRowStretchFactor(0, 0.001);
        cell->setRowStretchFactor(1, 1.0);
        cell->setMargins(QMargins(0, fontMetrics().height() / 2, fontMetrics().height() / 3, 0));
        legend->setLayer(QStringLiteral("legend"));
    }
    m_plot->legend->setVisible(true);
    grid->setColumnStretchFactor(1, 0.001);
    for (QCPLegend* legend : {m_plot->legend, m_gradLegend})
        legend->setFont(m_plot->font());

    // The candidate tick labels sit under the gradient panel only; the panels share the columns.
    auto qTicker = QSharedPointer<QCPAxisTickerText>::create();
    m_qRect->axis(QCPAxis::atBottom)->setTicker(qTicker);
    m_qRect->axis(QCPAxis::atBottom)->setTickLabels(false);
    m_qRect->axis(QCPAxis::atBottom)->grid()->setVisible(false);
    m_qRect->axis(QCPAxis::atLeft)->setLabel(tr("q (model probability)"));
    m_qRect->axis(QCPAxis::atRight)->setVisible(true);
    m_qRect->axis(QCPAxis::atRight)->setLabel(tr("cost C(j, gold)"));
    auto gradTicker = QSharedPointer<QCPAxisTickerText>::create();
    m_gradRect->axis(QCPAxis::atBottom)->setTicker(gradTicker);
    m_gradRect->axis(QCPAxis::atBottom)->grid()->setVisible(false);
    m_gradRect->axis(QCPAxis::atBottom)->setLabel(tr("candidate next token (top-k by q, then gold, then gradient-only ids)"));
    m_gradRect->axis(QCPAxis::atLeft)->setLabel(tr("\u2202loss/\u2202logit (< 0: pushed up)"));
    m_gradRect->axis(QCPAxis::atLeft)->grid()->setZeroLinePen(QPen(palette().color(QPalette::Text), 0));

    m_qBars = new QCPBars(m_qRect->axis(QCPAxis::atBottom), m_qRect->axis(QCPAxis::atLeft));
    m_qBars->setName(tr("q"));
    m_qBars->setBrush(kQColor);
    m_qBars->setPen(QPen(kQColor.darker(140), 0));
    m_qBars->setWidth(0.7);
    m_goldBars = new QCPBars(m_qRect->axis(QCPAxis::atBottom), m_qRect->axis(QCPAxis::atLeft));
    m_goldBars->setName(tr("q of the gold token"));
    m_goldBars->setBrush(kGoldColor);
    m_goldBars->setPen(QPen(kGoldColor.darker(150), 0));
    m_goldBars->setWidth(0.7);
    m_costGraph = m_plot->addGraph(m_qRect->axis(QCPAxis::atBottom), m_qRect->axis(QCPAxis::atRight));
    m_costGraph->setName(tr("cost to gold (right axis)"));
    m_costGraph->setLineStyle(QCPGraph::lsNone);
    m_costGraph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, kCostColor, kCostColor,
                                                 std::max(5.0, fontMetrics().height() * 0.6)));
    m_qBars->addToLegend(m_plot->legend);
    m_goldBars->addToLegend(m_plot->legend);
    m_costGraph->addToLegend(m_plot->legend);

    rebuild();
}

QString DistributionView::objectiveName(const QString& key)
{
    if (key == QLatin1String("mle"))
        return QStringLiteral("MLE");
    if (key == QLatin1String("emo"))
        return QStringLiteral("EMO");
    if (key == QLatin1String("tailr"))
        return QStringLiteral("TaiLr");
    if (key == QLatin1String("mixce"))
        return QStringLiteral("MixCE");
    if (key.startsWith(QLatin1String("emo-")))
        return QStringLiteral("EMO (%1)").arg(key.mid(4));
    return key;
}

QColor DistributionView::objectiveColor(const QString& key)
{
    if (key == QLatin1String("mle"))
        return QColor(0x4c, 0x72, 0xb0);
    if (key == QLatin1String("emo"))
        return QColor(0xdd, 0x84, 0x52);
    if (key == QLatin1String("tailr"))
        return QColor(0x55, 0xa8, 0x68);
    if (key == QLatin1String("mixce"))
        return QColor(0xc4, 0x4e, 0x52);
    if (key.startsWith(QLatin1String("emo-")))
        return QColor(0x93, 0x78, 0x60);
    return QColor(0x81, 0x72, 0xb3);
}

void DistributionView::setToken(const emo::inspect::TokenReport& token)
{
    m_token = token;
    m_hasToken = true;
    rebuild();
}

void DistributionView::clear()
{
    m_token = {};
    m_hasToken = false;
    rebuild();
}

QString DistributionView::objectiveKey(int objective) const
{
    return m_objectives.at(size_t(objective));
}

std::optional<double> DistributionView::gradient(int objective, int column) const
{
    return m_gradients.at(size_t(objective)).at(size_t(column));
}

int DistributionView::missingGradientCount() const
{
    int n = 0;
    for (const auto& row : m_gradients)
        n += int(std::count_if(row.begin(), row.end(), [](const auto& g) { return !g.has_value(); }));
    return n;
}

QCPBars* DistributionView::gradientBars(int objective) const
{
    return objective >= 0 && size_t(objective) < m_gradBars.size() ? m_gradBars[size_t(objective)] : nullptr;
}

double DistributionView::gradientBarKey(int objective, int column) const
{
    const int n = std::max(1, objectiveCount());
    const double w = 0.8 / n;
    return column + (objective - (n - 1) / 2.0) * w;
}

void DistributionView::clearGradientPlottables()
{
    for (QCPBars* bars : m_gradBars) {
        bars->removeFromLegend(m_gradLegend);
        m_plot->removePlottable(bars);
    }
    m_gradBars.clear();
    for (QCPItemText* item : m_naItems)
        m_plot->removeItem(item);
    m_naItems.clear();
}

void DistributionView::rebuild()
{
    clearGradientPlottables();
    m_columns.clear();
    m_objectives.clear();
    m_gradients.clear();

    if (m_hasToken) {
        const auto& t = m_token;
        bool goldSeen = false;
        for (const auto& c : t.topk) {
            Column col;
            col.id = c.id;
            col.label = TokenStrip::visibleToken(c.text);
            col.q = c.p;
            col.cost = c.cost;
            col.gold = c.id == t.id;
            col.inTopk = true;
            goldSeen = goldSeen || col.gold;
            m_columns.push_back(col);
        }
        if (!goldSeen) {  // gold outside the top-k: still shown, its q and (zero) cost are known
            Column col;
            col.id = t.id;
            col.label = TokenStrip::visibleToken(t.text);
            col.q = t.pGold;
            col.cost = 0.0;
            col.gold = true;
            m_columns.push_back(col);
        }
        auto hasColumn = [this](int64_t id) {
            return std::any_of(m_columns.begin(), m_columns.end(), [id](const Column& c) { return c.id == id; });
        };
        for (const auto& g : t.grad)
            for (const auto& e : g.topk)
                if (!hasColumn(e.id)) {
                    Column col;
                    col.id = e.id;
                    col.label = QStringLiteral("#%1").arg(e.id);  // the report has no text for it
                    m_columns.push_back(col);
                }
        for (const auto& g : t.grad) {
            m_objectives.push_back(QString::fromStdString(g.objective));
            std::vector<std::optional<double>> values;
            for (const Column& col : m_columns) {
                if (col.gold) {
                    values.push_back(g.gold);
                    continue;
                }
                std::optional<double> v;
                for (const auto& e : g.topk)
                    if (e.id == col.id) {
                        v = e.g;
                        break;
                    }
                values.push_back(v);
            }
            m_gradients.push_back(std::move(values));
        }
        m_title->setText(tr("Position %1 predicts %2 (id %3): p(gold) = %4, CE = %5 nats, DEMD = %6")
                             .arg(t.position)
                             .arg(TokenStrip::visibleToken(t.text))
                             .arg(t.id)
                             .arg(TokenStrip::formatProbability(t.pGold), TokenStrip::formatValue(t.ce),
                                  TokenStrip::formatValue(t.demd)));
    } else {
        m_title->setText(tr("Click a token in the strip to see the model's distribution at that position"));
    }

    // Probability panel.
    const int n = int(m_columns.size());
    QVector<double> qKeys, qValues, goldKeys, goldValues, costKeys, costValues;
    auto ticks = QMap<double, QString>();
    double qMax = 0.0, costMax = 0.0;
    QFont small = m_plot->font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    for (int i = 0; i < n; ++i) {
        const Column& c = m_columns[size_t(i)];
        ticks.insert(i, c.gold ? c.label + QLatin1Char('\n') + tr("(gold)") : c.label);
        if (c.q) {
            (c.gold ? goldKeys : qKeys).push_back(i);
            (c.gold ? goldValues : qValues).push_back(*c.q);
            qMax = std::max(qMax, *c.q);
        } else {
            auto* na = new QCPItemText(m_plot);
            na->setClipAxisRect(m_qRect);
            na->position->setAxes(m_qRect->axis(QCPAxis::atBottom), m_qRect->axis(QCPAxis::atLeft));
            na->position->setCoords(i, 0);
            na->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
            na->setFont(small);
            na->setColor(palette().color(QPalette::PlaceholderText));
            na->setText(tr("q n/a"));
            m_naItems.push_back(na);
        }
        if (c.cost) {
            costKeys.push_back(i);
            costValues.push_back(*c.cost);
            costMax = std::max(costMax, *c.cost);
        }
    }
    m_qBars->setData(qKeys, qValues, true);
    m_goldBars->setData(goldKeys, goldValues, true);
    m_costGraph->setData(costKeys, costValues, true);
    for (QCPAxisRect* r : {m_qRect, m_gradRect}) {
        auto ticker = r->axis(QCPAxis::atBottom)->ticker().dynamicCast<QCPAxisTickerText>();
        ticker->setTicks(ticks);
        r->axis(QCPAxis::atBottom)->setRange(-0.6, std::max(1, n) - 0.4);
        r->axis(QCPAxis::atBottom)->setTickLabelRotation(n > 14 ? -40 : 0);
    }
    m_qRect->axis(QCPAxis::atLeft)->setRange(0.0, std::max(0.05, qMax * 1.15));
    m_qRect->axis(QCPAxis::atRight)->setRange(0.0, std::max(1.0, costMax) * 1.05);

    // Gradient panel: one bar set per objective, side by side within a column.
    const int objectives = objectiveCount();
    const double w = 0.8 / std::max(1, objectives);
    double gLo = 0.0, gHi = 0.0;
    for (int o = 0; o < objectives; ++o) {
        auto* bars = new QCPBars(m_gradRect->axis(QCPAxis::atBottom), m_gradRect->axis(QCPAxis::atLeft));
        const QColor color = objectiveColor(m_objectives[size_t(o)]);
        bars->setName(objectiveName(m_objectives[size_t(o)]));
        bars->setBrush(color);
        bars->setPen(QPen(color.darker(140), 0));
        bars->setWidth(w);
        QVector<double> keys, values;
        for (int i = 0; i < n; ++i) {
            const auto& g = m_gradients[size_t(o)][size_t(i)];
            const double key = gradientBarKey(o, i);
            if (g) {
                keys.push_back(key);
                values.push_back(*g);
                gLo = std::min(gLo, *g);
                gHi = std::max(gHi, *g);
            } else {
                auto* na = new QCPItemText(m_plot);
                na->setClipAxisRect(m_gradRect);
                na->position->setAxes(m_gradRect->axis(QCPAxis::atBottom), m_gradRect->axis(QCPAxis::atLeft));
                na->position->setCoords(key, 0);
                na->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
                na->setRotation(-90);
                na->setFont(small);
                na->setColor(color.darker(120));
                na->setText(tr("n/a"));
                m_naItems.push_back(na);
            }
        }
        bars->setData(keys, values, true);
        bars->addToLegend(m_gradLegend);
        m_gradBars.push_back(bars);
    }
    if (gLo == 0.0 && gHi == 0.0) {
        gLo = -1.0;
        gHi = 1.0;
    }
    const double pad = (gHi - gLo) * 0.12;
    m_gradRect->axis(QCPAxis::atLeft)->setRange(gLo - (gLo < 0 ? pad : 0.0), gHi + pad);
    m_gradLegend->setVisible(objectives > 0);
    m_plot->replot();
}

DataTable DistributionView::exportData() const
{
    DataTable table;
    table.title = m_hasToken ? tr("Distribution at position %1").arg(m_token.position) : tr("Distribution");
    table.columns = {QStringLiteral("id"), QStringLiteral("token"), QStringLiteral("q"), QStringLiteral("cost"),
                     QStringLiteral("gold")};
    for (const QString& key : m_objectives)
        table.columns << QStringLiteral("g_%1").arg(key);
    for (size_t i = 0; i < m_columns.size(); ++i) {
        const Column& c = m_columns[i];
        QVector<QVariant> row = {QVariant::fromValue<qlonglong>(c.id), c.label,
                                 c.q ? QVariant(*c.q) : QVariant(), c.cost ? QVariant(*c.cost) : QVariant(), c.gold};
        for (const auto& values : m_gradients)
            row.push_back(values[i] ? QVariant(*values[i]) : QVariant());
        table.rows.push_back(row);
    }
    return table;
}

} // namespace emo::widgets
