#include "main_window.h"

#include "eval/metric_catalog.h"
#include "log_sink.h"
#include "session.h"
#include "util/resources_dir.h"
#include "util/runtime.h"

#include "classroom_view.h"
#include "compare_view.h"
#include "core_metatypes.h"
#include "cost_matrix_view.h"
#include "evaluate_view.h"
#include "gui_stall_probe.h"
#include "inspector_view.h"
#include "log_panel.h"
#include "model_data_view.h"
#include "plot_export.h"
#include "train_view.h"

#include <QAction>
#include <QActionGroup>
#include <QStyle>
#include <QStyleFactory>
#include <algorithm>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QThread>
#include <QTimer>
#include <QUrl>
#include <QDesktopServices>

#include <spdlog/spdlog.h>

namespace emo::studio {

QString MainWindow::resourcesDir()
{
    return QString::fromStdString(util::resourcesDir(EMO_RESOURCES_DIR));
}

MainWindow::MainWindow(const Options& options, QWidget* parent)
    : QMainWindow(parent)
{
    widgets::registerCoreMetatypes();
    setObjectName("mainWindow");
    resize(1280, 860);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName("viewTabs");
    m_tabs->setDocumentMode(true);
    m_modelData = new widgets::ModelDataView(this);
    m_train = new widgets::TrainView(this);
    m_inspector = new widgets::InspectorView(this);
    m_costMatrix = new widgets::CostMatrixView(this);
    m_compare = new widgets::CompareView(this);
    m_evaluate = new widgets::EvaluateView(this);
    m_classroom = new widgets::ClassroomView(this);
    m_tabs->addTab(m_modelData, tr("&Model && data"));
    m_tabs->addTab(m_train, tr("&Train"));
    m_tabs->addTab(m_inspector, tr("Token &inspector"));
    m_tabs->addTab(m_costMatrix, tr("Cost &matrix"));
    m_tabs->addTab(m_compare, tr("&Compare"));
    m_tabs->addTab(m_evaluate, tr("&Evaluate"));
    m_tabs->addTab(m_classroom, tr("C&lassroom"));
    setCentralWidget(m_tabs);

    m_log = new widgets::LogPanel(this);
    auto* logDock = new QDockWidget(tr("Log"), this);
    logDock->setObjectName("logDock");
    logDock->setWidget(m_log);
    addDockWidget(Qt::BottomDockWidgetArea, logDock);
    logDock->hide();
    m_logSink = std::make_shared<LogSink>(m_log);
    spdlog::default_logger()->sinks().push_back(m_logSink);

    m_deviceLabel = new QLabel(tr("cpu"), this);
    m_memoryLabel = new QLabel(this);
    m_busyLabel = new QLabel(tr("Ready"), this);
    m_busyProgress = new QProgressBar(this);
    m_busyProgress->setMaximumWidth(160);
    m_busyProgress->setVisible(false);
    m_busyCancel = new QPushButton(tr("Cancel"), this);
    m_busyCancel->setVisible(false);
    statusBar()->addWidget(m_busyLabel, 1);
    statusBar()->addPermanentWidget(m_busyProgress);
    statusBar()->addPermanentWidget(m_busyCancel);
    statusBar()->addPermanentWidget(m_deviceLabel);
    statusBar()->addPermanentWidget(m_memoryLabel);
    auto* memoryTimer = new QTimer(this);
    connect(memoryTimer, &QTimer::timeout, this, &MainWindow::updateMemory);
    memoryTimer->start(2000);
    updateMemory();
    m_probe = new widgets::GuiStallProbe(this);

    m_thread = new QThread(this);
    m_thread->setObjectName("emo-session");
    m_session = new Session;
    m_session->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_session, &QObject::deleteLater);
    m_thread->start();

    buildMenus();
    wireSession();

