// EMO Studio as a user drives it: the real main window, Session and worker thread on the shipped demo model.
// Numbers are checked against `emo inspect --json` (the CLI, another process) and against cosines computed
// here from the raw safetensors bytes; screenshots of every view go to the test output folder.
#include "support/test_paths.h"

#include "classroom_view.h"
#include "compare_view.h"
#include "cost_matrix_view.h"
#include "evaluate_view.h"
#include "gui_stall_probe.h"
#include "inspector_view.h"
#include "main_window.h"
#include "model_data_view.h"
#include "plot_export.h"
#include "session.h"
#include "train_view.h"

#include <QtTest/QtTest>
#include <QLabel>
#include <QTextBrowser>

#include <QJsonArray>
#include <QComboBox>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QListWidget>
#include <QMessageBox>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPushButton>
#include <QTabWidget>
#include <QTemporaryDir>

#include <cmath>

using emo::studio::MainWindow;
using emo::widgets::TrainView;

namespace {

// demo-tiny keeps the suite fast; EMO_GUI_TEST_MODEL (and EMO_GUI_TEST_OTHER, the Compare view's second
// model for the last screenshots) let the same test take the README's screenshots on demo-base.
QString demoModel()
{
    const QString fromEnv = qEnvironmentVariable("EMO_GUI_TEST_MODEL");
    return fromEnv.isEmpty() ? QString::fromStdString(emo::test::sourceDir() + "/resources/models/demo-tiny") : fromEnv;
}
QString smallData() { return QString::fromStdString(emo::test::sourceDir() + "/resources/data/finetune/validation.txt"); }

QJsonObject readJson(const QString& path)
{
    QFile file(path);
    file.open(QIODevice::ReadOnly);
    return QJsonDocument::fromJson(file.readAll()).object();
}

// The LM head rows [V, D] of an HF folder, read from the safetensors bytes (F32 or F16) without the engine.
QVector<QVector<double>> lmHeadRows(const QString& folder)
{
    QFile file(folder + "/model.safetensors");
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray bytes = file.readAll();
    quint64 headerLength = 0;
    memcpy(&headerLength, bytes.constData(), 8);
    const QJsonObject header = QJsonDocument::fromJson(bytes.mid(8, int(headerLength))).object();
    const QJsonObject config = readJson(folder + "/config.json");
    const QString name = header.contains("lm_head.weight") ? "lm_head.weight" : "model.embed_tokens.weight";
    const QJsonObject info = header.value(name).toObject();
    const QJsonArray shape = info.value("shape").toArray();
    const qint64 rows = shape[0].toInteger(), cols = shape[1].toInteger();
    const qint64 begin = info.value("data_offsets").toArray()[0].toInteger();
    const char* data = bytes.constData() + 8 + headerLength + begin;
    const bool half = info.value("dtype").toString() == "F16";
    QVector<QVector<double>> out(rows, QVector<double>(cols));
    for (qint64 r = 0; r < rows; ++r)
        for (qint64 c = 0; c < cols; ++c) {
            if (half) {
                qfloat16 v;
                memcpy(&v, data + 2 * (r * cols + c), 2);
                out[r][c] = double(float(v));
            } else {
                float v;
                memcpy(&v, data + 4 * (r * cols + c), 4);
                out[r][c] = v;
            }
        }
    return out;
}

void screenshot(QWidget* window, const QString& name)
{
    QCoreApplication::processEvents();
    QTest::qWait(200);
    const QString path = QString::fromStdString(emo::test::outputDir()) + "/screenshot-studio-" + name + ".png";
    QVERIFY(window->grab().save(path));
}

} // namespace

class TestStudio : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void launchAndLoadDemo();
    void badModelFolderGivesOneMessage();
    void trainEachObjective_data();
    void trainEachObjective();
    void cancelMidRunAndResume();
    void nonFiniteLossShowsOneMessage();
    void inspectorMatchesCli();
    void inspectWhileTraining();
    void heatmapHoldsCosineCosts();
    void compareTwoModels();
    void evaluatePerplexityMatchesCli();
    void openExperimentResults();
    void runsDomainsExperiment();
    void classroomMovesMass();
    void exportsEveryView();
    void screenshotsOfEveryView();
    void cleanupTestCase();
    void appExitsWithZero();

