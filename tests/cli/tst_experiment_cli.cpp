// `emo experiment oracle` end to end at the micro scale, as a user runs it: the results folder (data, runs,
// results.json, results.md, plots), each run's test perplexity against `emo eval` on the same model and file,
// a second invocation that finds everything finished, a deleted run that is redone alone, and a folder of
// another scale that is refused with one line naming experiment.json. `emo experiment domains` at the micro
// scale: its table on stdout, its folder, and its options' contradictions and missing data named (exit 2).
#include "support/emo_cli.h"
#include "support/test_paths.h"

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using emo::test::runEmo;

json readJson(const std::string& file)
{
    std::ifstream in(file);
    return json::parse(in);
}

int64_t lineCount(const std::string& file)
{
    std::ifstream in(file);
    int64_t n = 0;
    for (std::string line; std::getline(in, line);)
        n += !line.empty();
    return n;
}

bool isPng(const std::string& file)
{
    std::ifstream in(file, std::ios::binary);
    char head[8] = {};
    in.read(head, 8);
    return in && std::string(head + 1, 3) == "PNG";
}

} // namespace

class TestExperimentCli : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::string m_out;
    QStringList m_args;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_out = m_dir.filePath("oracle").toStdString();
        const std::string resources = emo::test::sourceDir() + "/resources";
        m_args = {"experiment", "oracle", "--scale", "micro", "--oracle",
                  QString::fromStdString(resources + "/models/demo-tiny"), "--student-data",
                  QString::fromStdString(resources + "/data/finetune/validation.txt"), "--out",
                  QString::fromStdString(m_out)};
    }

    void runsEndToEnd()
    {
        const auto run = runEmo(m_args, 600000);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains("| MLE |") && run.out.contains("| EMO |"), qPrintable(run.out));
        QVERIFY2(run.err.contains("10 runs (0 finished earlier)"), qPrintable(run.err));
        QVERIFY2(run.out.contains("sanity gate "), qPrintable(run.out));

        // The oracle's samples: at most the asked counts (an immediate EOS is dropped), never none.
        for (auto [name, asked] : {std::pair{"train", 24}, {"validation", 6}, {"test", 8}}) {
            const int64_t n = lineCount(m_out + "/data/" + name + ".jsonl");
            QVERIFY2(n > 0 && n <= asked, name);
        }
        const json results = readJson(m_out + "/results.json");
        QCOMPARE(results["experiment"], "oracle");
        QCOMPARE(results["runs"].size(), size_t(10));  // 4 configs × 2 seeds + 2 diagnostics × 1 seed
        std::set<std::string> labels;
        for (const auto& row : results["rows"]) {
            labels.insert(row["label"].get<std::string>());
            for (const auto& m : row["metrics"]) {
                const double mean = m["mean"];
                const std::string name = m["name"];
                QVERIFY2(std::isfinite(mean), name.c_str());
                // Two seeds, in configs and references alike; a reference's test perplexity needs no sampling,
                // a diagnostic has one seed.
                const bool oneRun = (name == "ppl" && row["objective"] == "reference") || row["objective"] == "diagnostic";
                QCOMPARE(m["count"].get<int>(), oneRun ? 1 : 2);
                if (name == "ppl" || name == "oracle-ppl")
                    QVERIFY2(mean > 1.0, name.c_str());
                else
                    QVERIFY2(mean >= 0.0 && mean <= 1.0, name.c_str());
            }
        }
        for (const char* label : {"MLE", "TaiLr r=0.9", "MixCE η=0.9", "EMO", "EMO, oracle's Ê", "EMO, random Ê",
                                  "student before fine-tuning", "oracle (its own samples)"})
            QVERIFY2(labels.count(label), label);
        // Means over seeds match the per-run values.
        double sum = 0.0;
        for (const auto& r : results["runs"])
            if (r["config"] == "mle")
                sum += r["metrics"]["ppl"].get<double>();
        for (const auto& row : results["rows"])
            if (row["name"] == "mle")
                for (const auto& m : row["metrics"])
                    if (m["name"] == "ppl")
                        QVERIFY(std::abs(m["mean"].get<double>() - sum / 2) < 1e-9 * sum);

        const std::string md = [&] { std::ifstream in(m_out + "/results.md"); std::stringstream s; s << in.rdbuf(); return s.str(); }();
        QVERIFY(md.find("| model | oracle PPL ↓ | test PPL ↓ | MAUVE ↑ | ROUGE-1 ↑ | ROUGE-L ↑ |") != std::string::npos);
        QVERIFY(md.find("![") != std::string::npos);
        for (const char* plot : {"oracle-ppl", "ppl", "mauve", "rouge-1", "rouge-l", "cross-entropy", "training-curves", "training-ce"}) {
            QVERIFY2(isPng(m_out + "/" + plot + ".png"), plot);
            QVERIFY2(fs::file_size(m_out + "/" + plot + ".svg") > 1000, plot);
        }
        // No temporary files left behind anywhere.
        for (const auto& entry : fs::recursive_directory_iterator(m_out))
            QVERIFY2(entry.path().extension() != ".tmp", entry.path().c_str());
    }

    // The experiment's test perplexity is the one `emo eval` computes for the same model and file.
    void perplexityMatchesEmoEval()
    {
        const json results = readJson(m_out + "/results.json");
        const auto& run = results["runs"][0];
        const std::string dir = m_out + "/runs/" + run["name"].get<std::string>();
        const auto eval = runEmo({"eval", "--model", QString::fromStdString(dir), "--data",
                                  QString::fromStdString(m_out + "/data/test.jsonl"), "--metrics", "ppl", "--json"});
        QVERIFY2(eval.exitCode == 0, qPrintable(eval.err));
        const json doc = json::parse(eval.out.toStdString());
        const double expected = doc["metrics"][0]["mean"];
        const double got = run["metrics"]["ppl"];
        QVERIFY2(std::abs(got - expected) <= 1e-6 * expected, qPrintable(QString("%1 vs %2").arg(got).arg(expected)));
    }

    void resumesWithoutRedoingFinishedRuns()
    {
        const std::string keptScores = m_out + "/runs/mle-s1/scores.json";
        const auto keptTime = fs::last_write_time(keptScores);
        const json before = readJson(m_out + "/results.json");
        fs::remove_all(m_out + "/runs/emo-s2");  // as if interrupted before its first saved state

        const auto run = runEmo(m_args, 600000);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.err.contains("10 runs (9 finished earlier)"), qPrintable(run.err));
        QCOMPARE(fs::last_write_time(keptScores), keptTime);
        const json after = readJson(m_out + "/results.json");
        // The redone run is the same computation with the same seeds: the same numbers.
        for (size_t i = 0; i < before["runs"].size(); ++i)
            for (const auto& [metric, value] : before["runs"][i]["metrics"].items())
                QVERIFY2(std::abs(value.get<double>() - after["runs"][i]["metrics"][metric].get<double>()) <=
                             1e-4 * std::max(1.0, std::abs(value.get<double>())),
                         (before["runs"][i]["name"].get<std::string>() + " " + metric).c_str());
    }

    void refusesAFolderOfAnotherExperiment()
    {
        QStringList args = m_args;
        args[3] = "quick";
        const auto run = runEmo(args);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.count("experiment.json") == 1 && run.err.contains("other settings"), qPrintable(run.err));
    }

    void domainsEndToEnd()
    {
        const std::string resources = emo::test::sourceDir() + "/resources";
        const std::string out = m_dir.filePath("domains").toStdString();
        const QStringList args = {"experiment", "domains", "--scale", "micro", "--surrogate",
                                  QString::fromStdString(resources + "/models/demo-tiny"), "--base-data",
                                  QString::fromStdString(resources + "/data/finetune/validation.txt"), "--out",
                                  QString::fromStdString(out)};
        const auto run = runEmo(args, 600000);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains("MAUVE x 100") && run.out.contains("| Jargon File | Fortunes |"), qPrintable(run.out));
        QVERIFY2(run.err.contains("16 runs (0 finished earlier)"), qPrintable(run.err));
        const json results = readJson(out + "/results.json");
        QCOMPARE(results["experiment"], "domains");
        QCOMPARE(int(results["runs"].size()), 16);
        QVERIFY(isPng(out + "/mauve-fortunes.png") && isPng(out + "/cross-entropy-jargon.png"));
        // Again: everything is found finished.
        const auto again = runEmo(args, 600000);
        QVERIFY2(again.exitCode == 0 && again.err.contains("16 runs (16 finished earlier)"), qPrintable(again.err));
    }

    void domainsBadInputIsNamed()
    {
        const auto both = runEmo({"experiment", "domains", "--scale", "micro", "--base", "/a", "--base-data", "/b",
                                  "--out", m_dir.filePath("both")});
        QCOMPARE(both.exitCode, 2);
        QVERIFY2(both.err.contains("--base") && both.err.contains("--base-data"), qPrintable(both.err));
        const auto data = runEmo({"experiment", "domains", "--scale", "micro", "--data", "/no/such/domains", "--out",
                                  m_dir.filePath("nodata")});
        QCOMPARE(data.exitCode, 2);
        QVERIFY2(data.err.contains("/no/such/domains/jargon/train.txt"), qPrintable(data.err));
        QVERIFY(!fs::exists(m_dir.filePath("nodata").toStdString() + "/base"));
    }

    void badOracleIsNamed()
    {
        const auto run = runEmo({"experiment", "oracle", "--scale", "micro", "--oracle", "/no/such/model", "--out",
                                 m_dir.filePath("bad")});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("/no/such/model"), qPrintable(run.err));
    }
};

QTEST_GUILESS_MAIN(TestExperimentCli)
#include "tst_experiment_cli.moc"
