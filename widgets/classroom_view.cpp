#include "classroom_view.h"

#include "plot_export.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>

namespace emo::widgets {

namespace {
using Objective = ClassroomToy::Objective;
constexpr int kStepsPerTick = 10;   // Run: steps per timer tick, so a fit takes seconds, not minutes
constexpr int kTickMs = 40;
const QColor kTargetColor(120, 160, 210);
const QColor kGapColor(235, 200, 200);
const QColor kMleColor(220, 110, 20);
const QColor kTransportColor(20, 150, 80);
} // namespace

ClassroomView::ClassroomView(QWidget* parent)
    : QWidget(parent)
{
    // Large fonts: this view is meant to be projected.
    QFont big = font();
    big.setPointSizeF(std::max(big.pointSizeF(), 9.0) * 1.3);
    setFont(big);

    m_plot = new QCustomPlot(this);
    m_plot->setObjectName("classroomPlot");
    m_plot->setMinimumSize(520, 360);
    QFont plotFont = big;
    m_plot->setFont(plotFont);
    QCPAxisRect* main = m_plot->axisRect();
    for (QCPAxis* axis : {main->axis(QCPAxis::atBottom), main->axis(QCPAxis::atLeft)}) {
        axis->setTickLabelFont(plotFont);
        axis->setLabelFont(plotFont);
    }
    main->axis(QCPAxis::atBottom)->setLabel(tr("position x (distance between two points = |x − x′|)"));
    main->axis(QCPAxis::atLeft)->setLabel(tr("probability"));

    m_gapBars = new QCPBars(main->axis(QCPAxis::atBottom), main->axis(QCPAxis::atLeft));
    m_gapBars->setName(tr("gaps: p < 10 % of its peak"));
    m_gapBars->setPen(Qt::NoPen);
    m_gapBars->setBrush(kGapColor);
    m_targetBars = new QCPBars(main->axis(QCPAxis::atBottom), main->axis(QCPAxis::atLeft));
    m_targetBars->setName(tr("data p"));
    m_targetBars->setPen(QPen(kTargetColor.darker(120)));
    m_targetBars->setBrush(kTargetColor);
    QCPGraph* mleGraph = m_plot->addGraph(main->axis(QCPAxis::atBottom), main->axis(QCPAxis::atLeft));
    mleGraph->setName(tr("MLE model"));
    mleGraph->setPen(QPen(kMleColor, 4));
    QCPGraph* transportGraph = m_plot->addGraph(main->axis(QCPAxis::atBottom), main->axis(QCPAxis::atLeft));
    transportGraph->setPen(QPen(kTransportColor, 4));
    // Beside the plot: the ground metric as a small heat map (C(i,j), dark = close, light = far). Under the plot:
    // the legend in two columns, so neither covers the curves.
    auto* column = new QCPLayoutGrid;
    m_plot->plotLayout()->addElement(0, 1, column);
    m_plot->plotLayout()->setColumnStretchFactor(0, 4.0);
    m_plot->plotLayout()->setColumnStretchFactor(1, 1.0);
    auto* costRect = new QCPAxisRect(m_plot);
    column->addElement(0, 0, costRect);
    costRect->setMaximumSize(QSize(190, 190));
    costRect->setMinimumSize(QSize(130, 130));
    column->addElement(1, 0, new QCPLayoutElement(m_plot));  // takes the rest of the height
    column->setRowStretchFactor(0, 0.01);
    column->setRowStretchFactor(1, 1.0);
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(plotFont);
    m_plot->legend->setWrap(2);  // before setFillOrder, which re-lays the items out
    m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
    m_plot->legend->setBorderPen(Qt::NoPen);
    main->insetLayout()->take(m_plot->legend);
    auto* legendRow = new QCPLayoutGrid;
    m_plot->plotLayout()->addElement(1, 0, legendRow);
    m_plot->plotLayout()->setRowStretchFactor(1, 0.001);
    legendRow->addElement(0, 0, m_plot->legend);
    legendRow->setMargins(QMargins(0, 0, 0, 6));
    QFont small = plotFont;
    small.setPointSizeF(plotFont.pointSizeF() * 0.8);
    for (QCPAxis* axis : {costRect->axis(QCPAxis::atBottom), costRect->axis(QCPAxis::atLeft)}) {
        axis->setTickLabelFont(small);
        axis->setLabelFont(small);
        axis->setRange(0.0, 1.0);
        axis->ticker()->setTickCount(2);
    }
    costRect->axis(QCPAxis::atBottom)->setLabel(tr("ground metric C(x, x′)\n(dark = near)"));
    m_costMap = new QCPColorMap(costRect->axis(QCPAxis::atBottom), costRect->axis(QCPAxis::atLeft));
    m_costMap->setGradient(QCPColorGradient(QCPColorGradient::gpGrayscale));
    m_costMap->setInterpolate(false);

    installExportMenu(m_plot, [this] { return exportData(); });

    // Controls.
    auto* controls = new QGroupBox(tr("Set-up"), this);
    m_modes = new QSpinBox(controls);
    m_modes->setObjectName("modesSpin");
    m_modes->setRange(1, 5);
    m_modes->setValue(3);
    m_separation = new QDoubleSpinBox(controls);
    m_separation->setObjectName("separationSpin");
    m_separation->setRange(0.05, 0.45);
    m_separation->setSingleStep(0.05);
    m_separation->setValue(0.25);
    m_width = new QDoubleSpinBox(controls);
    m_width->setObjectName("widthSpin");
    m_width->setDecimals(3);
    m_width->setRange(0.01, 0.15);
    m_width->setSingleStep(0.01);
    m_width->setValue(0.04);
    m_capacity = new QSpinBox(controls);
    m_capacity->setObjectName("capacitySpin");
    m_capacity->setRange(1, 12);
    m_capacity->setValue(2);
    m_capacity->setToolTip(tr("The model's logits are a polynomial of this degree: 2 = one bell curve"));
    m_stepSize = new QDoubleSpinBox(controls);
    m_stepSize->setObjectName("stepSizeSpin");
    m_stepSize->setRange(0.01, 10.0);
    m_stepSize->setSingleStep(0.1);
    m_stepSize->setValue(1.0);
    m_reach = new QDoubleSpinBox(controls);
    m_reach->setObjectName("reachSpin");
    m_reach->setRange(0.05, 1.0);
    m_reach->setSingleStep(0.05);
    m_reach->setValue(1.0);
    m_reach->setToolTip(tr("Distances are capped at this value in EMO's and DEMD's cost (1 = plain |x − x′|)"));
    m_objective = new QComboBox(controls);
    m_objective->setObjectName("objectiveCombo");
    m_objective->addItem(tr("EMO (the paper's loss)"), int(Objective::Emo));
    m_objective->addItem(tr("DEMD only"), int(Objective::Demd));
    m_objective->addItem(tr("Exact EMD, W1(q, p)"), int(Objective::ExactEmd));
    auto* form = new QFormLayout(controls);
    form->addRow(tr("Modes of the data"), m_modes);
    form->addRow(tr("Mode separation"), m_separation);
    form->addRow(tr("Mode width"), m_width);
    form->addRow(tr("Model capacity K"), m_capacity);
    form->addRow(tr("Step size"), m_stepSize);
    form->addRow(tr("Cost cap"), m_reach);
    form->addRow(tr("Compare MLE with"), m_objective);

    auto* stepButton = new QPushButton(tr("Step"), this);
    stepButton->setObjectName("stepButton");
    m_runButton = new QPushButton(tr("Run"), this);
    m_runButton->setObjectName("runButton");
    m_runButton->setCheckable(true);
    auto* resetButton = new QPushButton(tr("Reset"), this);
    resetButton->setObjectName("resetButton");
    m_stepLabel = new QLabel(this);
    m_stepLabel->setObjectName("stepLabel");
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(stepButton);
    buttons->addWidget(m_runButton);
    buttons->addWidget(resetButton);
    buttons->addWidget(m_stepLabel, 1);

    m_metrics = new QTableWidget(5, 2, this);
    m_metrics->setObjectName("metricsTable");
    m_metrics->setVerticalHeaderLabels({tr("Mass in the gaps ↓"), tr("Modes covered ↑"), tr("KL(p‖q): recall ↓"),
                                        tr("KL(q‖p): precision ↓"), tr("W1(q, p) ↓")});
    m_metrics->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_metrics->setSelectionMode(QAbstractItemView::NoSelection);
    m_metrics->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_metrics->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_metrics->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_metrics->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_metrics->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);

