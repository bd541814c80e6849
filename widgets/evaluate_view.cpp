#include "evaluate_view.h"

#include "plot_export.h"

#include "eval/metric_catalog.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QImageReader>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextBrowser>
#include <QTextStream>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace emo::widgets {

namespace {

// ~/emo-experiments/<kind>-<scale>: where the view's experiment writes unless the user names another folder.
QString defaultExperimentFolder(const QString& kind, const QString& scale)
{
    return QDir::home().filePath(QStringLiteral("emo-experiments/") + kind + QLatin1Char('-') + scale);
}

using emo::eval::EvalReport;
using emo::eval::MetricValue;

// The metric requests checked when the view opens (the catalog, eval/metric_catalog.h, has the others).
const char* const kCheckedByDefault[] = {"ppl", "mauve", "rouge"};

// A request's check box text and tooltip from its values in the catalog ("rouge" → "ROUGE-1 / ROUGE-L").
QString requestLabel(const std::string& request)
{
    QStringList labels;
    for (const auto* m : emo::eval::metricsOfRequest(request))
        labels << QString::fromUtf8(m->label);
    return labels.join(QStringLiteral(" / "));
}

QString requestTooltip(const std::string& request)
{
    // One line: "ROUGE-1: …; ROUGE-L: … (higher is better)" (a request's values share a direction).
    const auto metrics = emo::eval::metricsOfRequest(request);
    if (metrics.size() == 1)
        return QString::fromStdString(emo::eval::metricTooltip(metrics[0]->name));
    QStringList parts;
    for (const auto* m : metrics)
        parts << QStringLiteral("%1: %2").arg(QString::fromUtf8(m->label), QString::fromUtf8(m->description));
    return parts.join(QStringLiteral("; ")) +
           (metrics.empty() ? QString() : metrics[0]->lowerIsBetter ? QStringLiteral(" (lower is better)")
                                                                    : QStringLiteral(" (higher is better)"));
}

// Distinct, colour-blind-friendly model colours (Okabe–Ito), as in the Train view.
QColor modelColour(int index)
{
    static const QColor colours[] = {QColor(0, 114, 178), QColor(213, 94, 0), QColor(0, 158, 115), QColor(204, 121, 167),
                                     QColor(230, 159, 0), QColor(86, 180, 233), QColor(120, 120, 120)};
    return colours[index % 7];
}

QIcon swatch(const QColor& colour)
{
    QPixmap pixmap(12, 12);
    pixmap.fill(colour);
    return QIcon(pixmap);
}

// The report columns in table order: the known metrics first, then any other name as it first appears.
QStringList columnNames(const QVector<EvalReport>& reports)
{
    QStringList present;
    for (const auto& r : reports)
        for (const auto& m : r.metrics) {
            const QString name = QString::fromStdString(m.name);
            if (!present.contains(name))
                present << name;
        }
    QStringList ordered;  // the catalog's order, then names it does not know
    for (const auto& m : emo::eval::metricCatalog())
        if (present.contains(QLatin1String(m.name)))
            ordered << QLatin1String(m.name);
    for (const auto& name : present)
        if (!ordered.contains(name))
            ordered << name;
    return ordered;
}

const MetricValue* findMetric(const EvalReport& report, const QString& name)
{
    for (const auto& m : report.metrics)
        if (QString::fromStdString(m.name) == name)
            return &m;
    return nullptr;
}

} // namespace

