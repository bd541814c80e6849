#include "inspector_view.h"
#include "distribution_view.h"
#include "plot_export.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QShortcut>
#include <QSplitter>
#include <QVBoxLayout>

namespace emo::widgets {

InspectorView::InspectorView(QWidget* parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("inspectorView"));

    m_input = new QPlainTextEdit(this);
    m_input->setObjectName(QStringLiteral("inspectInput"));
    m_input->setPlaceholderText(tr("Type or paste text to see how surprising each token is to the model…"));
    m_input->setTabChangesFocus(true);
    const int lineHeight = m_input->fontMetrics().lineSpacing();
    m_input->setFixedHeight(lineHeight * 4 + m_input->frameWidth() * 2 + int(m_input->document()->documentMargin() * 2));

    m_inspect = new QPushButton(tr("Inspect"), this);
    m_inspect->setObjectName(QStringLiteral("inspectButton"));
    m_inspect->setToolTip(tr("Run the model over the text (Ctrl+Return)"));
    m_inspect->setDefault(true);
    connect(m_inspect, &QPushButton::clicked, this, &InspectorView::requestInspect);
    // Shortcuts outrank the text edit's key handling, so Ctrl+Return inspects instead of adding a line.
    auto* shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
    shortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(shortcut, &QShortcut::activated, this, &InspectorView::requestInspect);
    auto* shortcutEnter = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Enter), this);
    shortcutEnter->setContext(Qt::WidgetWithChildrenShortcut);
    connect(shortcutEnter, &QShortcut::activated, this, &InspectorView::requestInspect);

    m_colorBy = new QComboBox(this);
    m_colorBy->setObjectName(QStringLiteral("colorByCombo"));
    m_colorBy->addItem(tr("CE"), int(TokenStrip::Measure::Ce));
    m_colorBy->addItem(tr("DEMD"), int(TokenStrip::Measure::Demd));
    m_colorBy->addItem(tr("CE \u2212 DEMD"), int(TokenStrip::Measure::Difference));
    m_colorBy->setToolTip(tr("Colour tokens by cross-entropy, by DEMD (expected embedding cost of the model's "
                             "guess to the gold token), or by their difference"));
    auto* colorLabel = new QLabel(tr("Colour by:"), this);
    colorLabel->setBuddy(m_colorBy);

    m_busyBar = new QProgressBar(this);
    m_busyBar->setObjectName(QStringLiteral("inspectBusy"));
    m_busyBar->setRange(0, 0);  // indeterminate
    m_busyBar->setTextVisible(false);
    m_busyBar->setVisible(false);

    auto* controls = new QVBoxLayout;
    controls->addWidget(m_inspect);
    auto* colorRow = new QHBoxLayout;
    colorRow->addWidget(colorLabel);
    colorRow->addWidget(m_colorBy, 1);
    controls->addLayout(colorRow);
    controls->addWidget(m_busyBar);
    controls->addStretch(1);
    auto* top = new QHBoxLayout;
    top->addWidget(m_input, 1);
    top->addLayout(controls);

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("inspectSummary"));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_strip = new TokenStrip;
    m_stripScroll = new QScrollArea(this);
    m_stripScroll->setObjectName(QStringLiteral("tokenStripScroll"));
    m_stripScroll->setWidget(m_strip);
    m_stripScroll->setWidgetResizable(true);
    m_stripScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_stripScroll->setMinimumHeight(m_strip->minimumSizeHint().height() + 2 * m_stripScroll->frameWidth());

    m_distribution = new DistributionView(this);

    m_results = new QSplitter(Qt::Vertical, this);
    m_results->setObjectName(QStringLiteral("inspectResults"));
    m_results->addWidget(m_stripScroll);
    m_results->addWidget(m_distribution);
    m_results->setStretchFactor(0, 1);
    m_results->setStretchFactor(1, 2);
    m_results->setChildrenCollapsible(false);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_summary);
    layout->addWidget(m_results, 1);

    connect(m_colorBy, &QComboBox::currentIndexChanged, this, [this] {
        m_strip->setMeasure(TokenStrip::Measure(m_colorBy->currentData().toInt()));
    });
    connect(m_strip, &TokenStrip::tokenSelected, this, &InspectorView::selectToken);

    installExportMenu(m_strip, [this] { return exportData(); });
    installExportMenu(m_distribution->plot(), [this] { return m_distribution->exportData(); });

    updateSummary();
}

QString InspectorView::text() const
{
    return m_input->toPlainText();
}

void InspectorView::setText(const QString& text)
{
    m_input->setPlainText(text);
}

QString InspectorView::summaryText() const
{
    return m_summary->text();
}

void InspectorView::requestInspect()
{
    const QString t = text();
    if (m_busy || t.trimmed().isEmpty())
        return;
    Q_EMIT inspectRequested(t);
}

void InspectorView::setBusy(bool busy)
{
    m_busy = busy;
    m_inspect->setEnabled(!busy);
    m_inspect->setText(busy ? tr("Inspecting…") : tr("Inspect"));
    m_input->setReadOnly(busy);
    m_busyBar->setVisible(busy);
    if (busy)
        setCursor(Qt::BusyCursor);
    else
        unsetCursor();
}

void InspectorView::setReport(const emo::inspect::InspectReport& report)
{
    m_report = report;
    m_strip->setReport(report);
    m_distribution->clear();
    updateSummary();
}

void InspectorView::selectToken(int index)
{
    if (index < 0 || size_t(index) >= m_report.tokens.size()) {
        m_strip->setSelectedIndex(-1);
        m_distribution->clear();
        return;
    }
    if (m_strip->selectedIndex() != index)
        m_strip->setSelectedIndex(index);
    m_distribution->setToken(m_report.tokens[size_t(index)]);
}

void InspectorView::updateSummary()
{
    const auto& s = m_report.summary;
    if (m_report.tokens.empty() && s.tokens == 0) {
        m_summary->setText(tr("No report yet."));
        return;
    }
    m_summary->setText(tr("Mean CE %1 nats · mean DEMD %2 · perplexity %3 · %4 tokens")
                           .arg(TokenStrip::formatValue(s.meanCe), TokenStrip::formatValue(s.meanDemd),
                                QString::number(s.perplexity, 'f', 2))
                           .arg(s.tokens));
}

QWidget* InspectorView::exportWidget()
{
    return m_results;
}

DataTable InspectorView::exportData() const
{
    DataTable table;
    table.title = tr("Token inspector");
    table.columns = {QStringLiteral("position"), QStringLiteral("token"), QStringLiteral("ce"), QStringLiteral("demd"),
                     QStringLiteral("p_gold")};
    for (const auto& t : m_report.tokens)
        table.rows.push_back({QVariant::fromValue<qlonglong>(t.position), QString::fromStdString(t.text), t.ce, t.demd,
                              t.pGold});
    return table;
}

} // namespace emo::widgets