    m_explanation = new QLabel(this);
    m_explanation->setObjectName("classroomExplanation");
    m_explanation->setWordWrap(true);
    m_explanation->setTextFormat(Qt::RichText);

    auto* side = new QVBoxLayout;
    side->addWidget(controls);
    side->addLayout(buttons);
    side->addWidget(m_metrics);
    side->addStretch();
    auto* top = new QHBoxLayout;
    top->addWidget(m_plot, 3);
    top->addLayout(side, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top, 1);
    layout->addWidget(m_explanation);

    m_timer = new QTimer(this);
    m_timer->setInterval(kTickMs);
    connect(m_timer, &QTimer::timeout, this, [this] { runSteps(kStepsPerTick); });
    connect(stepButton, &QPushButton::clicked, this, &ClassroomView::stepOnce);
    connect(m_runButton, &QPushButton::toggled, this, &ClassroomView::setRunning);
    connect(resetButton, &QPushButton::clicked, this, &ClassroomView::reset);
    for (QSpinBox* box : {m_modes, m_capacity})
        connect(box, &QSpinBox::valueChanged, this, [this] { applySettings(); });
    for (QDoubleSpinBox* box : {m_separation, m_width, m_reach})
        connect(box, &QDoubleSpinBox::valueChanged, this, [this] { applySettings(); });
    connect(m_objective, &QComboBox::currentIndexChanged, this, [this] {
        m_transportObjective = Objective(m_objective->currentData().toInt());
        applySettings();
    });
    applySettings();
}