EvaluateView::EvaluateView(QWidget* parent)
    : QWidget(parent)
{
    // --- Inputs -------------------------------------------------------------------------------------
    auto* inputs = new QWidget(this);

    auto* modelsBox = new QGroupBox(tr("Models"), inputs);
    m_models = new QListWidget(modelsBox);
    m_models->setObjectName("modelList");
    m_models->setToolTip(tr("Check the models to evaluate; each becomes a row of the results"));
    m_models->setMinimumHeight(70);
    m_models->setMaximumHeight(110);
    auto* addFolder = new QPushButton(tr("Add folder…"), modelsBox);
    addFolder->setObjectName("addModelButton");
    auto* modelsLayout = new QVBoxLayout(modelsBox);
    modelsLayout->addWidget(m_models);
    modelsLayout->addWidget(addFolder, 0, Qt::AlignLeft);

    auto* dataBox = new QGroupBox(tr("Data and oracle"), inputs);
    m_data = new QComboBox(dataBox);
    m_data->setObjectName("dataCombo");
    m_data->setEditable(true);
    m_data->setInsertPolicy(QComboBox::NoInsert);
    m_data->lineEdit()->setPlaceholderText(tr("Text or JSONL file with the human texts"));
    m_data->setToolTip(tr("Each text gives a prefix (the prompt) and its human continuation (the reference)"));
    auto* openData = new QPushButton(tr("Open file…"), dataBox);
    openData->setObjectName("openDataButton");
    auto* dataRow = new QHBoxLayout;
    dataRow->addWidget(m_data, 1);
    dataRow->addWidget(openData);
    m_oracle = new QComboBox(dataBox);
    m_oracle->setObjectName("oracleCombo");
    m_oracle->addItem(tr("none"), QString());
    m_oracle->setToolTip(tr("Reference model: scores oracle perplexity and the cross-entropies, and embeds texts "
                            "for MAUVE"));
    auto* dataForm = new QFormLayout(dataBox);
    dataForm->setRowWrapPolicy(QFormLayout::WrapAllRows);  // long data-set names get the full width
    dataForm->addRow(tr("Data set"), dataRow);
    dataForm->addRow(tr("Oracle / features"), m_oracle);

    auto* metricsBox = new QGroupBox(tr("Metrics"), inputs);
    auto* metricsGrid = new QGridLayout(metricsBox);
    int index = 0;
    for (const std::string& request : emo::eval::metricRequests()) {
        const QString key = QString::fromStdString(request);
        auto* box = new QCheckBox(requestLabel(request), metricsBox);
        box->setObjectName(QStringLiteral("metric_%1").arg(key));
        box->setProperty("metricKey", key);
        box->setToolTip(requestTooltip(request));
        box->setChecked(std::any_of(std::begin(kCheckedByDefault), std::end(kCheckedByDefault),
                                    [&](const char* k) { return request == k; }));
        metricsGrid->addWidget(box, index / 2, index % 2);
        m_metricBoxes << box;
        ++index;
    }

    auto* protocolBox = new QGroupBox(tr("Protocol"), inputs);
    auto makeSpin = [protocolBox](const char* name, int min, int max, int value, const QString& tip) {
        auto* spin = new QSpinBox(protocolBox);
        spin->setObjectName(QLatin1String(name));
        spin->setRange(min, max);
        spin->setValue(value);
        spin->setToolTip(tip);
        return spin;
    };
    const EvalProtocol defaults;
    m_prefixWords = makeSpin("prefixWordsSpin", 1, 10000, defaults.prefixWords,
                             tr("Words of each text given to the model as the prompt"));
    m_continuationWords = makeSpin("continuationWordsSpin", 1, 100000, defaults.continuationWords,
                                   tr("Words of the human continuation kept as the reference; models write about as many"));
    m_samples = makeSpin("samplesSpin", 1, 1000, defaults.samples, tr("Continuations sampled per prefix"));
    m_seeds = makeSpin("seedsSpin", 1, 100, defaults.seeds,
                       tr("Repeats with different seeds; the table shows mean ± std over them"));
    m_maxPrefixes = makeSpin("maxPrefixesSpin", 0, 10000000, defaults.maxPrefixes,
                             tr("Use at most this many texts of the data set (0: all)"));
    m_maxPrefixes->setSpecialValueText(tr("all"));
    m_official = new QCheckBox(tr("Official protocol (the EMO repository's)"), protocolBox);
    m_official->setObjectName("officialProtocolBox");
    m_official->setToolTip(tr("Fixed-length samples, MAUVE once per sample index and averaged, oracle perplexity "
                              "of prefix + continuation, ROUGE without stemming. Off: samples stop at EOS and are "
                              "cut to the reference's words, MAUVE over all samples at once."));
    auto* protocolForm = new QFormLayout(protocolBox);
    protocolForm->addRow(tr("Prefix words"), m_prefixWords);
    protocolForm->addRow(tr("Continuation words"), m_continuationWords);
    protocolForm->addRow(tr("Samples per prefix"), m_samples);
    protocolForm->addRow(tr("Seeds"), m_seeds);
    protocolForm->addRow(tr("Max prefixes"), m_maxPrefixes);
    protocolForm->addRow(m_official);

    m_run = new QPushButton(tr("Run"), inputs);
    m_run->setObjectName("runButton");
    m_run->setDefault(true);
    m_cancel = new QPushButton(tr("Cancel"), inputs);
    m_cancel->setObjectName("cancelButton");
    m_cancel->setEnabled(false);
    auto* experimentBox = new QGroupBox(tr("Experiments (the paper's Tables 1 and 2, Figure 2)"), inputs);
    m_experimentKind = new QComboBox(experimentBox);
    m_experimentKind->setObjectName("experimentKindCombo");
    m_experimentKind->addItem(tr("oracle: precision and recall (Table 2)"), QStringLiteral("oracle"));
    m_experimentKind->addItem(tr("domains: MAUVE on six corpora (Table 1, Figure 2)"), QStringLiteral("domains"));
    m_experimentKind->setToolTip(tr("oracle: an oracle model's samples as data, scored by oracle perplexity, MAUVE, ROUGE.\n"
                                    "domains: one base fine-tuned on six corpora, MAUVE against the human text and "
                                    "forward/reverse cross-entropy against a surrogate."));
    m_experimentScale = new QComboBox(experimentBox);
    m_experimentScale->setObjectName("experimentScaleCombo");
    m_experimentScale->addItem(tr("quick (about 10 min)"), QStringLiteral("quick"));
    m_experimentScale->addItem(tr("full (up to 2 h)"), QStringLiteral("full"));
    m_experimentScale->addItem(tr("micro (a smoke run, seconds)"), QStringLiteral("micro"));
    m_experimentFolder = new QLineEdit(experimentBox);
    m_experimentFolder->setObjectName("experimentFolderEdit");
    m_experimentFolder->setPlaceholderText(tr("results folder"));
    m_experimentFolder->setText(defaultExperimentFolder(QStringLiteral("oracle"), QStringLiteral("quick")));
    m_experimentFolder->setToolTip(tr("Where the experiment writes; running again on the same folder resumes it"));
    // The default folder follows the scale until the user types another.
    const auto followChoice = [this] {
        const QString current = QDir::fromNativeSeparators(m_experimentFolder->text());
        if (current.isEmpty() || current.startsWith(QDir::home().filePath(QStringLiteral("emo-experiments/"))))
            m_experimentFolder->setText(defaultExperimentFolder(experimentKind(), experimentScale()));
    };
    connect(m_experimentScale, &QComboBox::currentIndexChanged, this, followChoice);
    connect(m_experimentKind, &QComboBox::currentIndexChanged, this, followChoice);
    m_runExperiment = new QPushButton(tr("Run experiment"), experimentBox);
    m_runExperiment->setObjectName("runExperimentButton");
    m_runExperiment->setToolTip(tr("MLE, TaiLr, MixCE and EMO fine-tunes, scored with paired tests against MLE. "
                                   "Cancel keeps what is finished; running again on the folder resumes."));
    connect(m_runExperiment, &QPushButton::clicked, this, &EvaluateView::requestExperiment);
    auto* openResults = new QPushButton(tr("Open results…"), experimentBox);
    openResults->setObjectName("openResultsButton");
    openResults->setToolTip(tr("Show a folder written by `emo experiment oracle` or `domains` (results.md and its plots)"));
    auto* experimentButtons = new QHBoxLayout;
    experimentButtons->addWidget(m_runExperiment);
    experimentButtons->addWidget(openResults);
    auto* experimentForm = new QFormLayout(experimentBox);
    experimentForm->addRow(tr("Experiment"), m_experimentKind);
    experimentForm->addRow(tr("Scale"), m_experimentScale);
    experimentForm->addRow(tr("Folder"), m_experimentFolder);
    experimentForm->addRow(experimentButtons);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_run);
    buttons->addWidget(m_cancel);
    m_progress = new QProgressBar(inputs);
    m_progress->setObjectName("evalProgress");
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_status = new QLabel(tr("Idle."), inputs);
    m_status->setObjectName("evalStatus");
    m_status->setWordWrap(true);

    auto* inputLayout = new QVBoxLayout(inputs);
    inputLayout->addWidget(modelsBox);
    inputLayout->addWidget(dataBox);
    inputLayout->addWidget(metricsBox);
    inputLayout->addWidget(protocolBox);
    inputLayout->addLayout(buttons);
    inputLayout->addWidget(m_progress);
    inputLayout->addWidget(m_status);
    inputLayout->addWidget(experimentBox);
    inputLayout->addStretch();
    auto* inputScroll = new QScrollArea(this);
    inputScroll->setWidget(inputs);
    inputScroll->setWidgetResizable(true);
    inputScroll->setFrameShape(QFrame::NoFrame);
    inputScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    inputScroll->setMinimumWidth(qMax(320, inputs->sizeHint().width() + 20));

    // --- Results: table over the MAUVE curves -------------------------------------------------------
    auto* results = new QWidget(this);
    m_table = new QTableWidget(0, 0, results);
    m_table->setObjectName("resultsTable");
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->setFocusPolicy(Qt::NoFocus);
    m_table->setWordWrap(false);  // "mean ± std" on one line
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->setToolTip(tr("Mean ± std over seeds; the best value of each metric is in bold"));
    installExportMenu(m_table, [this] { return exportData(); });

    m_plot = new QCustomPlot(results);
    m_plot->setObjectName("mauvePlot");
    m_plot->setMinimumSize(400, 300);
    // The axes of the divergence curve in Pillutla et al. (2021): Q is the model, P the human text.
    m_plot->xAxis->setLabel(tr("exp(−c·KL(Q‖R_λ))   (Q: model text)"));
    m_plot->yAxis->setLabel(tr("exp(−c·KL(P‖R_λ))   (P: human text)"));
    m_plot->xAxis->setRange(0.0, 1.02);
    m_plot->yAxis->setRange(0.0, 1.02);
    m_plot->plotLayout()->insertRow(0);
    m_plot->plotLayout()->addElement(
        0, 0, new QCPTextElement(m_plot, tr("MAUVE divergence curves (area under a curve = MAUVE)"),
                                 QFont(font().family(), font().pointSize(), QFont::Bold)));
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(QFont(font().family(), qMax(7, font().pointSize() - 1)));
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignLeft);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    installExportMenu(m_plot, [this] { return exportData(); });

    auto* resultsLayout = new QVBoxLayout(results);
    resultsLayout->setContentsMargins(0, 0, 0, 0);
    resultsLayout->addWidget(m_table);
    resultsLayout->addWidget(m_plot, 1);

    // --- Experiment results: results.md over the PNG plots -------------------------------------------
    auto* experiment = new QWidget(this);
    m_resultsFolder = new QLabel(tr("No experiment folder open. Use “Open experiment results…”."), experiment);
    m_resultsFolder->setObjectName("resultsFolderLabel");
    m_resultsFolder->setWordWrap(true);
    m_resultsFolder->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_markdown = new QTextBrowser(experiment);
    m_markdown->setObjectName("resultsMarkdown");
    m_markdown->setOpenExternalLinks(true);
    m_images = new QWidget(experiment);
    m_imagesLayout = new QVBoxLayout(m_images);
    m_imagesLayout->addStretch();
    auto* imageScroll = new QScrollArea(experiment);
    imageScroll->setObjectName("resultsImages");
    imageScroll->setWidget(m_images);
    imageScroll->setWidgetResizable(true);
    auto* experimentSplitter = new QSplitter(Qt::Vertical, experiment);
    experimentSplitter->addWidget(m_markdown);
    experimentSplitter->addWidget(imageScroll);
    experimentSplitter->setSizes({230, 520});
    auto* experimentLayout = new QVBoxLayout(experiment);
    experimentLayout->setContentsMargins(0, 0, 0, 0);
    experimentLayout->addWidget(m_resultsFolder);
    experimentLayout->addWidget(experimentSplitter, 1);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName("evaluateTabs");
    m_tabs->addTab(results, tr("Results"));
    m_tabs->addTab(experiment, tr("Experiment results"));

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(inputScroll);
    splitter->addWidget(m_tabs);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({330, 870});
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    connect(addFolder, &QPushButton::clicked, this, &EvaluateView::chooseModelFolder);
    connect(openData, &QPushButton::clicked, this, &EvaluateView::chooseDataFile);
    connect(openResults, &QPushButton::clicked, this, &EvaluateView::chooseResultsFolder);
    connect(m_run, &QPushButton::clicked, this, &EvaluateView::requestEvaluate);
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_status->setText(tr("Cancelling…"));
        Q_EMIT cancelRequested();
    });
    rebuildTable();
}

