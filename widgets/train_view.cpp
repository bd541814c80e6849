#include "train_view.h"

#include "plot_export.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <cmath>

namespace emo::widgets {
namespace {

using objective::ObjectiveKind;

const char* const kObjectiveKeys[] = {"mle", "emo", "tailr", "mixce"};

QString durationText(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return QStringLiteral("–");
    const qint64 s = qRound64(seconds);
    if (s >= 3600)
        return QStringLiteral("%1h%2m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    if (s >= 60)
        return QStringLiteral("%1m%2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1s").arg(s);
}

// Distinct, colour-blind-friendly run colours (Okabe–Ito).
QColor runColour(int index)
{
    static const QColor colours[] = {QColor(0, 114, 178), QColor(213, 94, 0), QColor(0, 158, 115), QColor(204, 121, 167),
                                     QColor(230, 159, 0), QColor(86, 180, 233), QColor(120, 120, 120)};
    return colours[index % 7];
}

} // namespace

TrainView::TrainView(QWidget* parent)
    : QWidget(parent)
{
    const train::TrainSettings defaults;

    // Objective.
    m_objective = new QComboBox(this);
    m_objective->setObjectName("objectiveCombo");
    m_objective->addItems({tr("MLE"), tr("EMO"), tr("TaiLr"), tr("MixCE")});
    m_objective->setCurrentIndex(1);
    m_objectiveOptions = new QStackedWidget(this);
    m_objectiveOptions->addWidget(new QLabel(tr("(no parameters)"), this));
    auto* emoPage = new QWidget(this);
    m_emoMode = new QComboBox(emoPage);
    m_emoMode->addItem(tr("paper (MLE + DEMD, GPT-2 recipe)"), "paper");
    m_emoMode->addItem(tr("pure DEMD"), "pure");
    m_emoMode->addItem(tr("llama (DEMD-weighted recipe)"), "llama");
    auto* emoForm = new QFormLayout(emoPage);
    emoForm->setContentsMargins(0, 0, 0, 0);
    emoForm->addRow(tr("Mode"), m_emoMode);
    m_objectiveOptions->addWidget(emoPage);
    auto* tailrPage = new QWidget(this);
    m_tailrGamma = new QDoubleSpinBox(tailrPage);
    m_tailrGamma->setDecimals(8);
    m_tailrGamma->setRange(0.0, 1.0);
    m_tailrGamma->setSingleStep(1e-7);
    m_tailrGamma->setValue(defaults.objective.tailrGamma);
    m_tailrMinWeight = new QDoubleSpinBox(tailrPage);
    m_tailrMinWeight->setRange(0.0, 1.0);
    m_tailrMinWeight->setSingleStep(0.05);
    m_tailrMinWeight->setValue(defaults.objective.tailrMinWeight);
    auto* tailrForm = new QFormLayout(tailrPage);
    tailrForm->setContentsMargins(0, 0, 0, 0);
    tailrForm->addRow(tr("γ"), m_tailrGamma);
    tailrForm->addRow(tr("Minimum weight"), m_tailrMinWeight);
    m_objectiveOptions->addWidget(tailrPage);
    auto* mixcePage = new QWidget(this);
    m_mixceEta = new QDoubleSpinBox(mixcePage);
    m_mixceEta->setRange(0.0, 1.0);
    m_mixceEta->setSingleStep(0.1);
    m_mixceEta->setValue(defaults.objective.mixceEta);
    auto* mixceForm = new QFormLayout(mixcePage);
    mixceForm->setContentsMargins(0, 0, 0, 0);
    mixceForm->addRow(tr("η (1 = pure MLE)"), m_mixceEta);
    m_objectiveOptions->addWidget(mixcePage);
    m_explanation = new QLabel(this);
    m_explanation->setObjectName("objectiveExplanation");
    m_explanation->setWordWrap(true);

    // Hyper-parameters: the paper's fine-tuning defaults (TrainSettings).
    m_learningRate = new QLineEdit(QString::number(defaults.learningRate), this);
    m_batch = new QSpinBox(this);
    m_batch->setRange(1, 4096);
    m_batch->setValue(int(defaults.batchSize));
    m_block = new QSpinBox(this);
    m_block->setRange(2, 1 << 16);
    m_block->setValue(int(defaults.blockSize));
    m_epochs = new QSpinBox(this);
    m_epochs->setRange(1, 1000);
    m_epochs->setValue(int(defaults.epochs));
    m_steps = new QSpinBox(this);
    m_steps->setRange(0, 10000000);
    m_steps->setSpecialValueText(tr("by epochs"));
    m_steps->setObjectName("stepsSpin");
    m_validateEvery = new QSpinBox(this);
    m_validateEvery->setRange(0, 1000000);
    m_validateEvery->setSpecialValueText(tr("each epoch"));
    m_seed = new QSpinBox(this);
    m_seed->setRange(0, 1 << 30);
    m_seed->setValue(int(defaults.seed));
    m_device = new QComboBox(this);
    m_device->setEditable(true);
    m_device->addItems({"cpu", "cuda"});
    m_precision = new QComboBox(this);
    m_precision->setObjectName("precisionCombo");
    m_precision->addItem(tr("fp32"), QStringLiteral("fp32"));
    m_precision->addItem(tr("bf16 mixed (weights fp32)"), QStringLiteral("bf16"));
    m_precision->addItem(tr("fp16 mixed, loss scaling (CUDA)"), QStringLiteral("fp16"));
    m_model = new QLineEdit(this);
    m_model->setReadOnly(true);
    m_data = new QLineEdit(this);
    m_data->setObjectName("dataEdit");
    m_validation = new QLineEdit(this);
    m_validation->setPlaceholderText(tr("a held-out 5 % of the data"));
    m_output = new QLineEdit(this);
    m_output->setObjectName("outputEdit");
    m_output->setPlaceholderText(tr("a new folder under the runs folder"));

    auto* form = new QFormLayout;
    form->addRow(tr("Objective"), m_objective);
    form->addRow(QString(), m_objectiveOptions);
    form->addRow(QString(), m_explanation);
    form->addRow(tr("Learning rate"), m_learningRate);
    form->addRow(tr("Batch (blocks)"), m_batch);
    form->addRow(tr("Block (tokens)"), m_block);
    form->addRow(tr("Epochs"), m_epochs);
    form->addRow(tr("Steps"), m_steps);
    form->addRow(tr("Validate every"), m_validateEvery);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("Device"), m_device);
    form->addRow(tr("Precision"), m_precision);
    form->addRow(tr("Model"), m_model);
    form->addRow(tr("Data"), m_data);
    form->addRow(tr("Validation"), m_validation);
    form->addRow(tr("Run folder"), m_output);