ClassroomToy& ClassroomView::toy(Objective objective)
{
    return objective == Objective::Mle ? m_mle : m_transport;
}

double ClassroomView::stepSize() const { return m_stepSize->value(); }

bool ClassroomView::isRunning() const { return m_timer->isActive(); }

QString ClassroomView::transportName() const
{
    switch (m_transportObjective) {
    case Objective::Emo: return tr("EMO model");
    case Objective::Demd: return tr("DEMD model");
    case Objective::ExactEmd: return tr("W1 model");
    case Objective::Mle: break;
    }
    return tr("MLE model");
}

void ClassroomView::applySettings()
{
    const auto modes = ClassroomToy::evenModes(m_modes->value(), m_separation->value(), m_width->value());
    for (ClassroomToy* toy : {&m_mle, &m_transport}) {
        toy->setModes(modes);
        toy->setCapacity(m_capacity->value());
        toy->setReach(m_reach->value());  // also resets: both start from the same uniform q
    }
    refresh();
}

void ClassroomView::stepOnce() { runSteps(1); }

void ClassroomView::runSteps(int count)
{
    for (int s = 0; s < count; ++s) {
        m_mle.step(Objective::Mle, stepSize());
        m_transport.step(m_transportObjective, stepSize());
    }
    refresh();
}

void ClassroomView::reset()
{
    m_mle.reset();
    m_transport.reset();
    refresh();
}

void ClassroomView::setRunning(bool running)
{
    if (running)
        m_timer->start();
    else
        m_timer->stop();
    const QSignalBlocker block(m_runButton);
    m_runButton->setChecked(running);
    m_runButton->setText(running ? tr("Pause") : tr("Run"));
}

void ClassroomView::setModeCount(int count) { m_modes->setValue(count); }
void ClassroomView::setSeparation(double separation) { m_separation->setValue(separation); }
void ClassroomView::setModeWidth(double width) { m_width->setValue(width); }
void ClassroomView::setCapacity(int capacity) { m_capacity->setValue(capacity); }
void ClassroomView::setStepSize(double stepSize) { m_stepSize->setValue(stepSize); }
void ClassroomView::setReach(double reach) { m_reach->setValue(reach); }

void ClassroomView::setTransportObjective(Objective objective)
{
    const int index = m_objective->findData(int(objective));
    if (index >= 0)
        m_objective->setCurrentIndex(index);
}

