// runDomainExperiment at the micro scale (two bundled domains, two seeds): the tables' numbers are the runs'
// scores.json numbers, the p-values are the paired test of their units, a cancelled and resumed experiment
// equals an uninterrupted one, and bad input is refused before any training, naming the file or folder.
#include "eval/paired_test.h"
#include "experiment/domain_experiment.h"
#include "support/test_paths.h"
#include "util/atomic_file.h"
#include "util/error.h"

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

emo::experiment::DomainExperimentSettings microSettings(const std::string& out)
{
    auto s = emo::experiment::DomainExperimentSettings::preset("micro");
    s.dataDir = emo::test::sourceDir() + "/resources/data/domains";
    s.surrogatePath = emo::test::sourceDir() + "/resources/models/demo-tiny";
    s.base.dataPath = emo::test::sourceDir() + "/resources/data/finetune/validation.txt";
    s.outputDir = out;
    return s;
}

json readJson(const std::string& file)
{
    std::ifstream in(file);
    return json::parse(in);
}

void expectBadInput(const emo::experiment::DomainExperimentSettings& s, const std::vector<std::string>& named)
{
    try {
        emo::experiment::runDomainExperiment(s);
        QFAIL("bad input was accepted");
    } catch (const emo::Error& e) {
        QCOMPARE(e.kind(), emo::Error::Kind::BadInput);
        for (const auto& word : named)
            QVERIFY2(std::string(e.what()).find(word) != std::string::npos, e.what());
    }
    QVERIFY2(!fs::exists(s.outputDir + "/base") && !fs::exists(s.outputDir + "/runs"), s.outputDir.c_str());
}

} // namespace

class TestDomainExperiment : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::vector<std::string> m_stages;