    const QString resources = resourcesDir();
    QList<QPair<QString, QString>> demos;
    for (const char* name : {"demo-base", "demo-mle", "demo-emo", "demo-tiny"}) {
        const QString folder = QDir(resources).filePath(QStringLiteral("models/") + name);
        if (QFileInfo::exists(QDir(folder).filePath("config.json")))
            demos.append({QString::fromLatin1(name), folder});
    }
    m_modelData->setDemoModels(demos);
    QStringList demoRuns;
    for (const auto& demo : demos)
        demoRuns << demo.second;
    m_train->setBundledRuns(demoRuns);
    QList<QPair<QString, QString>> datasets;
    for (const char* rel : {"data/finetune/train.txt", "data/finetune/validation.txt", "data/pretrain/train.txt",
                            "data/pretrain/validation.txt"}) {
        const QString file = QDir(resources).filePath(QString::fromLatin1(rel));
        if (QFileInfo::exists(file))
            datasets.append({QString::fromLatin1(rel).section('/', 1), file});
    }
    m_modelData->setDatasetShortcuts(datasets);
    m_compare->setModelChoices(demos);
    m_evaluate->setModelChoices(demos);
    m_evaluate->setDataChoices(datasets);

    QSettings settings;
    m_modelData->setRecentModels(settings.value("recentModels").toStringList());
    const QString runs = options.runsFolder.isEmpty()
        ? QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).filePath("runs")
        : options.runsFolder;
    QDir().mkpath(runs);
    m_train->setRunsFolder(runs);
    if (options.restoreLayout) {
        restoreGeometry(settings.value("window/geometry").toByteArray());
        restoreState(settings.value("window/state").toByteArray());
        m_tabs->setCurrentIndex(settings.value("window/view", 0).toInt());
    }

    // First launch opens demo-base with the fine-tuning corpus preselected.
    QString model = options.model;
    if (model.isEmpty())
        model = settings.value("lastModel").toString();
    if (model.isEmpty() || !QFileInfo::exists(model))
        model = demos.isEmpty() ? QString() : demos.front().second;
    m_dataPath = options.data.isEmpty() && !datasets.isEmpty() ? datasets.front().second : options.data;
    if (!m_dataPath.isEmpty())
        m_train->setDataPath(m_dataPath);
    if (!model.isEmpty())
        openModel(model);
    updateTitle();
}

MainWindow::~MainWindow()
{
    m_session->cancel();
    m_thread->quit();
    m_thread->wait();
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), m_logSink), sinks.end());
}

template <typename Call>
void MainWindow::onWorker(Call&& call)
{
    QMetaObject::invokeMethod(m_session, std::forward<Call>(call), Qt::QueuedConnection);
}

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* openModelAction = file->addAction(tr("&Open model…"), m_modelData, &widgets::ModelDataView::chooseModelFolder);
    openModelAction->setShortcut(QKeySequence::Open);
    file->addAction(tr("Open &data set…"), m_modelData, &widgets::ModelDataView::chooseDataset)->setShortcut(tr("Ctrl+Shift+O"));
    file->addSeparator();
    file->addAction(tr("Export &image…"), this, &MainWindow::exportCurrentImage)->setShortcut(tr("Ctrl+E"));
    file->addAction(tr("Export d&ata…"), this, &MainWindow::exportCurrentData)->setShortcut(tr("Ctrl+Shift+E"));
    file->addSeparator();
    file->addAction(tr("&Quit"), this, &QWidget::close)->setShortcut(QKeySequence::Quit);

    QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < m_tabs->count(); ++i) {
        QAction* action = viewMenu->addAction(m_tabs->tabText(i).remove('&').replace(QStringLiteral("&&"), QStringLiteral("&")));
        action->setShortcut(QKeySequence(QStringLiteral("Ctrl+%1").arg(i + 1)));
        connect(action, &QAction::triggered, this, [this, i] { m_tabs->setCurrentIndex(i); });
    }
    viewMenu->addSeparator();
    // Light and dark: "system" keeps the platform's palette (it follows the desktop's dark mode where the
    // platform theme reports it); a projector in a bright room may want light, a dark room dark.
    QMenu* theme = viewMenu->addMenu(tr("&Theme"));
    auto* themes = new QActionGroup(this);
    const QString current = QSettings().value("theme", "system").toString();
    for (const auto& [key, label] : {std::pair{"system", tr("&System")}, std::pair{"light", tr("&Light")}, std::pair{"dark", tr("&Dark")}}) {
        QAction* action = theme->addAction(label);
        action->setCheckable(true);
        action->setChecked(current == key);
        themes->addAction(action);
        connect(action, &QAction::triggered, this, [this, key = QString(key)] { applyTheme(key); });
    }
    applyTheme(current);
    viewMenu->addSeparator();
    if (auto* dock = findChild<QDockWidget*>("logDock")) {
        QAction* logAction = dock->toggleViewAction();
        logAction->setShortcut(tr("Ctrl+L"));
        viewMenu->addAction(logAction);
    }

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About EMO Studio"), this, [this] {
        QMessageBox::about(this, tr("About EMO Studio"),
                           tr("<b>EMO Studio</b> explores EMO (Earth Mover distance Optimization for language models, "
                              "Ren, Wu &amp; Zhu 2023) next to MLE, TaiLr and MixCE fine-tuning."));
    });
}