private:
    void startTraining(const QString& name, emo::objective::ObjectiveKind kind, int steps);

    QTemporaryDir m_runs;
    std::unique_ptr<MainWindow> m_window;
    double m_maxStallDuringTraining = 0.0;
    double m_p99StallDuringTraining = 0.0;  // the worst run's p99 of the probe's 10 ms ticks
};

void TestStudio::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("EMO Studio Tests");
    QCoreApplication::setApplicationName("tst_studio");
    QSettings().clear();
    QVERIFY(m_runs.isValid());
    MainWindow::Options options;
    options.model = demoModel();
    options.data = smallData();
    options.runsFolder = m_runs.path();
    options.restoreLayout = false;
    m_window = std::make_unique<MainWindow>(options);
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestStudio::launchAndLoadDemo()
{
    auto* view = m_window->modelDataView();
    QTRY_COMPARE_WITH_TIMEOUT(view->card().name, QFileInfo(demoModel()).fileName(), 60000);
    const QJsonObject config = readJson(demoModel() + "/config.json");
    QCOMPARE(view->card().vocabulary, config.value("vocab_size").toInteger());
    QCOMPARE(view->card().layers, config.value("num_hidden_layers").toInteger());
    QCOMPARE(view->card().architecture, QString("llama"));
    QVERIFY(view->modelCardText().contains(QFileInfo(demoModel()).fileName()));
    // The preselected data set is opened under the model's tokenizer.
    QTRY_VERIFY_WITH_TIMEOUT(view->datasetSummaryText().contains("validation.txt"), 60000);
    QVERIFY(view->datasetSummaryText().contains("tokens"));
    QVERIFY(m_window->windowTitle().contains(QFileInfo(demoModel()).fileName()));
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 60000);
}

void TestStudio::badModelFolderGivesOneMessage()
{
    const QString missing = m_runs.filePath("no-such-model");
    m_window->openModel(missing);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->lastError().contains("no-such-model"), 30000);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 30000);
    // The loaded model is kept.
    QCOMPARE(m_window->modelDataView()->card().name, QFileInfo(demoModel()).fileName());
    for (auto* box : m_window->findChildren<QMessageBox*>("errorBox"))
        box->close();
}

// Clicks Start in the Train view for a run of `steps` steps of 2 × 32 tokens into runs/`name`.
void TestStudio::startTraining(const QString& name, emo::objective::ObjectiveKind kind, int steps)
{
    TrainView* train = m_window->trainView();
    train->setObjective(kind);
    train->setSteps(steps);
    train->setBatch(2, 32);
    train->setOutputFolder(m_runs.filePath(name));
    QTest::mouseClick(train->findChild<QPushButton*>("startButton"), Qt::LeftButton);
}

void TestStudio::trainEachObjective_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<bool>("hasDemd");
    QTest::newRow("mle") << int(emo::objective::ObjectiveKind::Mle) << false;
    QTest::newRow("emo") << int(emo::objective::ObjectiveKind::Emo) << true;
    QTest::newRow("tailr") << int(emo::objective::ObjectiveKind::Tailr) << false;
    QTest::newRow("mixce") << int(emo::objective::ObjectiveKind::Mixce) << false;
}