    m_start = new QPushButton(tr("Start"), this);
    m_start->setObjectName("startButton");
    m_pause = new QPushButton(tr("Pause"), this);
    m_pause->setObjectName("pauseButton");
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName("cancelButton");
    m_resume = new QPushButton(tr("Resume run…"), this);
    m_resume->setObjectName("resumeButton");
    m_resume->setToolTip(tr("Continue a cancelled run exactly from its folder"));
    auto* buttons = new QHBoxLayout;
    for (auto* b : {m_start, m_pause, m_cancel, m_resume})
        buttons->addWidget(b);
    m_progress = new QProgressBar(this);
    m_progress->setObjectName("trainProgress");
    m_status = new QLabel(tr("Idle."), this);
    m_status->setObjectName("trainStatus");
    m_status->setWordWrap(true);

    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->addLayout(form);
    leftLayout->addLayout(buttons);
    leftLayout->addWidget(m_progress);
    leftLayout->addWidget(m_status);
    leftLayout->addStretch();

    m_plot = new QCustomPlot(this);
    // A run's curves hold a point per step (thousands for demo-base): joins drawn the quick way halve a replot.
    m_plot->setPlottingHints(m_plot->plottingHints() | QCP::phFastPolylines);
    m_plot->setObjectName("lossPlot");
    m_plot->setMinimumSize(400, 300);
    m_plot->xAxis->setLabel(tr("step"));
    m_plot->yAxis->setLabel(tr("loss (nats per token)"));
    m_plot->legend->setVisible(true);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    installExportMenu(m_plot, [this] { return exportData(); });
    m_plot->legend->setFont(QFont(font().family(), qMax(7, font().pointSize() - 1)));
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    m_showParts = new QCheckBox(tr("Show the loss parts (MLE part, DEMD part)"), this);
    m_showParts->setChecked(true);
    m_runs = new QListWidget(this);
    m_runs->setObjectName("runList");
    m_runs->setToolTip(tr("Check a run to overlay its curves"));
    m_runs->setMaximumHeight(140);
    auto* right = new QWidget(this);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->addWidget(m_plot, 1);
    auto* styles = new QLabel(tr("Colour = run. Solid: training loss · dotted: MLE part · dash-dot: DEMD part · "
                                 "dashed with dots: validation cross-entropy."), this);
    styles->setWordWrap(true);
    rightLayout->addWidget(styles);
    rightLayout->addWidget(m_showParts);
    rightLayout->addWidget(new QLabel(tr("Runs:"), this));
    rightLayout->addWidget(m_runs);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(left);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    connect(m_objective, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
        m_objectiveOptions->setCurrentIndex(index);
        updateExplanation();
    });
    m_objectiveOptions->setCurrentIndex(m_objective->currentIndex());
    connect(m_emoMode, qOverload<int>(&QComboBox::currentIndexChanged), this, &TrainView::updateExplanation);
    connect(m_showParts, &QCheckBox::toggled, this, &TrainView::replot);
    connect(m_start, &QPushButton::clicked, this, [this] {
        auto s = settings();
        if (s.outputDir.empty()) {
            s.outputDir = newRunFolder().toStdString();
            m_output->setText(QString::fromStdString(s.outputDir));
        }
        m_liveFolder = QString::fromStdString(s.outputDir);
        m_curves.remove(m_liveFolder);
        m_order.removeAll(m_liveFolder);
        Q_EMIT startRequested(s);
    });
    connect(m_pause, &QPushButton::clicked, this, [this] {
        m_paused = !m_paused;
        m_pause->setText(m_paused ? tr("Resume") : tr("Pause"));
        m_status->setText(m_paused ? tr("Paused (the worker waits between steps).") : tr("Resuming…"));
        Q_EMIT pauseRequested(m_paused);
    });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_status->setText(tr("Cancelling after this step; the run folder keeps a resumable state…"));
        Q_EMIT cancelRequested();
    });
    connect(m_resume, &QPushButton::clicked, this, [this] {
        QString folder = m_output->text();
        if (folder.isEmpty() || !QFileInfo::exists(QDir(folder).filePath("run.json")))
            folder = QFileDialog::getExistingDirectory(this, tr("Resume which run?"), m_runsFolder);
        if (folder.isEmpty())
            return;
        auto s = settings();
        s.outputDir = folder.toStdString();
        s.resumeDir = folder.toStdString();
        m_liveFolder = folder;
        Q_EMIT startRequested(s);
    });
    connect(m_runs, &QListWidget::itemChanged, this, [this](QListWidgetItem* item) {
        const QString folder = item->data(Qt::UserRole).toString();
        if (item->checkState() == Qt::Checked)
            showRun(folder);
        else if (folder != m_liveFolder) {
            m_curves.remove(folder);
            m_order.removeAll(folder);
            replot();
        }
    });
    updateExplanation();
    setBusy(false);
}

