// `emo eval` as a user runs it: the --json document against the same computations done in-process (block
// perplexity, the continuation runner with the same seeds, few-shot), the table, and exit 2 with one line
// naming the option for an unknown metric or a missing --oracle.
#include "support/emo_cli.h"
#include "support/tiny_models.h"

#include "eval/continuation_eval.h"
#include "eval/few_shot.h"
#include "eval/perplexity.h"
#include "io/documents.h"
#include "text/document_blocks.h"
#include "model/language_model.h"
#include "text/tokenizer.h"

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include <fstream>

namespace {

using emo::test::CliRun;
using emo::test::runEmo;

std::string corpus()
{
    const char* lines[] = {"the cat sat on the mat and the dog sat on the log near the door.",
                           "a bird sang in the tree while the sun rose over the green hill.",
                           "the river ran past the mill and the miller sang along with it.",
                           "every morning the baker made warm bread for the whole small town."};
    std::string text;
    for (int i = 0; i < 16; ++i)
        text += std::string(lines[i % 4]) + "\n\n";
    return text;
}

const nlohmann::json* findMetric(const nlohmann::json& doc, const std::string& name)
{
    for (const auto& m : doc["metrics"])
        if (m["name"] == name)
            return &m;
    return nullptr;
}

} // namespace

class TestEvalCli : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::string m_model, m_oracle, m_data, m_labelled;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const std::string root = m_dir.path().toStdString();
        m_model = emo::test::writeTinyModel(root + "/model", "gpt2", true, 21);
        m_oracle = emo::test::writeTinyModel(root + "/oracle", "gpt2", true, 22);
        m_data = root + "/data.txt";
        std::ofstream(m_data) << corpus();
        m_labelled = root + "/topics.jsonl";
        std::ofstream labelled(m_labelled);
        const char* rows[][2] = {{"I love you", "love"},       {"the court ruled", "law"}, {"bread and jam", "food"},
                                 {"my heart is yours", "love"}, {"a new statute", "law"},   {"soup for lunch", "food"}};
        for (const auto& row : rows)
            labelled << nlohmann::json({{"text", row[0]}, {"label", row[1]}}).dump() << "\n";
    }

    void jsonMatchesInProcess()
    {
        const auto run = runEmo({"eval", "--model", QString::fromStdString(m_model), "--data", QString::fromStdString(m_data),
                                 "--metrics", "ppl,rouge,mauve", "--prefix-words", "3", "--continuation-words", "6",
                                 "--samples", "2", "--max-prefixes", "12", "--seed", "5", "--json"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const auto doc = nlohmann::json::parse(run.out.toStdString());
        QCOMPARE(doc["model"].get<std::string>(), m_model);
        QCOMPARE(doc["data"].get<std::string>(), m_data);
        QStringList names;
        for (const auto& m : doc["metrics"]) {
            names << QString::fromStdString(m["name"].get<std::string>());
            QCOMPARE(m["count"].get<int64_t>(), int64_t(1));
            QCOMPARE(m["std"].get<double>(), 0.0);
        }
        QCOMPARE(names, QStringList({"ppl", "rouge-1", "rouge-l", "mauve"}));

        // ppl: blocks of min(256, 128 positions) tokens, as the training recipe cuts them.
        auto model = emo::model::LanguageModel::load(m_model);
        auto tokenizer = emo::text::loadTokenizer(m_model);
        const auto blocks = emo::text::tokenizeIntoBlocks(emo::io::readDocuments(m_data), *tokenizer, 128);
        const double ppl = emo::eval::computePerplexity(*model, blocks).perplexity;
        QVERIFY(std::abs((*findMetric(doc, "ppl"))["mean"].get<double>() - ppl) < 1e-9 * ppl);

        // The continuation metrics: the runner in-process with the same settings gives the same numbers.
        emo::eval::ContinuationEvalSettings settings;
        settings.metrics = {"rouge", "mauve"};
        settings.prefixWords = 3;
        settings.continuationWords = 6;
        settings.samplesPerPrefix = 2;
        settings.maxPrefixes = 12;
        settings.firstSeed = 5;
        const auto report = emo::eval::evaluateContinuations({model.get(), tokenizer.get()},
                                                             emo::io::readDocuments(m_data), settings);
        for (const auto& m : report.metrics) {
            const auto* cli = findMetric(doc, m.name);
            QVERIFY2(cli, m.name.c_str());
            QVERIFY2(std::abs((*cli)["mean"].get<double>() - m.mean) < 1e-6, m.name.c_str());
        }
        QVERIFY(doc.contains("mauve"));
        QCOMPARE(doc["mauve"]["score"].get<double>(), (*findMetric(doc, "mauve"))["mean"].get<double>());
        QCOMPARE(doc["mauve"]["curve_x"].size(), size_t(27));
        QCOMPARE(doc["mauve"]["curve_y"].size(), size_t(27));
        const double rouge1 = (*findMetric(doc, "rouge-1"))["mean"].get<double>();
        QVERIFY(rouge1 > 0.0 && rouge1 <= 1.0);
    }

    void oracleMetricsAndSeeds()
    {
        const auto run = runEmo({"eval", "--model", QString::fromStdString(m_model), "--data", QString::fromStdString(m_data),
                                 "--metrics", "oracle-ppl,rev-ce,fwd-ce", "--oracle", QString::fromStdString(m_oracle),
                                 "--prefix-words", "3", "--continuation-words", "4", "--samples", "1", "--seeds", "2",
                                 "--max-prefixes", "4", "--json"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const auto doc = nlohmann::json::parse(run.out.toStdString());
        QVERIFY(!doc.contains("mauve"));
        const auto& oraclePpl = *findMetric(doc, "oracle-ppl");
        const auto& revCe = *findMetric(doc, "rev-ce");
        QCOMPARE(oraclePpl["count"].get<int64_t>(), int64_t(2));
        QCOMPARE(revCe["count"].get<int64_t>(), int64_t(2));
        QCOMPARE((*findMetric(doc, "fwd-ce"))["count"].get<int64_t>(), int64_t(1));
        // Two seeds sample different texts, so the spread is not zero; ppl = exp(ce) per seed, so the means
        // obey Jensen: mean ppl ≥ exp(mean ce).
        QVERIFY(revCe["std"].get<double>() > 0.0);
        QVERIFY(oraclePpl["mean"].get<double>() >= std::exp(revCe["mean"].get<double>()) * (1 - 1e-12));
    }

    void fewShotMatchesInProcess()
    {
        const auto run = runEmo({"eval", "--model", QString::fromStdString(m_model), "--data", QString::fromStdString(m_labelled),
                                 "--metrics", "fewshot", "--shots", "2", "--seed", "3", "--template", "{text} =>\\n{label}", "--json"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const auto doc = nlohmann::json::parse(run.out.toStdString());
        auto model = emo::model::LanguageModel::load(m_model);
        auto tokenizer = emo::text::loadTokenizer(m_model);
        emo::eval::FewShotSettings settings;
        settings.shots = 2;
        settings.seed = 3;
        settings.templateText = "{text} =>\n{label}";  // the CLI reads "\\n" as a newline
        const auto expected = emo::eval::evaluateFewShot(*model, *tokenizer, emo::eval::readLabelledJsonl(m_labelled), settings);
        QCOMPARE((*findMetric(doc, "fewshot-acc"))["mean"].get<double>(), expected.accuracy);
        QCOMPARE(doc["fewshot"]["predictions"].get<std::vector<int64_t>>(), expected.predictions);
        QCOMPARE(doc["fewshot"]["labels"].get<std::vector<std::string>>(), (std::vector<std::string>{"love", "law", "food"}));
        QCOMPARE(doc["fewshot"]["total"].get<int64_t>(), int64_t(6));
    }

    void tableOnStdout()
    {
        const auto run = runEmo({"eval", "--model", QString::fromStdString(m_model), "--data", QString::fromStdString(m_data),
                                 "--metrics", "ppl,fwd-ce", "--prefix-words", "3", "--continuation-words", "4"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY(run.out.contains(QRegularExpression("metric\\s+mean\\s+std")));
        QVERIFY(run.out.contains(QRegularExpression("\\nppl\\s+[0-9.]+\\s+0")));
        QVERIFY(run.out.contains(QRegularExpression("\\nfwd-ce\\s+[0-9.]+")));
    }

    void badUsageExitsTwo_data()
    {
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QString>("option");
        QTest::newRow("unknown metric") << QStringList{"--metrics", "ppl,bleu"} << "--metrics";
        QTest::newRow("rev-ce without oracle") << QStringList{"--metrics", "rev-ce"} << "--oracle";
        QTest::newRow("oracle-ppl without oracle") << QStringList{"--metrics", "rouge,oracle-ppl"} << "--oracle";
        QTest::newRow("zero prefix words") << QStringList{"--metrics", "rouge", "--prefix-words", "0"} << "--prefix-words";
    }
    void badUsageExitsTwo()
    {
        QFETCH(QStringList, extra);
        QFETCH(QString, option);
        const auto run = runEmo(QStringList{"eval", "--model", QString::fromStdString(m_model), "--data",
                                            QString::fromStdString(m_data)} + extra);
        QCOMPARE(run.exitCode, 2);
        const auto lines = run.err.trimmed().split('\n');
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines[0].contains(option), qPrintable(run.err));
        QVERIFY(run.out.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestEvalCli)
#include "tst_eval_cli.moc"