void EvaluateView::setModelChoices(const QList<QPair<QString, QString>>& choices)
{
    m_modelChoices = choices;
    m_models->clear();
    const QString oracle = oraclePath();
    while (m_oracle->count() > 1)
        m_oracle->removeItem(1);
    for (const auto& [name, folder] : choices)
        addModelFolder(folder, name);
    const int oracleIndex = m_oracle->findData(oracle);
    m_oracle->setCurrentIndex(oracleIndex >= 0 ? oracleIndex : 0);
    rebuildTable();  // row names may have changed
    rebuildPlot();
}

void EvaluateView::setDataChoices(const QList<QPair<QString, QString>>& choices)
{
    const QString current = m_data->currentText();
    m_data->clear();
    for (const auto& [name, file] : choices) {
        m_data->addItem(name, file);
        m_data->setItemData(m_data->count() - 1, file, Qt::ToolTipRole);
    }
    if (current.isEmpty() && m_data->count() > 0)
        m_data->setCurrentIndex(0);
    else
        m_data->setEditText(current);
    m_data->lineEdit()->setCursorPosition(0);  // show the start of a long name
}

void EvaluateView::addModelFolder(const QString& folder, const QString& name)
{
    for (int i = 0; i < m_models->count(); ++i)
        if (m_models->item(i)->data(Qt::UserRole).toString() == folder) {
            m_models->item(i)->setCheckState(Qt::Checked);
            return;
        }
    const QString shown = name.isEmpty() ? QFileInfo(folder).fileName() : name;
    auto* item = new QListWidgetItem(shown, m_models);
    item->setData(Qt::UserRole, folder);
    item->setToolTip(folder);
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(Qt::Checked);
    m_oracle->addItem(shown, folder);
    m_oracle->setItemData(m_oracle->count() - 1, folder, Qt::ToolTipRole);
}