void TrainView::updateExplanation()
{
    static const char* const texts[] = {
        QT_TR_NOOP("MLE: minimise −log q(gold). Only the gold token is pushed up; every other token is pushed down "
                   "in proportion to its probability, however close in meaning it is (recall-oriented)."),
        QT_TR_NOOP("EMO: the transport cost DEMD = Σⱼ q(j)·C(j, gold), with C = 1 − cos of the frozen LM-head "
                   "embeddings: mass on tokens close to the gold one costs little, far tokens cost up to 2. The "
                   "paper's recipe adds it to MLE, scaled by sg(MLE/DEMD)."),
        QT_TR_NOOP("TaiLr: MLE with each token weighted by q(gold) / (γ + (1 − γ)·q(gold)), floored at the "
                   "minimum weight: tokens the model finds unlikely count less (total-variation-like)."),
        QT_TR_NOOP("MixCE: η × forward cross-entropy + (1 − η) × a reverse cross-entropy term approximated by "
                   "weighting with q(gold): trades some recall for precision."),
    };
    m_explanation->setText(tr(texts[qBound(0, m_objective->currentIndex(), 3)]));
}

train::TrainSettings TrainView::settings() const
{
    train::TrainSettings s;
    s.objective.kind = static_cast<ObjectiveKind>(m_objective->currentIndex());
    const QString mode = m_emoMode->currentData().toString();
    s.objective.emoMode = mode == "pure" ? objective::EmoMode::Pure
                        : mode == "llama" ? objective::EmoMode::Llama : objective::EmoMode::Paper;
    s.objective.tailrGamma = m_tailrGamma->value();
    s.objective.tailrMinWeight = m_tailrMinWeight->value();
    s.objective.mixceEta = m_mixceEta->value();
    bool ok = false;
    const double lr = m_learningRate->text().toDouble(&ok);
    s.learningRate = ok ? lr : -1.0;  // the trainer names the field when it is not a positive number
    s.batchSize = m_batch->value();
    s.blockSize = m_block->value();
    s.epochs = m_epochs->value();
    s.maxSteps = m_steps->value();
    s.validateEvery = m_validateEvery->value();
    s.seed = static_cast<uint64_t>(m_seed->value());
    s.device = m_device->currentText().toStdString();
    s.precision = m_precision->currentData().toString().toStdString();
    s.modelPath = m_model->text().toStdString();
    s.dataPath = m_data->text().toStdString();
    s.validationPath = m_validation->text().toStdString();
    s.outputDir = m_output->text().toStdString();
    return s;
}