private Q_SLOTS:
    void uninterrupted()
    {
        const std::string out = m_dir.filePath("whole").toStdString();
        const auto result = emo::experiment::runDomainExperiment(microSettings(out), [&](const emo::Progress& p) {
            m_stages.push_back(p.stage);
            return true;
        });
        QCOMPARE(result.runsDone, int64_t(2 * 4 * 2));
        QCOMPARE(int(result.rows.size()), 2 * 5);  // per domain: 4 configs and the base
        const json results = readJson(out + "/results.json");
        QCOMPARE(results["experiment"].get<std::string>(), std::string("domains"));
        const json rows = results["rows"];
        // A cell is the mean of its runs' scores.json values; Figure 2's numbers come from the same files.
        for (const auto& row : rows) {
            if (row["config"] == "base")
                continue;
            double mauve = 0.0, forward = 0.0;
            for (int seed : {1, 2}) {
                const json scores = readJson(out + "/runs/" + row["domain"].get<std::string>() + "/" +
                                             row["config"].get<std::string>() + "-s" + std::to_string(seed) + "/scores.json");
                mauve += scores["metrics"]["mauve"]["mean"].get<double>() / 2.0;
                forward += scores["forward_ce"].get<double>() / 2.0;
                QVERIFY(scores["ce_positions"].get<int>() == 2 * 31);  // crossEntropyBlocks blocks of 32 tokens
            }
            QVERIFY(std::abs(row["mauve"]["mean"].get<double>() - mauve) < 1e-12);
            QVERIFY(std::abs(row["forward_ce"].get<double>() - forward) < 1e-12);
            QVERIFY(forward > 0.0 && row["reverse_ce"].get<double>() > 0.0);
        }
        // MLE is the baseline (no test); the others are paired over (seed, sample index) and (seed, block).
        QVERIFY(rows[0]["versus_mle"]["mauve"].is_null());
        QCOMPARE(rows[3]["versus_mle"]["mauve"]["pairs"].get<int>(), 2 * 2);
        QVERIFY(rows[4]["versus_mle"]["mauve"].is_null());  // the base
        std::vector<double> emo, mle;
        for (int seed : {1, 2}) {
            const auto units = [&](const std::string& config) {
                return readJson(out + "/runs/fortunes/" + config + "-s" + std::to_string(seed) + "/scores.json")
                    ["metrics"]["ppl"]["units"].get<std::vector<double>>();
            };
            const auto a = units("emo"), b = units("mle");
            emo.insert(emo.end(), a.begin(), a.end());
            mle.insert(mle.end(), b.begin(), b.end());
        }
        const auto expected = emo::eval::pairedSignFlipTest(emo, mle);
        QCOMPARE(rows[8]["config"].get<std::string>(), std::string("emo"));
        QCOMPARE(rows[8]["versus_mle"]["ppl"]["p_value"].get<double>(), expected.pValue);
        QCOMPARE(rows[8]["versus_mle"]["ppl"]["pairs"].get<int>(), int(emo.size()));
        const std::string md = emo::util::readTextFile(out + "/results.md");
        QVERIFY(md.find("87.5") != std::string::npos);  // the paper's Table 1 beside ours
        QVERIFY(md.find("Figure 2") != std::string::npos);
        QVERIFY(fs::exists(out + "/mauve-jargon.png") && fs::exists(out + "/cross-entropy-fortunes.svg"));
    }

    void cancelledAndResumedEqualsUninterrupted()
    {
        const std::vector<std::string> kinds = {"pretraining the base: training 2/", "run 3/16 jargon/tailr-r0.9-s1: training 2/",
                                                "run 8/16 jargon/emo-s2: sampling", "jargon: scoring the base",
                                                "run 14/16 fortunes/mixce-e0.9-s2: cross-entropy"};
        const std::string out = m_dir.filePath("interrupted").toStdString();
        for (const auto& kind : kinds) {
            bool seen = false;
            for (const auto& stage : m_stages)
                seen = seen || stage.rfind(kind, 0) == 0;
            QVERIFY2(seen, ("an uninterrupted run never reports '" + kind + "'").c_str());
            bool cancelled = false;
            try {
                emo::experiment::runDomainExperiment(microSettings(out), [&](const emo::Progress& p) {
                    return p.stage.rfind(kind, 0) != 0;
                });
            } catch (const emo::Error& e) {
                cancelled = e.kind() == emo::Error::Kind::Cancelled;
            }
            QVERIFY2(cancelled, kind.c_str());
        }
        const auto result = emo::experiment::runDomainExperiment(microSettings(out));
        QCOMPARE(result.runsDone, int64_t(16));
        QCOMPARE(result.runsSkipped, int64_t(13));  // the last cancel came in run 14
        const json whole = readJson(m_dir.filePath("whole").toStdString() + "/results.json")["rows"];
        const json resumed = readJson(out + "/results.json")["rows"];
        QCOMPARE(whole.size(), resumed.size());
        for (size_t r = 0; r < whole.size(); ++r)
            for (const char* key : {"forward_ce", "reverse_ce"}) {
                const double a = whole[r][key], b = resumed[r][key];
                QVERIFY2(std::abs(a - b) <= 1e-4, (whole[r]["config"].get<std::string>() + " " + key).c_str());
            }
        for (size_t r = 0; r < whole.size(); ++r)
            for (const char* metric : {"mauve", "ppl"}) {
                const double a = whole[r][metric]["mean"], b = resumed[r][metric]["mean"];
                QVERIFY2(std::abs(a - b) <= 1e-4 * std::max(1.0, std::abs(a)), metric);
            }
    }

    void badInputIsRefusedBeforeTraining()
    {
        // A domain folder without its test file, one whose test documents are too short for a prefix.
        const std::string data = m_dir.filePath("data").toStdString();
        fs::create_directories(data + "/tiny");
        std::ofstream(data + "/tiny/train.txt") << "one two three four five six\n";
        std::ofstream(data + "/tiny/validation.txt") << "one two three four five six\n";
        auto s = microSettings(m_dir.filePath("bad1").toStdString());
        s.dataDir = data;
        s.domains = {s.domains.front()};
        s.domains.front().name = "tiny";
        expectBadInput(s, {data + "/tiny/test.txt"});
        std::ofstream(data + "/tiny/test.txt") << "one two\n\nthree four\n";
        expectBadInput(s, {data + "/tiny/test.txt", "prefix"});
        // Long enough test documents, but a training file shorter than one block of 32 tokens.
        std::ofstream(data + "/tiny/test.txt") << "one two three four five\n\nsix seven eight nine ten\n";
        expectBadInput(s, {data + "/tiny/train.txt", "tokens"});

        auto vocab = microSettings(m_dir.filePath("bad2").toStdString());
        vocab.basePath = emo::test::sourceDir() + "/resources/models/demo-base";  // other pieces than demo-tiny
        expectBadInput(vocab, {"demo-base", "demo-tiny"});

        // An oracle experiment's folder is refused untouched.
        const std::string other = m_dir.filePath("oracle").toStdString();
        fs::create_directories(other);
        const std::string old = R"({"format": 2, "scale": "micro"})";
        std::ofstream(other + "/experiment.json") << old;
        expectBadInput(microSettings(other), {"experiment.json", "another experiment"});
        QCOMPARE(emo::util::readTextFile(other + "/experiment.json"), old);
        QVERIFY_EXCEPTION_THROWN(emo::experiment::DomainExperimentSettings::preset("huge"), emo::Error);
    }
};

QTEST_GUILESS_MAIN(TestDomainExperiment)
#include "tst_domain_experiment.moc"