QStringList EvaluateView::checkedModelFolders() const
{
    QStringList folders;
    for (int i = 0; i < m_models->count(); ++i)
        if (m_models->item(i)->checkState() == Qt::Checked)
            folders << m_models->item(i)->data(Qt::UserRole).toString();
    return folders;
}

QString EvaluateView::dataPath() const
{
    // A listed name stands for its file; anything else typed is a path.
    const QString text = m_data->currentText().trimmed();
    const int index = m_data->findText(text);
    if (index >= 0)
        return m_data->itemData(index).toString();
    return text;
}

QString EvaluateView::oraclePath() const
{
    return m_oracle->currentData().toString();
}

QStringList EvaluateView::checkedMetrics() const
{
    QStringList keys;
    for (auto* box : m_metricBoxes)
        if (box->isChecked())
            keys << box->property("metricKey").toString();
    return keys;
}

void EvaluateView::setMetricChecked(const QString& key, bool checked)
{
    for (auto* box : m_metricBoxes)
        if (box->property("metricKey").toString() == key)
            box->setChecked(checked);
}

EvalProtocol EvaluateView::protocol() const
{
    EvalProtocol p;
    p.prefixWords = m_prefixWords->value();
    p.continuationWords = m_continuationWords->value();
    p.samples = m_samples->value();
    p.seeds = m_seeds->value();
    p.maxPrefixes = m_maxPrefixes->value();
    p.official = m_official->isChecked();
    return p;
}

