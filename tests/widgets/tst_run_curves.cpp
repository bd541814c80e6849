// RunCurves reads a run folder through the core's run files (train/run_files.h): step and validation
// records in order, half-written or mistyped lines skipped, objective and status from run.json.
#include "run_curves.h"

#include "train/run_files.h"

#include <QtTest>

#include <cmath>
#include <fstream>

using emo::widgets::RunCurves;

class TestRunCurves : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void readsMetricsAndRecord()
    {
        QTemporaryDir dir;
        const std::string folder = dir.path().toStdString();
        {
            std::ofstream out(folder + "/metrics.jsonl");
            out << "{\"type\":\"step\",\"step\":1,\"loss\":3.5,\"mle\":3.0,\"demd\":0.5}\n"
                << "{\"type\":\"step\",\"step\":2,\"loss\":3.25,\"mle\":2.75,\"demd\":null}\n"
                << "{\"type\":\"validation\",\"step\":2,\"validation_loss\":2.9,\"validation_demd\":0.4}\n"
                << "{\"type\":\"step\",\"step\":\"three\",\"loss\":1}\n"   // mistyped: skipped
                << "{\"type\":\"step\",\"step\":4,\"lo";                  // cut by a crash: skipped
        }
        emo::train::RunRecord record;
        record.status = "cancelled";
        record.settings.objective.kind = emo::objective::ObjectiveKind::Tailr;
        emo::train::writeRunJson(folder + "/run.json", record);

        RunCurves curves;
        QString error;
        QVERIFY2(RunCurves::load(dir.path(), &curves, &error), qPrintable(error));
        QCOMPARE(curves.steps, QVector<double>({1, 2}));
        QCOMPARE(curves.loss, QVector<double>({3.5, 3.25}));
        QCOMPARE(curves.mlePart, QVector<double>({3.0, 2.75}));
        QCOMPARE(curves.demdPart[0], 0.5);
        QVERIFY(std::isnan(curves.demdPart[1]));  // null: the objective had no DEMD part
        QCOMPARE(curves.validationSteps, QVector<double>({2}));
        QCOMPARE(curves.validationLoss, QVector<double>({2.9}));
        QCOMPARE(curves.validationDemd, QVector<double>({0.4}));
        QCOMPARE(curves.objective, QStringLiteral("tailr"));
        QCOMPARE(curves.status, QStringLiteral("cancelled"));
        QCOMPARE(curves.name, QFileInfo(dir.path()).fileName());
    }

    void damagedRecordStillShowsCurves()
    {
        QTemporaryDir dir;
        std::ofstream(dir.filePath("metrics.jsonl").toStdString()) << "{\"type\":\"step\",\"step\":1,\"loss\":2}\n";
        std::ofstream(dir.filePath("run.json").toStdString()) << "{\"format\":";
        RunCurves curves;
        QVERIFY(RunCurves::load(dir.path(), &curves));
        QCOMPARE(curves.loss, QVector<double>({2}));
        QVERIFY(curves.objective.isEmpty());
    }

    void missingHistoryNamesTheFile()
    {
        QTemporaryDir dir;
        RunCurves curves;
        QString error;
        QVERIFY(!RunCurves::load(dir.path(), &curves, &error));
        QVERIFY2(error.contains(dir.filePath("metrics.jsonl")), qPrintable(error));
    }
};

QTEST_APPLESS_MAIN(TestRunCurves)
#include "tst_run_curves.moc"