void TrainView::setObjective(ObjectiveKind kind) { m_objective->setCurrentIndex(static_cast<int>(kind)); }
void TrainView::setSteps(int steps) { m_steps->setValue(steps); }
void TrainView::setBatch(int batch, int block)
{
    m_batch->setValue(batch);
    m_block->setValue(block);
}
void TrainView::setOutputFolder(const QString& folder) { m_output->setText(folder); }
void TrainView::setModelPath(const QString& folder) { m_model->setText(folder); }
void TrainView::setDataPath(const QString& file) { m_data->setText(file); }

QString TrainView::newRunFolder() const
{
    const QString base = m_runsFolder.isEmpty() ? QDir::tempPath() : m_runsFolder;
    const QString model = QFileInfo(m_model->text()).fileName();
    return QDir(base).filePath(QStringLiteral("%1-%2-%3")
                                   .arg(model.isEmpty() ? QStringLiteral("model") : model,
                                        QLatin1String(kObjectiveKeys[qBound(0, m_objective->currentIndex(), 3)]),
                                        QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss")));
}

void TrainView::setRunsFolder(const QString& folder)
{
    m_runsFolder = folder;
    refreshRuns();
}

void TrainView::setBundledRuns(const QStringList& folders)
{
    m_bundledRuns = folders;
    refreshRuns();
}

void TrainView::refreshRuns()
{
    QSignalBlocker block(m_runs);
    m_runs->clear();
    QList<QFileInfo> folders;
    for (const QString& folder : m_bundledRuns)
        folders << QFileInfo(folder);
    if (!m_runsFolder.isEmpty())
        folders << QDir(m_runsFolder).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Time);
    for (const QFileInfo& entry : folders) {
        if (!QFileInfo::exists(QDir(entry.filePath()).filePath("metrics.jsonl")))
            continue;
        const bool bundled = m_bundledRuns.contains(entry.filePath());
        auto* item = new QListWidgetItem(bundled ? tr("%1 (demo)").arg(entry.fileName()) : entry.fileName(), m_runs);
        item->setData(Qt::UserRole, entry.filePath());
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(m_curves.contains(entry.filePath()) ? Qt::Checked : Qt::Unchecked);
    }
}

void TrainView::showRun(const QString& folder)
{
    RunCurves curves;
    QString error;
    if (!RunCurves::load(folder, &curves, &error)) {
        m_status->setText(error);
        return;
    }
    if (!m_order.contains(folder))
        m_order << folder;
    m_curves[folder] = curves;
    replot();
}

void TrainView::onProgress(const train::TrainProgress& p)
{
    if (m_liveFolder.isEmpty())
        return;
    if (!m_order.contains(m_liveFolder)) {
        m_order << m_liveFolder;
        RunCurves live;
        live.folder = m_liveFolder;
        live.name = QFileInfo(m_liveFolder).fileName();
        live.status = "running";
        m_curves[m_liveFolder] = live;
        // A resumed run starts from its history on disk.
        RunCurves past;
        if (RunCurves::load(m_liveFolder, &past))
            m_curves[m_liveFolder] = past;
    }
    RunCurves& c = m_curves[m_liveFolder];
    if (p.stage == "training") {
        if (!c.steps.isEmpty() && c.steps.last() >= double(p.step))
            return;  // a resumed run repeats nothing, but guard the plot anyway
        c.steps << double(p.step);
        c.loss << p.loss;
        c.mlePart << p.mlePart;
        c.demdPart << p.demdPart;
        m_progress->setRange(0, int(p.totalSteps));
        m_progress->setValue(int(p.step));
        m_status->setText(tr("Step %1 of %2 · loss %3 · %4 tokens/s · ETA %5")
                              .arg(p.step).arg(p.totalSteps).arg(p.loss, 0, 'f', 4)
                              .arg(p.tokensPerSecond, 0, 'f', 0).arg(durationText(p.etaSeconds)));
    } else if (p.stage == "validating" && std::isfinite(p.validationLoss)) {
        c.validationSteps << double(p.step);
        c.validationLoss << p.validationLoss;
        c.validationDemd << p.validationDemd;
    } else if (!p.message.empty()) {
        m_status->setText(QString::fromStdString(p.message));
    }
    replot();
}

void TrainView::onFinished(const train::TrainResult& result, const QString& outputDir)
{
    if (m_curves.contains(outputDir))
        m_curves[outputDir].status = "completed";
    m_status->setText(tr("Done: %1 steps, best validation CE %2 at step %3. Folder: %4")
                          .arg(result.steps).arg(result.bestValidationLoss, 0, 'f', 4).arg(result.bestStep).arg(outputDir));
    refreshRuns();
    replot();
}

void TrainView::onCancelled(const QString& outputDir)
{
    const bool started = m_curves.contains(outputDir) && !m_curves[outputDir].steps.isEmpty();
    if (m_curves.contains(outputDir))
        m_curves[outputDir].status = "cancelled";
    m_status->setText(started ? tr("Cancelled at step %1 of %2; “Resume run…” continues it exactly.")
                                    .arg(m_curves[outputDir].steps.last())
                                    .arg(m_progress->maximum())
                              : tr("Cancelled before the first step; nothing was trained."));
    refreshRuns();
    replot();
}

QString TrainView::statusText() const { return m_status->text(); }

void TrainView::onFailed(const QString& message)
{
    m_status->setText(message);  // core says what stopped it and what was kept
    refreshRuns();
    replot();
}

void TrainView::setBusy(bool busy)
{
    m_busy = busy;
    m_start->setEnabled(!busy);
    m_resume->setEnabled(!busy);
    m_pause->setEnabled(busy);
    m_cancel->setEnabled(busy);
    if (!busy) {
        m_paused = false;
        m_pause->setText(tr("Pause"));
    }
}

void TrainView::replot()
{
    m_plot->clearGraphs();
    const bool parts = m_showParts->isChecked();
    int index = 0;
    for (const QString& folder : m_order) {
        const RunCurves& c = m_curves[folder];
        const QColor colour = runColour(index++);
        auto add = [&](const QVector<double>& x, const QVector<double>& y, const QString& what, Qt::PenStyle style,
                       bool scatter) {
            bool any = false;
            for (double v : y)
                any = any || std::isfinite(v);
            if (!any)
                return;
            QCPGraph* graph = m_plot->addGraph();
            graph->setName(what == tr("loss") ? c.name : QStringLiteral("%1 · %2").arg(c.name, what));
            QPen pen(colour, scatter ? 2.0 : 1.5, style);
            graph->setPen(pen);
            // Antialiased dashes along a point per step cost the GUI thread 70-160 ms a replot of demo-base's
            // curves (measured, 972x580); aliased they cost ~10 ms and read the same.
            graph->setAntialiased(style == Qt::SolidLine || scatter);
            if (scatter)
                graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, colour, colour, 7));
            QVector<double> xs, ys;
            for (int i = 0; i < x.size() && i < y.size(); ++i)
                if (std::isfinite(y[i])) {
                    xs << x[i];
                    ys << y[i];
                }
            graph->setData(xs, ys, true);
            // One legend entry per run (its loss); the line styles are explained under the plot.
            if (what != tr("loss"))
                graph->removeFromLegend();
        };
        add(c.steps, c.loss, tr("loss"), Qt::SolidLine, false);
        if (parts) {
            add(c.steps, c.mlePart, tr("MLE part"), Qt::DotLine, false);
            add(c.steps, c.demdPart, tr("DEMD part"), Qt::DashDotLine, false);
        }
        add(c.validationSteps, c.validationLoss, tr("validation CE"), Qt::DashLine, true);
    }
    m_plot->rescaleAxes();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