void TestStudio::trainEachObjective()
{
    QFETCH(int, kind);
    QFETCH(bool, hasDemd);
    m_window->showView(MainWindow::Train);
    TrainView* train = m_window->trainView();
    const QString name = QStringLiteral("run-%1").arg(QTest::currentDataTag());
    m_window->stallProbe()->reset();
    startTraining(name, static_cast<emo::objective::ObjectiveKind>(kind), 4);
    QTRY_VERIFY_WITH_TIMEOUT(train->pointCount(name, TrainView::Series::Loss) >= 1, 60000);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 120000);
    m_maxStallDuringTraining = std::max(m_maxStallDuringTraining, m_window->stallProbe()->maxStallMs());
    m_p99StallDuringTraining = std::max(m_p99StallDuringTraining, m_window->stallProbe()->stallPercentileMs(0.99));
    QCOMPARE(train->pointCount(name, TrainView::Series::Loss), 4);
    QVERIFY(train->pointCount(name, TrainView::Series::Validation) >= 1);
    const QJsonObject run = readJson(m_runs.filePath(name + "/run.json"));
    QCOMPARE(run.value("status").toString(), QString("completed"));
    QCOMPARE(run.value("settings").toObject().value("objective").toObject().value("kind").toString(),
             QString(QTest::currentDataTag()));
    // The DEMD part is plotted exactly for the objective that computes it.
    const auto table = train->exportData();
    int demdCells = 0;
    for (const auto& row : table.rows)
        if (row[0].toString() == name && row[2].toString() == "step" && row[6].isValid())
            ++demdCells;
    QCOMPARE(demdCells, hasDemd ? 4 : 0);
    QVERIFY(m_window->windowTitle().contains(name));
}