void MainWindow::wireSession()
{
    using widgets::ModelCard;
    Session* s = m_session;

    connect(m_modelData, &widgets::ModelDataView::modelRequested, this, &MainWindow::openModel);
    connect(m_modelData, &widgets::ModelDataView::datasetRequested, this, &MainWindow::openDataset);
    connect(s, &Session::modelDescribed, m_modelData, &widgets::ModelDataView::setModelCard);
    connect(s, &Session::modelLoaded, this, [this](const ModelCard& card) {
        m_modelData->setModelCard(card);
        m_modelFolder = card.folder;
        m_train->setModelPath(card.folder);
        m_deviceLabel->setText(card.device);
        if (card.hasRunHistory)
            m_train->showRun(card.folder);
        QSettings settings;
        QStringList recent = settings.value("recentModels").toStringList();
        recent.removeAll(card.folder);
        recent.prepend(card.folder);
        settings.setValue("recentModels", recent.mid(0, 10));
        settings.setValue("lastModel", card.folder);
        m_modelData->setRecentModels(recent);
        updateTitle();
        if (!m_dataPath.isEmpty())
            openDataset(m_dataPath);
    });
    connect(s, &Session::datasetOpened, m_modelData, &widgets::ModelDataView::setDatasetPreview);
    connect(s, &Session::datasetOpened, this, [this](const widgets::DatasetPreview& preview) {
        m_dataPath = preview.path;
        m_train->setDataPath(preview.path);
    });

    connect(m_train, &widgets::TrainView::startRequested, this, [this](const train::TrainSettings& settings) {
        m_runFolder = QString::fromStdString(settings.outputDir);
        updateTitle();
        onWorker([s = m_session, settings] { s->startTraining(settings); });
    });
    connect(m_train, &widgets::TrainView::pauseRequested, this, [s](bool paused) { s->setPaused(paused); });
    connect(m_train, &widgets::TrainView::cancelRequested, this, [s] { s->cancel(); });
    connect(s, &Session::trainingProgress, m_train, &widgets::TrainView::onProgress);
    connect(s, &Session::trainingFinished, m_train, &widgets::TrainView::onFinished);
    connect(s, &Session::trainingCancelled, m_train, &widgets::TrainView::onCancelled);

    connect(m_inspector, &widgets::InspectorView::inspectRequested, this, [this](const QString& text) {
        onWorker([s = m_session, text] { s->inspectText(text, 10); });
    });
    connect(s, &Session::inspected, m_inspector, &widgets::InspectorView::setReport);
    connect(m_inspector->tokenStrip(), &widgets::TokenStrip::tokenSelected, this, [this](int index) {
        onWorker([s = m_session, index] {
            s->computeTransport(index);
            s->computeCostMatrix({inspect::TokenSetSource::TopKAtPosition, std::to_string(index), 10});
        });
    });

    connect(m_costMatrix, &widgets::CostMatrixView::costMatrixRequested, this, [this](int source, const QString& text, int k) {
        const inspect::TokenSetSettings settings{inspect::TokenSetSource(source), text.toStdString(), k};
        onWorker([s = m_session, settings] { s->computeCostMatrix(settings); });
    });
    connect(s, &Session::costMatrixReady, m_costMatrix, &widgets::CostMatrixView::setCostMatrix);
    connect(s, &Session::transportReady, m_costMatrix, &widgets::CostMatrixView::setTransport);

    connect(m_compare, &widgets::CompareView::compareRequested, this,
            [this](const QString& other, const QStringList& prompts, const generate::SampleSettings& settings) {
                onWorker([s = m_session, other, prompts, settings] { s->compareWith(other, prompts, settings); });
            });
    connect(s, &Session::comparisonReady, m_compare, &widgets::CompareView::setComparison);

    connect(m_evaluate, &widgets::EvaluateView::evaluateRequested, this,
            [this](const QStringList& models, const QString& data, const QString& oracle, const QStringList& metrics,
                   const widgets::EvalProtocol& protocol) {
                onWorker([s = m_session, models, data, oracle, metrics, protocol] {
                    s->evaluate(models, data, oracle, metrics, protocol);
                });
            });
    connect(m_evaluate, &widgets::EvaluateView::cancelRequested, this, [s] { s->cancel(); });
    connect(m_evaluate, &widgets::EvaluateView::experimentRequested, this,
            [this](const QString& kind, const QString& scale, const QString& folder) {
                onWorker([s = m_session, kind, scale, folder] { s->runExperiment(kind, scale, folder); });
            });
    connect(s, &Session::experimentFinished, this, [this](const QString& folder, const QString& summary) {
        m_evaluate->openResultsFolder(folder);
        statusBar()->showMessage(tr("Experiment finished: %1").arg(summary), 15000);
    });
    connect(s, &Session::evaluated, m_evaluate, &widgets::EvaluateView::addReport);
    // The Compare view shows MAUVE and ROUGE of its two models once the Evaluate view has computed them.
    connect(s, &Session::evaluated, this, [this](const eval::EvalReport& report) {
        const QString model = QString::fromStdString(report.model);
        for (const auto& metric : report.metrics)  // the sample-quality metrics (MAUVE, ROUGE)
            if (const auto* info = eval::findMetric(metric.name); info && info->input == eval::MetricInput::Samples)
                m_compare->setMetric(model, QString::fromStdString(metric.name), metric.mean);
    });

    // The jobs whose progress the Evaluate view shows as its own.
    const auto evaluateViewsJob = [](Session::Job job) {
        return job == Session::Job::Evaluating || job == Session::Job::Experiment;
    };
    connect(s, &Session::busyChanged, this, [this, evaluateViewsJob](bool busy, Session::Job job, const QString& what) {
        m_busy = busy;
        m_currentJob = busy ? what : QString();
        m_currentJobKind = job;
        m_busyLabel->setText(busy ? what + QStringLiteral("…") : tr("Ready"));
        m_busyProgress->setVisible(busy);
        m_busyProgress->setRange(0, 0);
        m_busyCancel->setVisible(busy);
        // Each view shows its own work as busy; other requests queue behind the running job on the worker.
        m_train->setBusy(busy && job == Session::Job::Training);
        m_inspector->setBusy(busy && job == Session::Job::Inspecting);
        m_compare->setBusy(busy && job == Session::Job::Comparing);
        m_evaluate->setBusy(busy && evaluateViewsJob(job));
    });
    connect(s, &Session::progress, this, [this, evaluateViewsJob](const QString& stage, qint64 done, qint64 total) {
        m_busyLabel->setText(QStringLiteral("%1: %2").arg(m_currentJob, stage));
        m_busyProgress->setRange(0, total > 0 ? int(total) : 0);
        m_busyProgress->setValue(int(done));
        if (m_busy && evaluateViewsJob(m_currentJobKind))
            m_evaluate->setProgress(stage, done, total);
    });
    connect(m_busyCancel, &QPushButton::clicked, this, [s] { s->cancel(); });
    connect(s, &Session::failed, this, &MainWindow::showError);
    connect(s, &Session::failed, this, [this](const QString&, const QString& message) {
        if (m_busy && m_currentJobKind == Session::Job::Training)
            m_train->onFailed(message);  // the view says why its run ended, not only the status bar
    });
}

