// Data-parallel training on c10d Gloo over loopback, as a user runs it: `emo train --nproc 2`, and ranks
// started by hand with torchrun's variables. 2 processes × batch B must reach the parameters of 1 process
// × batch 2B; a killed rank, an unreachable master and a resume with another world size fail with one clear
// message instead of a hang.
#include "support/emo_cli.h"
#include "support/tiny_corpus.h"
#include "support/tiny_models.h"
#include "io/safetensors.h"

#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>

using emo::test::runEmo;
namespace fs = std::filesystem;

namespace {

// Parameters after the last step, as trainer_state.safetensors keeps them: name → tensor.
std::map<std::string, torch::Tensor> finalParameters(const std::string& run)
{
    const auto file = emo::io::SafetensorsFile::open(run + "/trainer_state.safetensors");
    std::map<std::string, torch::Tensor> out;
    for (const auto& info : file.tensors())
        if (info.name.rfind("param.", 0) == 0)
            out[info.name] = file.load(info.name).to(torch::kFloat64);
    return out;
}

QProcessEnvironment rankEnvironment(int rank, int world, int port)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("RANK", QString::number(rank));
    env.insert("LOCAL_RANK", QString::number(rank));
    env.insert("WORLD_SIZE", QString::number(world));
    env.insert("MASTER_ADDR", "127.0.0.1");
    env.insert("MASTER_PORT", QString::number(port));
    env.insert("OMP_NUM_THREADS", "1");
    return env;
}

} // namespace