void TestStudio::cancelMidRunAndResume()
{
    TrainView* train = m_window->trainView();
    const QString name = "run-cancelled";
    startTraining(name, emo::objective::ObjectiveKind::Emo, 60);
    QTRY_VERIFY_WITH_TIMEOUT(train->pointCount(name, TrainView::Series::Loss) >= 3, 60000);
    QTest::mouseClick(train->findChild<QPushButton*>("cancelButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 60000);
    const QJsonObject cancelled = readJson(m_runs.filePath(name + "/run.json"));
    QCOMPARE(cancelled.value("status").toString(), QString("cancelled"));
    const int stoppedAt = cancelled.value("step").toInt();
    QVERIFY2(stoppedAt >= 3 && stoppedAt < 60, qPrintable(QString::number(stoppedAt)));

    QTest::mouseClick(train->findChild<QPushButton*>("resumeButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isBusy(), 30000);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 180000);
    const QJsonObject done = readJson(m_runs.filePath(name + "/run.json"));
    QCOMPARE(done.value("status").toString(), QString("completed"));
    QCOMPARE(done.value("step").toInt(), 60);
    // One point per step, none repeated: the curve continues where the cancelled run stopped.
    QCOMPARE(train->pointCount(name, TrainView::Series::Loss), 60);
}

// A NaN loss (injected at step 3) ends the run with one message naming the step; the app stays usable.
void TestStudio::nonFiniteLossShowsOneMessage()
{
    m_window->showView(MainWindow::Train);
    for (auto* box : m_window->findChildren<QMessageBox*>("errorBox"))
        box->close();
    qputenv("EMO_FAULT_NAN_LOSS_AT_STEP", "3");
    startTraining("run-nan", emo::objective::ObjectiveKind::Emo, 6);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->lastError().contains("NaN at step 3"), 60000);
    qunsetenv("EMO_FAULT_NAN_LOSS_AT_STEP");
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 60000);
    int shown = 0;
    for (auto* box : m_window->findChildren<QMessageBox*>("errorBox"))
        shown += box->isVisible();
    QCOMPARE(shown, 1);
    QVERIFY2(m_window->trainView()->statusText().startsWith("training stopped: the loss is NaN at step 3"),
             qPrintable(m_window->trainView()->statusText()));
    screenshot(m_window.get(), "nan-message");
    for (auto* box : m_window->findChildren<QMessageBox*>("errorBox")) {
        if (box->isVisible())
            QVERIFY(box->grab().save(QString::fromStdString(emo::test::outputDir()) + "/screenshot-studio-nan-box.png"));
        box->close();
    }
    QCOMPARE(readJson(m_runs.filePath("run-nan/run.json")).value("status").toString(), QString("failed"));
}

void TestStudio::inspectorMatchesCli()
{
    m_window->showView(MainWindow::Inspector);
    auto* inspector = m_window->inspectorView();
    const QString text = "And he said unto them, Go ye into all the world.";
    inspector->setText(text);
    QTest::mouseClick(inspector->findChild<QPushButton*>("inspectButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!inspector->report().tokens.empty(), 60000);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 60000);

    QProcess cli;
    cli.start(EMO_CLI_PATH, {"inspect", "--model", demoModel(), "--text", text, "--json"});
    QVERIFY(cli.waitForFinished(120000));
    QCOMPARE(cli.exitCode(), 0);
    const QJsonArray tokens = QJsonDocument::fromJson(cli.readAllStandardOutput()).object().value("tokens").toArray();
    const auto& report = inspector->report();
    QCOMPARE(qsizetype(report.tokens.size()), tokens.size());
    for (int i = 0; i < tokens.size(); ++i) {
        const QJsonObject t = tokens[i].toObject();
        QCOMPARE(report.tokens[i].id, t.value("id").toInteger());
        QVERIFY(std::abs(report.tokens[i].ce - t.value("ce").toDouble()) < 1e-5);
        QVERIFY(std::abs(report.tokens[i].demd - t.value("demd").toDouble()) < 1e-5);
    }
    // Clicking a token asks for its transport plan and the cost matrix of its top-k.
    auto* strip = inspector->tokenStrip();
    QTest::mouseClick(strip, Qt::LeftButton, {}, strip->chipRect(3).center());
    QTRY_VERIFY_WITH_TIMEOUT(m_window->costMatrixView()->flowCount() > 0, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 30000);
    QVERIFY(m_window->costMatrixView()->transportSummary().contains("EMD"));
}

// An inspection asked for while the model trains waits for the worker and then arrives; the GUI thread keeps
// ticking all along (the probe's figures are printed; run with EMO_GUI_TEST_MODEL=resources/models/demo-base for
// the figure, the default model keeps CI short).
void TestStudio::inspectWhileTraining()
{
    const QString name = "run-while-inspecting";
    m_window->showView(MainWindow::Train);
    m_window->stallProbe()->reset();
    startTraining(name, emo::objective::ObjectiveKind::Emo, 8);
    TrainView* train = m_window->trainView();
    QTRY_VERIFY_WITH_TIMEOUT(train->pointCount(name, TrainView::Series::Loss) >= 2, 60000);
    m_window->showView(MainWindow::Inspector);
    auto* inspector = m_window->inspectorView();
    inspector->setText("In the beginning was the Word, and the Word was with God, and the Word was God.");
    QTest::mouseClick(inspector->findChild<QPushButton*>("inspectButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(inspector->report().tokens.size() > 10, 180000);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 180000);
    QCOMPARE(readJson(m_runs.filePath(name + "/run.json")).value("status").toString(), QString("completed"));
    const double longest = m_window->stallProbe()->maxStallMs();
    qInfo("GUI-thread stalls while training and inspecting: longest %.1f ms, p99 %.0f ms", longest,
          m_window->stallProbe()->stallPercentileMs(0.99));
    QVERIFY2(longest < 1000.0, qPrintable(QString::number(longest)));
}

void TestStudio::heatmapHoldsCosineCosts()
{
    m_window->showView(MainWindow::CostMatrix);
    auto* view = m_window->costMatrixView();
    Q_EMIT view->costMatrixRequested(emo::widgets::CostMatrixView::WordList, "God world father son light", 0);
    QTRY_VERIFY_WITH_TIMEOUT(view->costMatrix().ids.size() == 5, 30000);
    const auto rows = lmHeadRows(demoModel());
    QVERIFY(!rows.isEmpty());
    const auto& report = view->costMatrix();
    for (size_t i = 0; i < report.ids.size(); ++i)
        for (size_t j = 0; j < report.ids.size(); ++j) {
            const auto& a = rows[report.ids[i]];
            const auto& b = rows[report.ids[j]];
            double dot = 0, na = 0, nb = 0;
            for (int k = 0; k < a.size(); ++k) {
                dot += a[k] * b[k];
                na += a[k] * a[k];
                nb += b[k] * b[k];
            }
            const double expected = 1.0 - dot / std::sqrt(na * nb);
            QVERIFY2(std::abs(report.at(i, j) - expected) < 1e-5,
                     qPrintable(QString("C(%1,%2) = %3, expected %4").arg(i).arg(j).arg(report.at(i, j)).arg(expected)));
        }
}

void TestStudio::compareTwoModels()
{
    m_window->showView(MainWindow::Compare);
    auto* view = m_window->compareView();
    emo::generate::SampleSettings settings;
    settings.maxNewTokens = 12;
    settings.samplesPerPrompt = 1;
    settings.seed = 3;
    bool got = false;
    emo::generate::ModelComparison result;
    auto connection = connect(m_window->session(), &emo::studio::Session::comparisonReady, this,
                              [&](const emo::generate::ModelComparison& c) { got = true; result = c; });
    Q_EMIT view->compareRequested(demoModel(), {"In the beginning", "And Jesus said"}, settings);
    QTRY_VERIFY_WITH_TIMEOUT(got, 60000);
    disconnect(connection);
    QCOMPARE(int(result.a.size()), 2);
    // Both perplexities are on the open data set; the same model gives the same number.
    QVERIFY(result.perplexityA > 1.0);
    QVERIFY(std::abs(result.perplexityA - result.perplexityB) < 1e-9);
    // The same model on both sides: a token's probability under "the other" model is its own.
    for (const auto& s : result.a)
        for (size_t t = 0; t < s.otherLogprobs.size(); ++t)
            QVERIFY(std::abs(s.otherLogprobs[t] - s.sample.modelLogprobs[t]) < 1e-4);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 30000);

    const QString other = qEnvironmentVariable("EMO_GUI_TEST_OTHER");
    if (!other.isEmpty()) {  // for the screenshot: two different models
        got = false;
        connection = connect(m_window->session(), &emo::studio::Session::comparisonReady, this,
                             [&](const emo::generate::ModelComparison&) { got = true; });
        // Through the view's own inputs, as a user does.
        view->findChild<QComboBox*>("otherModelCombo")->setEditText(other);
        view->findChild<QPlainTextEdit*>("promptsEdit")->setPlainText("And Jesus said unto them,\nIt is a truth universally acknowledged that");
        view->findChild<QSpinBox*>("maxNewTokensSpin")->setValue(30);
        view->findChild<QSpinBox*>("seedSpin")->setValue(3);
        QTest::mouseClick(view->findChild<QPushButton*>("compareButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(got, 120000);
        disconnect(connection);
        QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 30000);
    }
}

void TestStudio::evaluatePerplexityMatchesCli()
{
    m_window->showView(MainWindow::Evaluate);
    bool got = false;
    emo::eval::EvalReport report;
    auto connection = connect(m_window->session(), &emo::studio::Session::evaluated, this,
                              [&](const emo::eval::EvalReport& r) { got = true; report = r; });
    Q_EMIT m_window->evaluateView()->evaluateRequested({demoModel()}, smallData(), QString(), {"ppl"}, emo::widgets::EvalProtocol{});
    QTRY_VERIFY_WITH_TIMEOUT(got, 120000);
    disconnect(connection);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 30000);
    QCOMPARE(int(report.metrics.size()), 1);

    QProcess cli;
    cli.start(EMO_CLI_PATH, {"eval", "--model", demoModel(), "--data", smallData(), "--metrics", "ppl", "--json"});
    QVERIFY(cli.waitForFinished(120000));
    QCOMPARE(cli.exitCode(), 0);
    const QJsonObject json = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    double expected = json.value("ppl").toObject().value("perplexity").toDouble();
    for (const auto& metric : json.value("metrics").toArray())
        if (metric.toObject().value("name").toString() == "ppl")
            expected = metric.toObject().value("mean").toDouble();
    QVERIFY2(std::abs(report.metrics[0].mean - expected) < 1e-6 * expected,
             qPrintable(QString("app %1, emo eval %2").arg(report.metrics[0].mean).arg(expected)));

    // The continuation protocol through the app: ROUGE and MAUVE of a few short continuations.
    got = false;
    connection = connect(m_window->session(), &emo::studio::Session::evaluated, this,
                         [&](const emo::eval::EvalReport& r) { got = true; report = r; });
    emo::widgets::EvalProtocol protocol;
    protocol.prefixWords = 5;
    protocol.continuationWords = 8;
    protocol.samples = 2;
    protocol.maxPrefixes = 6;
    Q_EMIT m_window->evaluateView()->evaluateRequested({demoModel()}, smallData(), QString(), {"rouge", "mauve"}, protocol);
    QTRY_VERIFY_WITH_TIMEOUT(got, 120000);
    disconnect(connection);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 30000);
    QStringList names;
    for (const auto& metric : report.metrics) {
        names << QString::fromStdString(metric.name);
        QVERIFY(metric.mean >= 0.0 && metric.mean <= 1.0);
    }
    QCOMPARE(names, QStringList({"rouge-1", "rouge-l", "mauve"}));
    QVERIFY(report.hasMauve && report.mauve.curveX.size() > 2);
    // The Compare view shows the same model's MAUVE and ROUGE next to its samples (column 0: model A; 1: B).
    auto* compare = m_window->compareView();
    QCOMPARE(compare->summaryText(compare->summaryRow("MAUVE"), 0), QString::number(report.metrics[2].mean, 'f', 3));
    // The comparison had the same folder on both sides (unless EMO_GUI_TEST_OTHER named a second model for the
    // README's screenshots): both columns show it.
    if (qEnvironmentVariableIsEmpty("EMO_GUI_TEST_OTHER"))
        QCOMPARE(compare->summaryText(compare->summaryRow("MAUVE"), 1), QString::number(report.metrics[2].mean, 'f', 3));
    QCOMPARE(compare->summaryText(compare->summaryRow("ROUGE-L"), 0), QString::number(report.metrics[1].mean, 'f', 3));
    QCOMPARE(compare->summaryText(compare->summaryRow("ROUGE-1"), 0), QString::number(report.metrics[0].mean, 'f', 3));

    // An unknown metric is one clear message, not a crash.
    Q_EMIT m_window->evaluateView()->evaluateRequested({demoModel()}, smallData(), QString(), {"bogus"}, emo::widgets::EvalProtocol{});
    QTRY_VERIFY_WITH_TIMEOUT(m_window->lastError().contains("bogus"), 30000);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 30000);
    for (auto* box : m_window->findChildren<QMessageBox*>("errorBox"))
        box->close();
}

void TestStudio::openExperimentResults()
{
    // A results folder as `emo experiment oracle` writes it (micro scale: seconds), opened in the Evaluate view;
    // EMO_GUI_TEST_EXPERIMENT names a finished one instead (the README's screenshot of the full run).
    // By default the experiment is started from the view, as a user does (micro scale, the bundled oracle),
    // cancelled once its first fine-tune has saved a run, and run again on the same folder to resume.
    QString out = qEnvironmentVariable("EMO_GUI_TEST_EXPERIMENT");
    m_window->showView(MainWindow::Evaluate);
    auto* view = m_window->evaluateView();
    if (out.isEmpty()) {
        out = m_runs.filePath("oracle-experiment");
        auto* scale = view->findChild<QComboBox*>("experimentScaleCombo");
        scale->setCurrentIndex(scale->findData(QStringLiteral("micro")));
        view->setExperimentFolder(out);
        auto* run = view->findChild<QPushButton*>("runExperimentButton");
        QTest::mouseClick(run, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(out + "/runs/mle-s1/run.json"), 300000);
        QTest::mouseClick(view->findChild<QPushButton*>("cancelButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 120000);
        QVERIFY(!QFile::exists(out + "/results.md"));
        QTest::mouseClick(run, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->isBusy(), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 600000);
        QVERIFY(QFile::exists(out + "/results.md"));
    } else {
        QVERIFY(view->openResultsFolder(out));
    }
    auto* markdown = view->findChild<QTextBrowser*>("resultsMarkdown");
    QTRY_VERIFY_WITH_TIMEOUT(markdown->toPlainText().contains("student before fine-tuning"), 30000);
    QVERIFY(markdown->toPlainText().contains("Sanity gate"));
    QVERIFY(markdown->toPlainText().contains("vs MLE"));  // the p-value table
    QVERIFY(!markdown->toMarkdown().contains("!["));  // the plots are shown once, below the text
    const auto images = m_window->evaluateView()->findChildren<QLabel*>("resultImage");
    QCOMPARE(images.size(), 8);  // five metrics, cross-entropy against the oracle, two training curves
    for (auto* image : images)
        QVERIFY(!image->pixmap().isNull());
    screenshot(m_window.get(), "evaluate-experiment");
    // Back to the metrics tab, which the screenshot of every view shows.
    m_window->evaluateView()->findChild<QTabWidget*>()->setCurrentIndex(0);
}

void TestStudio::runsDomainsExperiment()
{
    // The domains experiment started from the view as a user does (micro scale: the bundled surrogate, two
    // domains); EMO_GUI_TEST_DOMAINS names a finished folder to show instead (the README's screenshot).
    QString out = qEnvironmentVariable("EMO_GUI_TEST_DOMAINS");
    m_window->showView(MainWindow::Evaluate);
    auto* view = m_window->evaluateView();
    if (out.isEmpty()) {
        out = m_runs.filePath("domains-experiment");
        view->setExperimentKind(QStringLiteral("domains"));
        auto* scale = view->findChild<QComboBox*>("experimentScaleCombo");
        scale->setCurrentIndex(scale->findData(QStringLiteral("micro")));
        view->setExperimentFolder(out);
        QTest::mouseClick(view->findChild<QPushButton*>("runExperimentButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->isBusy(), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 600000);
        QVERIFY2(QFile::exists(out + "/results.md"), qPrintable(m_window->lastError()));
    } else {
        QVERIFY(view->openResultsFolder(out));
    }
    auto* markdown = view->findChild<QTextBrowser*>("resultsMarkdown");
    QTRY_VERIFY_WITH_TIMEOUT(markdown->toPlainText().contains("Table 1"), 30000);
    QVERIFY(markdown->toPlainText().contains("Figure 2"));
    QVERIFY(markdown->toPlainText().contains("Paired tests against MLE"));
    const auto images = view->findChildren<QLabel*>("resultImage");
    QVERIFY(images.size() >= 4);  // MAUVE and cross-entropy per domain
    for (auto* image : images)
        QVERIFY(!image->pixmap().isNull());
    screenshot(m_window.get(), "evaluate-domains");
    view->setExperimentKind(QStringLiteral("oracle"));
    view->findChild<QTabWidget*>()->setCurrentIndex(0);
}

void TestStudio::classroomMovesMass()
{
    m_window->showView(MainWindow::Classroom);
    auto* view = m_window->classroomView();
    view->reset();
    const double mleGapBefore = view->toy(emo::widgets::ClassroomToy::Objective::Mle).gapMass();
    view->runSteps(300);
    const auto& mle = view->toy(emo::widgets::ClassroomToy::Objective::Mle);
    const auto& emo = view->toy(emo::widgets::ClassroomToy::Objective::Emo);
    QCOMPARE(mle.modeCoverage(), 1.0);          // MLE covers every mode...
    QVERIFY(emo.gapMass() < mle.gapMass());      // ...and leaves more mass in the gaps than EMO
    QVERIFY(mle.gapMass() < mleGapBefore);       // both moved away from the uniform start
}

void TestStudio::exportsEveryView()
{
    const QString dir = QString::fromStdString(emo::test::outputDir()) + "/studio-export";
    QDir().mkpath(dir);
    for (int v = MainWindow::Train; v < MainWindow::ViewCount; ++v) {
        m_window->showView(static_cast<MainWindow::View>(v));
        auto* exportable = dynamic_cast<emo::widgets::ExportableView*>(m_window->view(static_cast<MainWindow::View>(v)));
        QVERIFY(exportable);
        for (const char* suffix : {"png", "svg", "pdf"}) {
            const QString path = QStringLiteral("%1/view%2.%3").arg(dir).arg(v).arg(suffix);
            QString error;
            QVERIFY2(emo::widgets::saveWidgetImage(exportable->exportWidget(), path, &error), qPrintable(error));
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QByteArray head = file.read(8);
            if (QByteArray(suffix) == "png")
                QVERIFY(head.startsWith("\x89PNG"));
            else if (QByteArray(suffix) == "pdf")
                QVERIFY(head.startsWith("%PDF"));
            else
                QVERIFY(head.startsWith("<?xml"));
        }
        for (const char* suffix : {"csv", "json"}) {
            const QString path = QStringLiteral("%1/view%2.%3").arg(dir).arg(v).arg(suffix);
            QString error;
            const auto table = exportable->exportData();
            QVERIFY2(emo::widgets::saveDataTable(table, path, &error), qPrintable(error));
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QByteArray bytes = file.readAll();
            if (QByteArray(suffix) == "json") {
                const QJsonObject json = QJsonDocument::fromJson(bytes).object();
                QCOMPARE(json.value("rows").toArray().size(), table.rows.size());
            } else {
                QCOMPARE(bytes.count('\n'), table.rows.size() + 1);
            }
        }
    }
}

void TestStudio::screenshotsOfEveryView()
{
    const char* names[] = {"1-model", "2-train", "3-inspector", "4-cost-matrix", "5-compare", "6-evaluate", "7-classroom"};
    // The bundled demo runs are listed in the Train view with their real curves: show demo-mle against
    // demo-emo (checked in the run list, as a user does) instead of this test's short runs.
    auto* runs = m_window->trainView()->findChild<QListWidget*>("runList");
    QVERIFY(runs);
    for (int i = 0; i < runs->count(); ++i) {
        const QString folder = runs->item(i)->data(Qt::UserRole).toString();
        const bool demo = folder.endsWith("/demo-mle") || folder.endsWith("/demo-emo");
        runs->item(i)->setCheckState(demo ? Qt::Checked : Qt::Unchecked);
    }
    QVERIFY(m_window->trainView()->pointCount("demo-emo", TrainView::Series::DemdPart) > 0);
    QCOMPARE(m_window->trainView()->pointCount("demo-mle", TrainView::Series::Loss),
             m_window->trainView()->pointCount("demo-emo", TrainView::Series::Loss));
    for (int v = 0; v < MainWindow::ViewCount; ++v) {
        m_window->showView(static_cast<MainWindow::View>(v));
        screenshot(m_window.get(), names[v]);
    }
    // The dark theme (for a dark classroom) on the two views with the most colour.
    m_window->applyTheme("dark");
    QCOMPARE(QApplication::palette().color(QPalette::Window).lightness() < 100, true);
    for (int v : {int(MainWindow::Train), int(MainWindow::Inspector)}) {
        m_window->showView(static_cast<MainWindow::View>(v));
        screenshot(m_window.get(), QStringLiteral("dark-%1").arg(names[v]));
    }
    m_window->applyTheme("system");
    qInfo("GUI-thread stalls while training: longest %.1f ms, p99 %.0f ms", m_maxStallDuringTraining,
          m_p99StallDuringTraining);
    // The worker thread does the training: the event loop never waited for a step.
    QVERIFY2(m_maxStallDuringTraining < 1000.0, qPrintable(QString::number(m_maxStallDuringTraining)));
}

void TestStudio::cleanupTestCase()
{
    m_window.reset();  // joins the worker thread
}

void TestStudio::appExitsWithZero()
{
    // The real executable (Qt + LibTorch in one process have crashed at exit elsewhere: pytorch#103756).
    QProcess app;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("QT_QPA_PLATFORM", "offscreen");
    env.insert("XDG_CONFIG_HOME", m_runs.filePath("config"));
    env.insert("XDG_DATA_HOME", m_runs.filePath("data"));
    app.setProcessEnvironment(env);
    app.start(EMO_STUDIO_PATH, {"--model", demoModel(), "--quit-after-load"});
    QVERIFY(app.waitForFinished(120000));
    QCOMPARE(app.exitStatus(), QProcess::NormalExit);
    QCOMPARE(app.exitCode(), 0);
}

QTEST_MAIN(TestStudio)
#include "tst_studio.moc"