int TrainView::pointCount(const QString& runName, Series series) const
{
    for (const RunCurves& c : m_curves)
        if (c.name == runName) {
            switch (series) {
            case Series::Loss: return c.loss.size();
            case Series::MlePart: return c.mlePart.size();
            case Series::DemdPart: return c.demdPart.size();
            case Series::Validation: return c.validationLoss.size();
            }
        }
    return -1;
}

QStringList TrainView::runNames() const
{
    QStringList names;
    for (const QString& folder : m_order)
        names << m_curves[folder].name;
    return names;
}

QWidget* TrainView::exportWidget() { return m_plot; }

DataTable TrainView::exportData() const
{
    DataTable table;
    table.title = tr("Training curves");
    table.columns = {"run", "objective", "kind", "step", "loss", "mle", "demd", "validation_ce", "validation_demd"};
    auto cell = [](double v) { return std::isfinite(v) ? QVariant(v) : QVariant(); };
    for (const QString& folder : m_order) {
        const RunCurves& c = m_curves[folder];
        for (int i = 0; i < c.steps.size(); ++i)
            table.rows.push_back({c.name, c.objective, "step", c.steps[i], cell(c.loss[i]), cell(c.mlePart[i]),
                                  cell(c.demdPart[i]), QVariant(), QVariant()});
        for (int i = 0; i < c.validationSteps.size(); ++i)
            table.rows.push_back({c.name, c.objective, "validation", c.validationSteps[i], QVariant(), QVariant(),
                                  QVariant(), cell(c.validationLoss[i]), cell(c.validationDemd[i])});
    }
    return table;
}

} // namespace emo::widgets