QWidget* MainWindow::view(View which) const { return m_tabs->widget(which); }
void MainWindow::showView(View which) { m_tabs->setCurrentIndex(which); }

void MainWindow::openModel(const QString& folder)
{
    onWorker([s = m_session, folder] { s->loadModel(folder); });
}

void MainWindow::openDataset(const QString& path)
{
    m_dataPath = path;
    onWorker([s = m_session, path] { s->openDataset(path); });
}

void MainWindow::showError(const QString& what, const QString& message)
{
    m_lastError = QStringLiteral("%1: %2").arg(what, message);
    m_log->appendMessage(QStringLiteral("error"), m_lastError);
    statusBar()->showMessage(m_lastError, 10000);
    // Window-modal and non-blocking: the event loop (and any running job's progress) goes on.
    auto* box = new QMessageBox(QMessageBox::Warning, what, message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName("errorBox");
    box->open();
}

void MainWindow::exportCurrentImage()
{
    auto* exportable = dynamic_cast<widgets::ExportableView*>(m_tabs->currentWidget());
    if (!exportable)
        return;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export image"), QString(),
                                                      tr("PNG image (*.png);;SVG image (*.svg);;PDF document (*.pdf)"));
    QString error;
    if (!path.isEmpty() && !widgets::saveWidgetImage(exportable->exportWidget(), path, &error))
        showError(tr("Export"), error);
}

