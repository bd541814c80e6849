// `emo-bench --quick` as CI runs it: a smoke test of the side-by-side bench that asserts no timing, only that
// the engine and its PyTorch-eager twin agree on the loss, that every section reports, and that bad flags and a
// disagreeing twin are caught.

#include <QtTest/QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <cmath>

namespace {

struct BenchRun {
    int exitCode = -1;
    QString out, err;
};

BenchRun runBench(const QStringList& args, int timeoutMs = 240000)
{
    QProcess process;
    process.start(EMO_BENCH_PATH, args);
    BenchRun run;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        run.err = "timed out";
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

// `emo-bench --quick --only SECTION --json FILE` and the report it wrote; an empty object, with the bench's
// output in *log, when it failed.
QJsonObject quickReport(const QString& section, QString* log)
{
    QTemporaryDir dir;
    const QString json = dir.filePath("bench.json");
    const BenchRun run = runBench({"--quick", "--only", section, "--json", json});
    *log = run.err + run.out;
    QFile file(json);
    if (run.exitCode != 0 || !file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

} // namespace

class TestBenchSmoke : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void quickRunAgreesWithTheTwin();
    void evalTimesTheJobUsersRun();
    void badFlagsNameTheFlag_data();
    void badFlagsNameTheFlag();
    void disagreeingTwinFails();
};

void TestBenchSmoke::quickRunAgreesWithTheTwin()
{
    QString log;
    const QJsonObject report = quickReport("step", &log);
    QVERIFY2(!report.isEmpty(), qPrintable(log));
    const QJsonObject step = report["steps"].toArray().at(0).toObject();
    QCOMPARE(step["shape"].toString(), QString("quick"));
    QVERIFY(step["ok"].toBool());
    for (const char* name : {"mle", "emo", "tailr", "mixce"}) {
        const QJsonObject row = step["objectives"].toObject()[name].toObject();
        QVERIFY2(row["loss_agrees"].toBool(), name);
        QVERIFY2(row["engine_ms"].toObject()["median"].toDouble() > 0, name);
        QVERIFY2(row["eager_ms"].toObject()["median"].toDouble() > 0, name);
        QVERIFY2(row["engine_peak_mib"].toDouble() > 0, name);
    }
    // A freshly initialised model (weights ~ N(0, 0.02)) predicts nearly uniformly: CE ≈ ln V, V = 2000.
    const double mle = step["objectives"].toObject()["mle"].toObject()["engine_loss"].toDouble();
    QVERIFY2(std::abs(mle - std::log(2000.0)) < 0.1, qPrintable(QString::number(mle)));
    // MixCE at η = 0.5 is 0.5·CE + 0.5·q_y·CE with q_y ≈ 1/V: about half the CE.
    const double mixce = step["objectives"].toObject()["mixce"].toObject()["engine_loss"].toDouble();
    QVERIFY2(std::abs(mixce - 0.5 * mle * (1 + 1 / 2000.0)) < 0.01, qPrintable(QString::number(mixce)));
    const QJsonArray sampling = step["sampling"].toArray();
    QCOMPARE(sampling.size(), 2);
    QCOMPARE(sampling.at(1).toObject()["rows"].toInt(), 4);
    QVERIFY(sampling.at(0).toObject()["eager_decode_tokens_per_s"].toDouble() > 0);
}

// The eval section times `emo eval --metrics mauve` itself: the same settings through the CLI give the same score.
void TestBenchSmoke::evalTimesTheJobUsersRun()
{
    QString log;
    const QJsonObject report = quickReport("eval", &log);
    QVERIFY2(!report.isEmpty(), qPrintable(log));
    const QJsonObject eval = report["eval"].toObject();
    QCOMPARE(eval["samples"].toInt(), 8);
    QVERIFY(eval["seconds"].toDouble() > 0);
    const QJsonObject stages = eval["stage_seconds"].toObject();
    for (const char* stage : {"sampling", "features", "mauve"})
        QVERIFY2(stages.contains(stage), stage);

    const QString resources = QStringLiteral(EMO_RESOURCES_DIR);
    QProcess cli;
    cli.start(EMO_CLI_PATH, {"eval", "--model", resources + "/models/demo-mle", "--oracle", resources + "/models/demo-base",
                             "--data", resources + "/data/finetune/test.txt", "--metrics", "mauve", "--max-prefixes", "4",
                             "--samples", "2", "--continuation-words", "20", "--json"});
    QVERIFY(cli.waitForFinished(120000));
    QCOMPARE(cli.exitCode(), 0);
    const QJsonObject out = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    QCOMPARE(eval["mauve"].toDouble(), out["mauve"].toObject()["score"].toDouble());
}

void TestBenchSmoke::badFlagsNameTheFlag_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("named");
    QTest::newRow("shape") << QStringList{"--shape", "huge"} << "--shape huge";
    QTest::newRow("objective") << QStringList{"--objectives", "mle,bogus"} << "bogus";
    QTest::newRow("twin") << QStringList{"--twin", "/nonexistent/twin.py"} << "/nonexistent/twin.py";
    QTest::newRow("number") << QStringList{"--layers", "two"} << "--layers";
    QTest::newRow("heads") << QStringList{"--d", "100", "--heads", "3"} << "heads";
    QTest::newRow("only") << QStringList{"--only", "everything"} << "--only";
}

void TestBenchSmoke::badFlagsNameTheFlag()
{
    QFETCH(QStringList, args);
    QFETCH(QString, named);
    const BenchRun run = runBench(args, 30000);
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(named), qPrintable(run.err));
    QVERIFY2(!run.out.contains("step "), "no work starts on bad flags");
}

// A twin whose loss is not the engine's makes the bench fail (exit 1) and say so.
void TestBenchSmoke::disagreeingTwinFails()
{
    QTemporaryDir dir;
    const QString twin = dir.filePath("wrong_twin.py");
    QFile file(twin);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("import sys\nprint('ready', flush=True)\nfor line in sys.stdin:\n"
               "    w = line.split()\n"
               "    if w[0] == 'quit': break\n"
               "    print({'check': 'loss 1.5', 'step': 'seconds 0.001 loss 1.5', 'memory': 'peak 1'}"
               ".get(w[0], 'prefill 0.001 decode 0.001'), flush=True)\n");
    file.close();
    const BenchRun run = runBench({"--quick", "--only", "step", "--objectives", "mle", "--twin", twin});
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(run.err.contains("loss differs"), qPrintable(run.err));
    QVERIFY(run.out.contains("DIFFERS"));
}

QTEST_GUILESS_MAIN(TestBenchSmoke)
#include "tst_bench_smoke.moc"