void ClassroomView::refresh()
{
    const std::vector<double>& x = m_mle.support();
    const std::vector<double>& p = m_mle.target();
    const std::vector<double> qMle = m_mle.model();
    const std::vector<double> qTransport = m_transport.model();
    const std::vector<bool> gaps = m_mle.gapMask();
    const int n = int(x.size());

    QVector<double> keys(n), target(n), mle(n), transport(n), gapHeight(n);
    double top = 0.0;
    for (int i = 0; i < n; ++i) {
        keys[i] = x[size_t(i)];
        target[i] = p[size_t(i)];
        mle[i] = qMle[size_t(i)];
        transport[i] = qTransport[size_t(i)];
        top = std::max({top, target[i], mle[i], transport[i]});
    }
    for (int i = 0; i < n; ++i)
        gapHeight[i] = gaps[size_t(i)] ? top * 1.15 : 0.0;
    const double width = m_mle.spacing() * 0.9;
    m_gapBars->setWidth(m_mle.spacing());
    m_gapBars->setData(keys, gapHeight, true);
    m_targetBars->setWidth(width);
    m_targetBars->setData(keys, target, true);
    m_plot->graph(0)->setData(keys, mle, true);
    m_plot->graph(1)->setData(keys, transport, true);
    m_plot->graph(1)->setName(transportName());
    QCPAxisRect* main = m_plot->axisRect(0);
    main->axis(QCPAxis::atBottom)->setRange(-0.5 * m_mle.spacing(), 1.0 + 0.5 * m_mle.spacing());
    main->axis(QCPAxis::atLeft)->setRange(0.0, top * 1.15);

    // The heat map shows the cost the transport objective uses (capped when the cost cap < 1).
    m_costMap->data()->setSize(n, n);
    m_costMap->data()->setRange(QCPRange(0.0, 1.0), QCPRange(0.0, 1.0));
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
            m_costMap->data()->setCell(i, j, m_mle.cost(i, j));
    m_costMap->setDataRange(QCPRange(0.0, 1.0));
    m_plot->replot();

    m_metrics->setHorizontalHeaderLabels({tr("MLE"), transportName().section(QLatin1Char(' '), 0, 0)});
    const auto cell = [this](int row, int column, const QString& text, const QColor& color) {
        auto* item = new QTableWidgetItem(text);
        item->setTextAlignment(Qt::AlignCenter);
        item->setForeground(color.darker(130));
        m_metrics->setItem(row, column, item);
    };
    const ClassroomToy* toys[2] = {&m_mle, &m_transport};
    const QColor colors[2] = {kMleColor, kTransportColor};
    for (int c = 0; c < 2; ++c) {
        const ClassroomToy& t = *toys[c];
        cell(0, c, QString::number(t.gapMass() * 100.0, 'f', 1) + QStringLiteral(" %"), colors[c]);
        cell(1, c, tr("%1 of %2").arg(qRound(t.modeCoverage() * double(t.modes().size()))).arg(t.modes().size()),
             colors[c]);
        cell(2, c, QString::number(t.forwardKl(), 'f', 3), colors[c]);
        cell(3, c, QString::number(t.reverseKl(), 'f', 3), colors[c]);
        cell(4, c, QString::number(t.w1(), 'f', 4), colors[c]);
    }
    m_stepLabel->setText(tr("step %1").arg(m_mle.steps()));
    int tableHeight = m_metrics->horizontalHeader()->sizeHint().height() + 2 * m_metrics->frameWidth();
    for (int row = 0; row < m_metrics->rowCount(); ++row)
        tableHeight += m_metrics->verticalHeader()->sectionSize(row);
    m_metrics->setFixedHeight(tableHeight);

    QString transportText;
    switch (m_transportObjective) {
    case Objective::Emo:
        transportText = tr("<b style='color:#149650'>EMO</b> (the paper's loss) adds to half the cross-entropy the "
                           "<i>transport cost</i> of moving the model's guess onto the observed point, "
                           "Σ<sub>x</sub> q(x)·C(x, y), scaled to the cross-entropy's size. Mass far from the data "
                           "now costs in proportion to its distance, so the model keeps its mass nearer the data "
                           "(precision) and gives up some of the far-out modes. Its cheapest place is the median of the data: with an even "
                           "number of modes that lies in a gap, so the effect reverses (try 2 modes).");
        break;
    case Objective::Demd:
        transportText = tr("<b style='color:#149650'>DEMD alone</b> only pays the transport cost "
                           "Σ<sub>x</sub> q(x)·C(x, y): the cheapest place for all mass is the middle of the data, so "
                           "precision rises and recall falls. That is why the paper trains it together with MLE.");
        break;
    case Objective::ExactEmd:
    case Objective::Mle:
        transportText = tr("<b style='color:#149650'>Exact EMD</b> minimises the true earth mover distance "
                           "W1(q, p) under |x − x′|: the least total distance the model's mass must travel to "
                           "become the data.");
        break;
    }
    m_explanation->setText(
        tr("<b style='color:#dc6e14'>MLE</b> minimises KL(p‖q): every observed point y must get probability, or "
           "the loss −log q(y) explodes. A model that cannot draw every peak (small K) covers all modes "
           "(<b>recall</b>) and fills the gaps between them.")
        + QStringLiteral("<br>") + transportText);
}

QWidget* ClassroomView::exportWidget() { return m_plot; }

DataTable ClassroomView::exportData() const
{
    DataTable table;
    table.title = tr("Classroom: recall vs precision (step %1)").arg(m_mle.steps());
    const QString transportColumn = m_transportObjective == Objective::Emo       ? QStringLiteral("q_emo")
                                    : m_transportObjective == Objective::Demd    ? QStringLiteral("q_demd")
                                                                                 : QStringLiteral("q_w1");
    table.columns = {QStringLiteral("x"), QStringLiteral("p"), QStringLiteral("q_mle"), transportColumn,
                     QStringLiteral("gap")};
    const std::vector<double> qMle = m_mle.model();
    const std::vector<double> qTransport = m_transport.model();
    const std::vector<bool> gaps = m_mle.gapMask();
    for (size_t i = 0; i < qMle.size(); ++i)
        table.rows.push_back({m_mle.support()[i], m_mle.target()[i], qMle[i], qTransport[i], bool(gaps[i])});
    return table;
}

} // namespace emo::widgets