void MainWindow::exportCurrentData()
{
    auto* exportable = dynamic_cast<widgets::ExportableView*>(m_tabs->currentWidget());
    if (!exportable)
        return;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export data"), QString(), tr("CSV (*.csv);;JSON (*.json)"));
    QString error;
    if (!path.isEmpty() && !widgets::saveDataTable(exportable->exportData(), path, &error))
        showError(tr("Export"), error);
}

void MainWindow::applyTheme(const QString& theme)
{
    static const QPalette systemPalette = QApplication::palette();
    QSettings().setValue("theme", theme);
    if (theme == "system") {
        QApplication::setPalette(systemPalette);
        return;
    }
    QApplication::setStyle(QStyleFactory::create("Fusion"));
    QPalette palette = QApplication::style()->standardPalette();
    if (theme == "dark") {
        const QColor window(45, 45, 48), base(30, 30, 32), text(230, 230, 230), accent(42, 130, 218);
        palette.setColor(QPalette::Window, window);
        palette.setColor(QPalette::WindowText, text);
        palette.setColor(QPalette::Base, base);
        palette.setColor(QPalette::AlternateBase, window);
        palette.setColor(QPalette::ToolTipBase, window);
        palette.setColor(QPalette::ToolTipText, text);
        palette.setColor(QPalette::Text, text);
        palette.setColor(QPalette::Button, window);
        palette.setColor(QPalette::ButtonText, text);
        palette.setColor(QPalette::Midlight, QColor(70, 70, 74));
        palette.setColor(QPalette::Highlight, accent);
        palette.setColor(QPalette::HighlightedText, Qt::white);
        palette.setColor(QPalette::Link, accent.lighter(130));
        palette.setColor(QPalette::PlaceholderText, QColor(150, 150, 150));
        palette.setColor(QPalette::Disabled, QPalette::Text, QColor(120, 120, 120));
        palette.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(120, 120, 120));
    }
    QApplication::setPalette(palette);
}

void MainWindow::updateTitle()
{
    QString title = tr("EMO Studio");
    if (!m_modelFolder.isEmpty())
        title += QStringLiteral(" — ") + QFileInfo(m_modelFolder).fileName();
    if (!m_runFolder.isEmpty())
        title += QStringLiteral(" — ") + tr("run %1").arg(QFileInfo(m_runFolder).fileName());
    setWindowTitle(title);
}

void MainWindow::updateMemory()
{
    const qint64 bytes = emo::util::residentBytes();
    if (bytes > 0)
        m_memoryLabel->setText(tr("memory %1").arg(QLocale().formattedDataSize(bytes)));
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    settings.setValue("window/view", m_tabs->currentIndex());
    m_session->setPaused(false);
    m_session->cancel();  // a training run saves its resumable state and stops after its current step
    event->accept();
}

} // namespace emo::studio