void EvaluateView::setProtocol(const EvalProtocol& protocol)
{
    m_prefixWords->setValue(protocol.prefixWords);
    m_continuationWords->setValue(protocol.continuationWords);
    m_samples->setValue(protocol.samples);
    m_seeds->setValue(protocol.seeds);
    m_maxPrefixes->setValue(protocol.maxPrefixes);
    m_official->setChecked(protocol.official);
}

QString EvaluateView::experimentKind() const
{
    return m_experimentKind->currentData().toString();
}

void EvaluateView::setExperimentKind(const QString& kind)
{
    const int index = m_experimentKind->findData(kind);
    if (index >= 0)
        m_experimentKind->setCurrentIndex(index);
}

QString EvaluateView::experimentScale() const
{
    return m_experimentScale->currentData().toString();
}

QString EvaluateView::experimentFolder() const
{
    return m_experimentFolder->text().trimmed();
}

void EvaluateView::setExperimentFolder(const QString& folder)
{
    m_experimentFolder->setText(folder);
}

void EvaluateView::requestExperiment()
{
    if (m_busy)
        return;
    const QString folder = experimentFolder();
    if (folder.isEmpty()) {
        m_status->setText(tr("Choose a folder for the experiment's results first."));
        return;
    }
    m_status->setText(tr("Running the %1 experiment (%2) into %3…")
                          .arg(experimentKind(), experimentScale(), QDir::toNativeSeparators(folder)));
    Q_EMIT experimentRequested(experimentKind(), experimentScale(), folder);
}

int EvaluateView::metricColumn(const QString& metric) const
{
    for (int c = 0; c < m_table->columnCount(); ++c)
        if (m_table->horizontalHeaderItem(c)->data(Qt::UserRole).toString() == metric)
            return c;
    return -1;
}

