// `emo train` killed with SIGKILL at many moments, writes held open by EMO_FAULT_WRITE_DELAY_MS so that kills
// land inside them too. After each kill: every file in the run folder reads (run.json, the checkpoint, the
// trainer state), and --resume finishes with the uninterrupted run's final loss and a byte-identical model.
#include "support/emo_cli.h"
#include "support/tiny_corpus.h"
#include "support/tiny_models.h"

#include "io/safetensors.h"
#include "train/run_files.h"
#include "train/trainer_state.h"
#include "util/atomic_file.h"
#include "util/splitmix64.h"

#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <thread>

namespace fs = std::filesystem;
using emo::test::runEmo;

namespace {

int trials()
{
    bool ok = false;
    const int n = qEnvironmentVariableIntValue("EMO_CRASH_TRIALS", &ok);
    return ok ? n : 16;
}

// The file's last JSON result line: {"status": ..., "last_loss": ...}.
nlohmann::json resultOf(const emo::test::CliRun& run)
{
    return nlohmann::json::parse(run.out.toStdString(), nullptr, false);
}

} // namespace

class TestCrashConsistency : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::string m_model, m_data;
    double m_referenceLoss = 0.0;
    std::string m_referenceWeights;  // the uninterrupted run's model.safetensors, byte for byte
    double m_referenceSeconds = 0.0;

    QStringList trainArguments(const QString& out) const
    {
        return {"train", "--model", QString::fromStdString(m_model), "--data", QString::fromStdString(m_data),
                "--objective", "emo", "--steps", "24", "--batch", "2", "--block", "16", "--validate-every", "4",
                "--seed", "3", "--out", out, "--json"};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const std::string tmp = m_dir.path().toStdString();
        m_model = emo::test::writeTinyModel(tmp + "/llama", "llama", false, 1);
        m_data = tmp + "/data.txt";
        emo::util::writeTextFileAtomically(m_data, emo::test::repetitiveCorpus());

        QElapsedTimer timer;
        timer.start();
        const auto run = runEmo(trainArguments(m_dir.filePath("reference")));
        m_referenceSeconds = timer.elapsed() / 1000.0;
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        m_referenceLoss = resultOf(run)["last_loss"].get<double>();
        m_referenceWeights = emo::util::readTextFile(m_dir.filePath("reference/model.safetensors").toStdString());
        qInfo("uninterrupted run: %.2f s, final loss %.9f", m_referenceSeconds, m_referenceLoss);
    }

    void killedAtRandomMomentsLosesNothing()
    {
        QProcessEnvironment slowWrites = QProcessEnvironment::systemEnvironment();
        slowWrites.insert("EMO_FAULT_WRITE_DELAY_MS", "40");
        uint64_t random = 20261203;
        int insideWrite = 0, resumed = 0, nothingSaved = 0;
        for (int trial = 0; trial < trials(); ++trial) {
            const QString out = m_dir.filePath(QString("trial-%1").arg(trial));
            // Uniform from the end of start-up (about a third of the short reference run) to three times its
            // length: the held writes slow the run down.
            random = emo::util::splitmix64(random);
            const int killAfterMs = int(1000.0 * m_referenceSeconds * (0.3 + 2.7 * double(random % 10000) / 10000.0));
            QProcess process;
            process.setProcessEnvironment(slowWrites);
            process.start(QStringLiteral(EMO_CLI_PATH), trainArguments(out));
            QVERIFY(process.waitForStarted());
            if (!process.waitForFinished(killAfterMs)) {
                ::kill(static_cast<pid_t>(process.processId()), SIGKILL);
                process.waitForFinished();
            }
            const std::string folder = out.toStdString();
            bool leftover = false;
            if (fs::is_directory(folder))
                for (const auto& entry : fs::directory_iterator(folder))
                    leftover = leftover || entry.path().filename().string().find(".tmp-") != std::string::npos;
            insideWrite += leftover;

            // Whatever was saved reads back whole.
            const std::string runJson = folder + "/run.json", weights = folder + "/model.safetensors",
                              state = folder + "/trainer_state.safetensors";
            try {
                if (fs::exists(runJson))
                    emo::train::readRunJson(runJson);
                if (fs::exists(weights)) {
                    const auto file = emo::io::SafetensorsFile::open(weights);
                    for (const auto& tensor : file.tensors())
                        file.load(tensor.name);
                }
                if (fs::exists(state))
                    emo::train::TrainerState::load(state);
            } catch (const std::exception& e) {
                QFAIL(qPrintable(QString("trial %1 (killed after %2 ms): %3").arg(trial).arg(killAfterMs).arg(e.what())));
            }
            if (!fs::exists(state)) {
                ++nothingSaved;  // killed before the first save: nothing to lose
                continue;
            }
            const auto again = runEmo(trainArguments(out) << "--resume" << out);
            QVERIFY2(again.exitCode == 0, qPrintable(QString("trial %1 (killed after %2 ms): %3")
                                                         .arg(trial).arg(killAfterMs).arg(again.err)));
            const double loss = resultOf(again)["last_loss"].get<double>();
            QVERIFY2(loss == m_referenceLoss, qPrintable(QString("trial %1: final loss %2, uninterrupted %3")
                                                             .arg(trial).arg(loss, 0, 'g', 17).arg(m_referenceLoss, 0, 'g', 17)));
            QVERIFY2(emo::util::readTextFile(weights) == m_referenceWeights,
                     qPrintable(QString("trial %1: model.safetensors differs from the uninterrupted run's").arg(trial)));
            ++resumed;
        }
        qInfo("%d kills: %d inside a write (a temporary file left), %d resumed to the same final loss and "
              "weights, %d before anything was saved", trials(), insideWrite, resumed, nothingSaved);
        QVERIFY2(resumed > 0, "no trial got far enough to resume; the kill times are wrong");
    }
};

QTEST_GUILESS_MAIN(TestCrashConsistency)
#include "tst_crash_consistency.moc"