class TestDataParallel : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::string m_tmp, m_model, m_data;

    QStringList trainArguments(const std::string& objective, int batch, int steps, const std::string& out) const
    {
        return {"train", "--model", QString::fromStdString(m_model), "--data", QString::fromStdString(m_data),
                "--objective", QString::fromStdString(objective), "--batch", QString::number(batch), "--block", "16",
                "--steps", QString::number(steps), "--lr", "1e-3", "--val-fraction", "0.1", "--validate-every", "2",
                "--out", QString::fromStdString(out)};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_tmp = m_dir.path().toStdString();
        m_model = emo::test::writeTinyModel(m_tmp + "/gpt2", "gpt2", true, 7);
        m_data = m_tmp + "/data.txt";
        std::ofstream(m_data) << emo::test::repetitiveCorpus(true);
    }

    // The same K steps: 2 ranks × batch 3 and 1 process × batch 6 see the same blocks per step (rank r the
    // r-th half), so only the order of float sums differs (all-reduce of two halves against one batch).
    void twoRanksEqualOneProcessAtTheDoubledBatch_data()
    {
        QTest::addColumn<QString>("objective");
        QTest::newRow("mle") << "mle";
        QTest::newRow("emo") << "emo";
    }
    void twoRanksEqualOneProcessAtTheDoubledBatch()
    {
        QFETCH(QString, objective);
        const std::string name = objective.toStdString();
        const std::string one = m_tmp + "/one-" + name, two = m_tmp + "/two-" + name;
        auto run = runEmo(trainArguments(name, 6, 5, one));
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        run = runEmo(trainArguments(name, 3, 5, two) << "--nproc" << "2");
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));

        // Measured over all parameters as one vector: ‖θ₂ − θ₁‖ / ‖θ₁‖. Element-wise maxima mean little here:
        // AdamW's first steps move an element by lr·g/(|g| + eps), so an element whose gradient is near zero
        // (|g| ~ eps) turns a 1e-6 relative difference of g into a visible one of θ. The gradients themselves
        // agree to the fp32 sum order (exp_avg = 0.1·g after one step: 1.3e-6 relative, measured on demo-tiny).
        const auto a = finalParameters(one), b = finalParameters(two);
        QCOMPARE(a.size(), b.size());
        const auto start = emo::io::SafetensorsFile::open(m_model + "/model.safetensors");
        double difference = 0.0, norm = 0.0;
        for (const auto& [key, value] : a) {
            difference += (value - b.at(key)).pow(2).sum().item<double>();
            norm += value.pow(2).sum().item<double>();
        }
        const double relative = std::sqrt(difference / norm);
        // The steps moved the weights far more than the two runs differ (so the test can fail).
        const auto embedding = a.at("param.wte_weight");
        const double moved = (embedding - start.load("transformer.wte.weight").to(torch::kFloat64)).norm().item<double>()
                           / embedding.norm().item<double>();
        qInfo("%s: 2 ranks x batch 3 vs 1 x batch 6 after 5 steps: |dtheta|/|theta| %.3g (the embedding moved %.3g)",
              qPrintable(objective), relative, moved);
        QVERIFY2(relative < 1e-5, qPrintable(QString::number(relative)));  // fp32; measured 1.0e-6 on demo-tiny
        QVERIFY(moved > 100 * relative);

        // The metrics agree step for step, and rank 0 alone wrote the folder.
        const auto lines = [](const std::string& path) {
            std::vector<nlohmann::json> out;
            std::ifstream file(path);
            for (std::string line; std::getline(file, line);)
                out.push_back(nlohmann::json::parse(line));
            return out;
        };
        const auto m1 = lines(one + "/metrics.jsonl"), m2 = lines(two + "/metrics.jsonl");
        QCOMPARE(m1.size(), m2.size());
        for (std::size_t i = 0; i < m1.size(); ++i)
            if (m1[i].contains("loss") && m1[i]["loss"].is_number())
                QVERIFY(std::abs(m1[i]["loss"].get<double>() - m2[i]["loss"].get<double>()) < 1e-5);
        QCOMPARE(nlohmann::json::parse(std::ifstream(two + "/run.json"))["settings"]["world_size"].get<int>(), 2);

        // Resuming with another world size would change what each step sees: refused, naming both.
        run = runEmo(trainArguments(name, 3, 6, two) << "--resume" << QString::fromStdString(two));
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("trained by 2 process(es)") && run.err.contains("--nproc 2"), qPrintable(run.err));
    }

    // Ranks started by hand, as torchrun does; rank 1 killed mid-run: rank 0 must exit with a message, not hang.
    void killedRankStopsTheOthers()
    {
        const int port = 29000 + int(QCoreApplication::applicationPid() % 1000);
        const std::string out = m_tmp + "/killed";
        QProcess ranks[2];
        for (int rank = 0; rank < 2; ++rank) {
            ranks[rank].setProcessEnvironment(rankEnvironment(rank, 2, port));
            ranks[rank].start(QStringLiteral(EMO_CLI_PATH), trainArguments("mle", 2, 100000, out));
        }
        // Wait for training to have begun (rank 0 writes the first step), then kill rank 1.
        QElapsedTimer clock;
        clock.start();
        while (!(fs::exists(out + "/metrics.jsonl") && fs::file_size(out + "/metrics.jsonl") > 0) && clock.elapsed() < 120000)
            QTest::qWait(50);
        QVERIFY2(fs::exists(out + "/metrics.jsonl"), qPrintable(QString::fromUtf8(ranks[0].readAllStandardError())));
        ranks[1].kill();
        ranks[1].waitForFinished();
        clock.restart();
        QVERIFY2(ranks[0].waitForFinished(120000), "rank 0 hung after rank 1 died");
        const QString err = QString::fromUtf8(ranks[0].readAllStandardError());
        qInfo("rank 0 exited %d after %.1f s: %s", ranks[0].exitCode(), clock.elapsed() / 1000.0,
              qPrintable(err.split('\n', Qt::SkipEmptyParts).last()));
        QCOMPARE(ranks[0].exitCode(), 1);
        QVERIFY2(err.contains("rank 0 of 2") && err.contains("another rank stopped or cannot be reached"), qPrintable(err));
        // What was saved before stays readable.
        QVERIFY(fs::exists(out + "/run.json"));
        QVERIFY(nlohmann::json::parse(std::ifstream(out + "/run.json")).contains("settings"));
    }

    // A rank whose master never answers gives up after the timeout, naming the address.
    void unreachableMasterIsNamed()
    {
        QProcessEnvironment env = rankEnvironment(1, 2, 9);  // port 9 (discard): nothing listens
        env.insert("EMO_DDP_TIMEOUT_SECONDS", "2");
        const auto run = runEmo(trainArguments("mle", 2, 2, m_tmp + "/unreachable"), 120000, env);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("rank 1 of 2: cannot reach the master at 127.0.0.1:9"), qPrintable(run.err));
    }
};

QTEST_GUILESS_MAIN(TestDataParallel)
#include "tst_data_parallel.moc"