int EvaluateView::modelRow(const QString& model) const
{
    for (int r = 0; r < m_reports.size(); ++r)
        if (QString::fromStdString(m_reports[r].model) == model)
            return r;
    return -1;
}

QString EvaluateView::formatMetric(double mean, double std, qint64 count)
{
    if (!std::isfinite(mean))
        return QStringLiteral("–");
    // Two decimals for perplexities and cross-entropies, three for scores in [0, 1], one past 1000.
    const double magnitude = std::fabs(mean);
    const int decimals = magnitude >= 1000.0 ? 1 : magnitude >= 1.0 ? 2 : 3;
    QString text = QString::number(mean, 'f', decimals);
    if (count > 1)
        text += QStringLiteral(" ± ") + QString::number(std, 'f', decimals);
    return text;
}

QString EvaluateView::displayName(const QString& folder) const
{
    for (const auto& [name, path] : m_modelChoices)
        if (path == folder)
            return name;
    const QString file = QFileInfo(folder).fileName();
    return file.isEmpty() ? folder : file;
}

void EvaluateView::addReport(const emo::eval::EvalReport& report)
{
    const int row = modelRow(QString::fromStdString(report.model));
    if (row >= 0)
        m_reports[row] = report;
    else
        m_reports.push_back(report);
    rebuildTable();
    rebuildPlot();
    m_tabs->setCurrentIndex(0);
}

void EvaluateView::clearReports()
{
    m_reports.clear();
    rebuildTable();
    rebuildPlot();
}

void EvaluateView::rebuildTable()
{
    const QStringList columns = columnNames(m_reports);
    m_table->clear();
    m_table->setColumnCount(columns.size());
    m_table->setRowCount(m_reports.size());
    for (int c = 0; c < columns.size(); ++c) {
        const std::string name = columns[c].toStdString();
        auto* item = new QTableWidgetItem(QString::fromStdString(emo::eval::metricHeader(name)));
        item->setData(Qt::UserRole, columns[c]);
        item->setToolTip(QString::fromStdString(emo::eval::metricTooltip(name)));
        m_table->setHorizontalHeaderItem(c, item);
    }
    for (int r = 0; r < m_reports.size(); ++r) {
        const EvalReport& report = m_reports[r];
        const QString folder = QString::fromStdString(report.model);
        auto* header = new QTableWidgetItem(swatch(modelColour(r)), displayName(folder));
        header->setToolTip(tr("%1\non %2").arg(folder, QString::fromStdString(report.data)));
        m_table->setVerticalHeaderItem(r, header);
    }
    for (int c = 0; c < columns.size(); ++c) {
        // The best mean of the column, by the metric's direction; bold only when there is a comparison.
        const auto* info = emo::eval::findMetric(columns[c].toStdString());
        const bool lower = info && info->lowerIsBetter;
        double best = 0.0;
        int present = 0;
        for (const auto& report : m_reports)
            if (const MetricValue* m = findMetric(report, columns[c]); m && std::isfinite(m->mean)) {
                if (present == 0 || (lower ? m->mean < best : m->mean > best))
                    best = m->mean;
                ++present;
            }
        for (int r = 0; r < m_reports.size(); ++r) {
            const MetricValue* m = findMetric(m_reports[r], columns[c]);
            auto* item = new QTableWidgetItem(m ? formatMetric(m->mean, m->std, m->count) : QStringLiteral("–"));
            item->setTextAlignment(Qt::AlignCenter);
            if (m) {
                item->setToolTip(tr("mean %1, std %2 over %n run(s)", nullptr, int(m->count))
                                     .arg(m->mean, 0, 'g', 8)
                                     .arg(m->std, 0, 'g', 6));
                if (present > 1 && std::isfinite(m->mean) && m->mean == best) {
                    QFont bold = item->font();
                    bold.setBold(true);
                    item->setFont(bold);
                }
            }
            m_table->setItem(r, c, item);
        }
    }
    if (m_reports.isEmpty()) {
        m_table->setColumnCount(1);
        m_table->setHorizontalHeaderItem(0, new QTableWidgetItem(tr("No results yet: check models and metrics, then Run")));
    }
    // Keep the table just tall enough for its rows (up to eight), so the plot gets the rest.
    const int rows = qBound(1, m_table->rowCount(), 8);
    m_table->setFixedHeight(m_table->horizontalHeader()->sizeHint().height() +
                            rows * m_table->verticalHeader()->defaultSectionSize() + 2 * m_table->frameWidth() + 2);
}

