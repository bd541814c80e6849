// runOracleExperiment at the micro scale, cancelled at several moments (while the oracle samples, while the
// student pretrains, inside a fine-tune, while scoring) and resumed each time: the finished experiment equals
// an uninterrupted one number for number, and no file of a cancelled step is left half-written.
#include "experiment/oracle_experiment.h"
#include "support/test_paths.h"
#include "util/error.h"

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

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
        QCOMPARE(result.runsDone, int64_t(8));
        QCOMPARE(result.runsSkipped, int64_t(0));
        QCOMPARE(int(result.rows.size()), 6);
        QVERIFY(m_stages.size() > 20);
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
                                                "run 5/8 mixce-e0.5-s1: training 3/", "run 7/8 emo-s1: sampling",
                                                "scoring the oracle"};
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
        QCOMPARE(result.runsDone, int64_t(8));
        QCOMPARE(result.runsSkipped, int64_t(8));  // the invocation cancelled in the references finished runs 7 and 8

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
};

QTEST_GUILESS_MAIN(TestOracleExperiment)
#include "tst_oracle_experiment.moc"
