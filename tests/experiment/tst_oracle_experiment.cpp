// runOracleExperiment at the micro scale, cancelled at several moments (while the oracle samples, while the
// student pretrains, inside a fine-tune, while scoring) and resumed each time: the finished experiment equals
// an uninterrupted one number for number, and no file of a cancelled step is left half-written.
#include "eval/paired_test.h"
#include "experiment/oracle_experiment.h"
#include "support/test_paths.h"
#include "util/atomic_file.h"
#include "util/error.h"

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

emo::experiment::OracleExperimentSettings microSettings(const std::string& out)
{
    auto s = emo::experiment::OracleExperimentSettings::preset("micro");
    s.oraclePath = emo::test::sourceDir() + "/resources/models/demo-tiny";
    s.studentDataPath = emo::test::sourceDir() + "/resources/data/finetune/validation.txt";
    s.outputDir = out;
    return s;
}

json rowsOf(const std::string& out)
{
    std::ifstream in(out + "/results.json");
    return json::parse(in)["rows"];
}

} // namespace

class TestOracleExperiment : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::vector<std::string> m_stages;  // every progress stage of an uninterrupted run, in order

private Q_SLOTS:
    void uninterrupted()
    {
        const std::string out = m_dir.filePath("whole").toStdString();
        const auto result = emo::experiment::runOracleExperiment(microSettings(out), [&](const emo::Progress& p) {
            m_stages.push_back(p.stage);
            return true;
        });
        // 4 configs × 2 seeds, then the 2 diagnostics (EMO with the oracle's and a random Ê) with seed 1.
        QCOMPARE(result.runsDone, int64_t(10));
        QCOMPARE(result.runsSkipped, int64_t(0));
        QCOMPARE(int(result.rows.size()), 8);
        QVERIFY(m_stages.size() > 20);
        QCOMPARE(QString::fromStdString(result.rows[4].name), QString("emo-cost-oracle"));
        QCOMPARE(QString::fromStdString(result.rows[5].name), QString("emo-cost-random"));

        // Paired tests against MLE: (seed, prefix) pairs for oracle PPL and ROUGE, (seed, sample index) for
        // MAUVE, one seed for the diagnostics; none for MLE itself and the reference rows.
        const json results = json::parse(std::ifstream(out + "/results.json"));
        QCOMPARE(results["protocol"].get<std::string>(), std::string("official"));
        const json rows = results["rows"];
        QVERIFY(rows[0]["versus_mle"].empty());
        QCOMPARE(rows[1]["versus_mle"]["oracle-ppl"]["pairs"].get<int>(), 2 * 4);
        QCOMPARE(rows[1]["versus_mle"]["rouge-1"]["pairs"].get<int>(), 2 * 4);
        QCOMPARE(rows[1]["versus_mle"]["mauve"]["pairs"].get<int>(), 2 * 2);
        QCOMPARE(rows[4]["versus_mle"]["oracle-ppl"]["pairs"].get<int>(), 4);
        QVERIFY(rows[6]["versus_mle"].empty());
        for (size_t r = 1; r < 6; ++r)
            for (const auto& [metric, test] : rows[r]["versus_mle"].items()) {
                const double p = test["p_value"];
                QVERIFY2(p > 0.0 && p <= 1.0, (metric + ": p " + std::to_string(p)).c_str());
            }
        // The p-value of one pair list recomputed from the runs' scores.json units (the pairing is by seed).
        std::vector<double> mine, mle;
        for (const char* seed : {"1", "2"}) {
            const json a = json::parse(std::ifstream(out + "/runs/emo-s" + seed + "/scores.json"));
            const json b = json::parse(std::ifstream(out + "/runs/mle-s" + seed + "/scores.json"));
            for (double v : a["metrics"]["rouge-l"]["units"])
                mine.push_back(v);
            for (double v : b["metrics"]["rouge-l"]["units"])
                mle.push_back(v);
        }
        const auto expected = emo::eval::pairedSignFlipTest(mine, mle);
        QCOMPARE(rows[3]["versus_mle"]["rouge-l"]["p_value"].get<double>(), expected.pValue);

        // The sanity gate is computed from the MLE and student rows, and says which way it went.
        const json gate = results["sanity_gate"];
        const bool passed = gate["mle_ppl"].get<double>() < gate["student_ppl"].get<double>() &&
                            gate["mle_oracle_ppl"].get<double>() < gate["student_oracle_ppl"].get<double>();
        QCOMPARE(gate["passed"].get<bool>(), passed);
        QCOMPARE(result.gate.passed, passed);
        QVERIFY(gate["message"].get<std::string>().rfind(passed ? "passed" : "FAILED", 0) == 0);
        // Transport percentiles: the student, then EMO's and both diagnostics' first-seed runs, ordered.
        QCOMPARE(int(results["transport"].size()), 4);
        for (const auto& t : results["transport"]) {
            const auto d = t["demd"].get<std::vector<double>>();
            QCOMPARE(int(d.size()), 5);
            QVERIFY(std::is_sorted(d.begin(), d.end()));
            QVERIFY(d.front() >= 0.0 && d.back() <= 2.0);
        }
        // Unconditional sample lengths for every row: within the document length, EOS share a fraction.
        for (const auto& row : rows) {
            const double tokens = row["mean_sample_tokens"], eos = row["eos_share"];
            QVERIFY2(tokens > 0.0 && tokens <= 24.0, row["name"].get<std::string>().c_str());
            QVERIFY(eos >= 0.0 && eos <= 1.0);
        }
        // Figure 2 against the oracle: the oracle's own row is its entropy both ways, and by Gibbs' inequality
        // no model's forward CE is below it.
        const json oracleRow = rows[rows.size() - 1];
        QCOMPARE(oracleRow["name"].get<std::string>(), std::string("oracle"));
        const double entropy = oracleRow["forward_ce"];
        QVERIFY(entropy > 0.0 && std::abs(oracleRow["reverse_ce"].get<double>() - entropy) < 1e-9);
        for (const auto& row : rows) {
            QVERIFY2(row["forward_ce"].get<double>() >= entropy - 1e-9, row["name"].get<std::string>().c_str());
            QVERIFY(row["reverse_ce"].get<double>() > 0.0);
        }
        const std::string md = emo::util::readTextFile(out + "/results.md");
        QVERIFY(md.find("Figure 2") != std::string::npos);
        QVERIFY(md.find("Unconditional samples") != std::string::npos);
        QVERIFY(md.find("Sanity gate") != std::string::npos);
        QVERIFY(md.find("114.46") != std::string::npos);  // the paper's numbers beside ours
        if (qEnvironmentVariableIsSet("EMO_PRINT_STAGES"))
            for (const auto& stage : m_stages)
                qInfo("%s", stage.c_str());
    }

    void cancelledAndResumedEqualsUninterrupted()
    {
        // Cancel points, one after another in one folder: amid the second data file, mid-pretraining after a
        // saved validation, mid-fine-tune after a saved validation, while sampling for scores, and in the
        // references' scoring after every run is done.
        const std::vector<std::string> kinds = {"oracle samples validation.jsonl: ", "pretraining the student: training 3/",
                                                "run 5/10 mixce-e0.9-s1: training 3/", "run 7/10 emo-s1: sampling",
                                                "run 10/10 emo-cost-random-s1: training 3/", "scoring the oracle",
                                                "transport statistics", "cross-entropy against the oracle", "sample lengths"};
        for (const auto& kind : kinds) {
            bool seen = false;
            for (const auto& stage : m_stages)
                seen = seen || stage.rfind(kind, 0) == 0;
            QVERIFY2(seen, ("an uninterrupted run never reports '" + kind + "'").c_str());
        }
        const std::string out = m_dir.filePath("interrupted").toStdString();
        for (const auto& kind : kinds) {
            bool cancelled = false;
            try {
                emo::experiment::runOracleExperiment(microSettings(out), [&](const emo::Progress& p) {
                    return p.stage.rfind(kind, 0) != 0;  // false (cancel) at the first stage of this kind
                });
            } catch (const emo::Error& e) {
                cancelled = e.kind() == emo::Error::Kind::Cancelled;
            }
            QVERIFY2(cancelled, kind.c_str());
            for (const auto& entry : fs::recursive_directory_iterator(out))
                QVERIFY2(entry.path().extension() != ".tmp", entry.path().c_str());
        }
        const auto result = emo::experiment::runOracleExperiment(microSettings(out));
        QCOMPARE(result.runsDone, int64_t(10));
        QCOMPARE(result.runsSkipped, int64_t(10));  // the invocation cancelled in the references finished the runs

        const json whole = rowsOf(m_dir.filePath("whole").toStdString()), resumed = rowsOf(out);
        QCOMPARE(whole.size(), resumed.size());
        for (size_t r = 0; r < whole.size(); ++r)
            for (size_t m = 0; m < whole[r]["metrics"].size(); ++m) {
                const double a = whole[r]["metrics"][m]["mean"], b = resumed[r]["metrics"][m]["mean"];
                const std::string what = whole[r]["name"].get<std::string>() + " " + whole[r]["metrics"][m]["name"].get<std::string>();
                QVERIFY2(std::abs(a - b) <= 1e-4 * std::max(1.0, std::abs(a)),
                         (what + ": " + std::to_string(a) + " vs " + std::to_string(b)).c_str());
            }
    }

    void badSettingsNameTheField()
    {
        auto s = microSettings(m_dir.filePath("bad").toStdString());
        s.studentDataPath = "/no/such/corpus.txt";
        try {
            emo::experiment::runOracleExperiment(s);
            QFAIL("a missing student corpus was accepted");
        } catch (const emo::Error& e) {
            QCOMPARE(e.kind(), emo::Error::Kind::BadInput);
            QVERIFY2(std::string(e.what()).find("/no/such/corpus.txt") != std::string::npos, e.what());
        }
        QVERIFY_EXCEPTION_THROWN(emo::experiment::OracleExperimentSettings::preset("huge"), emo::Error);
    }

    void otherFormatFolderIsRefusedUntouched()
    {
        const std::string out = m_dir.filePath("old").toStdString();
        fs::create_directories(out);
        const std::string old = R"({"scale": "micro", "configs": []})";  // a format-1 folder has no "format"
        std::ofstream(out + "/experiment.json") << old;
        try {
            emo::experiment::runOracleExperiment(microSettings(out));
            QFAIL("a folder of another format was accepted");
        } catch (const emo::Error& e) {
            QCOMPARE(e.kind(), emo::Error::Kind::BadInput);
            QVERIFY2(std::string(e.what()).find("experiment.json") != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find("another version") != std::string::npos, e.what());
        }
        QCOMPARE(emo::util::readTextFile(out + "/experiment.json"), old);
        QVERIFY(!fs::exists(out + "/data"));
    }

    void studentOfAnotherVocabularyIsRefused()
    {
        auto s = microSettings(m_dir.filePath("vocab").toStdString());
        s.studentPath = emo::test::sourceDir() + "/resources/models/demo-base";  // 8000 pieces; demo-tiny has fewer
        try {
            emo::experiment::runOracleExperiment(s);
            QFAIL("a student with another vocabulary was accepted");
        } catch (const emo::Error& e) {
            QCOMPARE(e.kind(), emo::Error::Kind::BadInput);
            QVERIFY2(std::string(e.what()).find("demo-base") != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find("demo-tiny") != std::string::npos, e.what());
        }
        QVERIFY(!fs::exists(m_dir.filePath("vocab").toStdString() + "/data"));
    }
};

QTEST_GUILESS_MAIN(TestOracleExperiment)
#include "tst_oracle_experiment.moc"