void EvaluateView::rebuildPlot()
{
    m_plot->clearGraphs();
    for (int r = 0; r < m_reports.size(); ++r) {
        const EvalReport& report = m_reports[r];
        if (!report.hasMauve || report.mauve.curveX.empty())
            continue;
        const auto& xs = report.mauve.curveX;
        const auto& ys = report.mauve.curveY;
        const int n = int(std::min(xs.size(), ys.size()));
        QVector<double> keys(n), values(n);
        for (int i = 0; i < n; ++i) {
            keys[i] = xs[size_t(i)];
            values[i] = ys[size_t(i)];
        }
        QCPGraph* graph = m_plot->addGraph();
        graph->setData(keys, values);  // the curve is monotone in x, so sorting by key keeps its shape
        const QColor colour = modelColour(r);
        graph->setPen(QPen(colour, 2.0));
        QColor fill = colour;
        fill.setAlpha(28);
        graph->setBrush(fill);  // the shaded area is the score
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, colour, colour, 4));
        graph->setName(tr("%1 (MAUVE %2)")
                           .arg(displayName(QString::fromStdString(report.model)))
                           .arg(report.mauve.score, 0, 'f', 2));
    }
    m_plot->legend->setVisible(m_plot->graphCount() > 0);
    m_plot->xAxis->setRange(0.0, 1.02);
    m_plot->yAxis->setRange(0.0, 1.02);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void EvaluateView::setProgress(const QString& stage, qint64 done, qint64 total)
{
    if (total > 0) {
        // QProgressBar takes int: scale large counts to per mille.
        if (total > std::numeric_limits<int>::max()) {
            m_progress->setRange(0, 1000);
            m_progress->setValue(int(1000.0 * double(done) / double(total)));
        } else {
            m_progress->setRange(0, int(total));
            m_progress->setValue(int(qBound<qint64>(0, done, total)));
        }
        m_status->setText(tr("%1: %2 of %3").arg(stage).arg(done).arg(total));
    } else {
        m_progress->setRange(0, 0);  // busy indicator: the stage has no known length
        m_status->setText(tr("%1…").arg(stage));
    }
}

void EvaluateView::setBusy(bool busy)
{
    m_busy = busy;
    m_run->setEnabled(!busy);
    m_runExperiment->setEnabled(!busy);
    m_cancel->setEnabled(busy);
    if (busy) {
        m_progress->setRange(0, 0);
        if (!m_status->text().startsWith(tr("Running the %1 experiment").arg(experimentKind())))
            m_status->setText(tr("Evaluating…"));
    } else {
        if (m_progress->maximum() == 0)
            m_progress->setRange(0, 1);
        m_progress->setValue(m_progress->maximum());
    }
}

void EvaluateView::requestEvaluate()
{
    const QStringList models = checkedModelFolders();
    const QString data = dataPath();
    const QString oracle = oraclePath();
    const QStringList metrics = checkedMetrics();
    QString problem;
    if (models.isEmpty())
        problem = tr("Check at least one model (or add a folder).");
    else if (data.isEmpty())
        problem = tr("Choose a data set.");
    else if (metrics.isEmpty())
        problem = tr("Check at least one metric.");
    else if (oracle.isEmpty())
        for (const QString& metric : metrics)
            if (emo::eval::requestNeedsOracle(metric.toStdString())) {
                problem = tr("%1 needs an oracle model: choose one or uncheck it.")
                              .arg(requestLabel(metric.toStdString()));
                break;
            }
    if (!problem.isEmpty()) {
        m_status->setText(problem);
        return;
    }
    m_status->setText(tr("Evaluating %n model(s)…", nullptr, int(models.size())));
    Q_EMIT evaluateRequested(models, data, oracle, metrics, protocol());
}

void EvaluateView::chooseModelFolder()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Model folder"));
    if (!folder.isEmpty())
        addModelFolder(folder);
}

void EvaluateView::chooseDataFile()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("Data set"), QString(),
                                                      tr("Text data (*.txt *.jsonl *.json);;All files (*)"));
    if (!file.isEmpty()) {
        m_data->setEditText(file);
        m_data->lineEdit()->setCursorPosition(0);
    }
}

void EvaluateView::chooseResultsFolder()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Experiment results folder"));
    if (!folder.isEmpty())
        openResultsFolder(folder);
}

void EvaluateView::clearResultImages()
{
    while (m_imagesLayout->count() > 1) {  // the last item is the stretch
        QLayoutItem* item = m_imagesLayout->takeAt(0);
        delete item->widget();
        delete item;
    }
}

bool EvaluateView::openResultsFolder(const QString& folder)
{
    m_tabs->setCurrentIndex(1);
    clearResultImages();
    const QDir dir(folder);
    const QString native = QDir::toNativeSeparators(dir.absolutePath());
    m_resultsFolder->setText(tr("Experiment folder: %1").arg(native));

    QFile markdown(dir.filePath(QStringLiteral("results.md")));
    QStringList linkedImages;
    const bool ok = dir.exists() && markdown.open(QIODevice::ReadOnly | QIODevice::Text);
    if (ok) {
        m_markdown->setSearchPaths({dir.absolutePath()});  // relative image links in the Markdown
        // The plots are shown below, scaled to the view, in the Markdown's order; its own image lines would
        // repeat them.
        QStringList lines = QString::fromUtf8(markdown.readAll()).split(QLatin1Char('\n'));
        for (const QString& line : lines) {
            const QString t = line.trimmed();
            if (t.startsWith(QLatin1String("![")) && t.endsWith(QLatin1Char(')')) && t.contains(QLatin1String("](")))
                linkedImages << t.mid(t.indexOf(QLatin1String("](")) + 2).chopped(1);
        }
        lines.erase(std::remove_if(lines.begin(), lines.end(),
                                   [](const QString& line) { return line.trimmed().startsWith(QLatin1String("![")); }),
                    lines.end());
        m_markdown->setMarkdown(lines.join(QLatin1Char('\n')));
    } else {
        const QString message = tr("No results.md in %1: choose the folder that `emo experiment oracle` or `domains` wrote "
                                   "(it holds results.json, results.md and the *.png plots).")
                                    .arg(native);
        m_markdown->setPlainText(message);
        m_status->setText(message);
    }

    // The plots below, at their own size unless wider than the view.
    QStringList pngs;
    for (const QString& name : linkedImages)
        if (name.endsWith(QLatin1String(".png")) && !name.contains(QLatin1Char('/')) && dir.exists(name))
            pngs << name;
    for (const QString& name : dir.entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name))
        if (!pngs.contains(name))
            pngs << name;
    // As wide as the view shows without scrolling sideways, and never wider than 1000 pixels.
    const int viewWidth = m_images->parentWidget() ? m_images->parentWidget()->width() - 40 : 0;
    const int maxWidth = viewWidth > 300 ? std::min(1000, viewWidth) : 1000;
    for (const QString& name : pngs) {
        QImageReader reader(dir.filePath(name));
        const QImage image = reader.read();
        auto* caption = new QLabel(name, m_images);
        caption->setObjectName("resultImageCaption");
        QFont bold = caption->font();
        bold.setBold(true);
        caption->setFont(bold);
        auto* label = new QLabel(m_images);
        label->setObjectName("resultImage");
        label->setToolTip(dir.filePath(name));
        if (image.isNull()) {
            label->setText(tr("Cannot read %1: %2").arg(name, reader.errorString()));
        } else {
            const QImage shown = image.width() > maxWidth ? image.scaledToWidth(maxWidth, Qt::SmoothTransformation) : image;
            label->setPixmap(QPixmap::fromImage(shown));
            label->setFixedSize(shown.size());  // the layout would squeeze it otherwise
        }
        m_imagesLayout->insertWidget(m_imagesLayout->count() - 1, caption);
        m_imagesLayout->insertWidget(m_imagesLayout->count() - 1, label);
    }
    m_imagesLayout->activate();  // the scroll area sizes the column by its new minimum at once
    if (ok)
        m_status->setText(tr("Opened %1 (%n plot(s)).", nullptr, int(pngs.size())).arg(native));
    return ok;
}

QWidget* EvaluateView::exportWidget()
{
    return m_plot;
}

DataTable EvaluateView::exportData() const
{
    DataTable table;
    table.title = tr("Evaluation results");
    table.columns = {QStringLiteral("model"), QStringLiteral("metric"), QStringLiteral("mean"), QStringLiteral("std"),
                     QStringLiteral("count")};
    for (const auto& report : m_reports)
        for (const auto& m : report.metrics)
            table.rows.push_back({QString::fromStdString(report.model), QString::fromStdString(m.name), m.mean,
                                  m.std, qlonglong(m.count)});
    return table;
}

} // namespace emo::widgets
