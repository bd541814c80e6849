// Few-shot classification by log-likelihood against a brute-force scorer written here with plain unpadded
// forward passes, on a crafted task whose accuracy is known by construction; the template filler, the
// deterministic choice of demonstrations, and the JSONL reader on the shipped topics set.
#include "support/test_paths.h"
#include "support/tiny_models.h"

#include "eval/few_shot.h"
#include "model/language_model.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <QtTest/QtTest>
#include <torch/torch.h>

#include <fstream>
#include <set>

using namespace emo;

namespace {

// Σ log p(query tokens | context) with one forward pass over [context or EOS] ++ query, float64 softmax.
double bruteForceScore(model::LanguageModel& model, const text::Tokenizer& tokenizer, const std::string& context,
                       const std::string& query)
{
    std::vector<int64_t> ids = context.empty() ? std::vector<int64_t>{tokenizer.eosId()} : tokenizer.encode(context);
    const size_t from = ids.size();
    for (int64_t id : tokenizer.encode(query))
        ids.push_back(id);
    torch::NoGradGuard noGrad;
    const auto logProbs = torch::log_softmax(
        model.forward(torch::tensor(ids, torch::kLong).view({1, -1}))[0].to(torch::kFloat64), -1);
    double total = 0;
    for (size_t t = from; t < ids.size(); ++t)
        total += logProbs[static_cast<int64_t>(t) - 1][ids[t]].item<double>();
    return total;
}

std::vector<eval::LabelledExample> craftedExamples()
{
    return {{"the cat sat", "x"}, {"a bird sang", "x"}, {"rain fell", "x"},
            {"the mill", "x"},    {"bread rose", "x"},  {"sun set", "x"}};
}

} // namespace

class TestFewShot : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::shared_ptr<model::LanguageModel> m_model;
    std::unique_ptr<text::Tokenizer> m_tokenizer;
    const std::vector<std::string> m_labels = {"love", "law", "food"};

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const std::string folder = test::writeTinyModel(m_dir.path().toStdString() + "/m", "gpt2", true, 11);
        m_model = model::LanguageModel::load(folder);
        torch::NoGradGuard noGrad;
        for (auto& p : m_model->parameters())
            if (p.dim() >= 2)
                p.mul_(8.0);  // peaked distributions: labels get clearly different scores
        m_tokenizer = text::loadTokenizer(folder);
    }

    void fillsTemplate()
    {
        QCOMPARE(eval::fillTemplate("{text}\nTopic: {label}", "It rains.", "law"), std::string("It rains.\nTopic: law"));
        QCOMPARE(eval::fillTemplate("{label}|{text}|{label}", "t", "L"), std::string("L|t|L"));
        // A text that contains the placeholder stays as written.
        QCOMPARE(eval::fillTemplate("{text} = {label}", "a {label} b", "x"), std::string("a {label} b = x"));
    }

    void demonstrationsAreDeterministicAndExcludeTheExample()
    {
        bool differsWithSeed = false;
        for (int64_t index = 0; index < 20; ++index) {
            const auto a = eval::fewShotDemonstrations(20, index, 5, 1);
            QCOMPARE(a, eval::fewShotDemonstrations(20, index, 5, 1));
            QCOMPARE(a.size(), size_t(5));
            const std::set<int64_t> distinct(a.begin(), a.end());
            QCOMPARE(distinct.size(), size_t(5));
            for (int64_t d : a)
                QVERIFY(d >= 0 && d < 20 && d != index);
            differsWithSeed = differsWithSeed || a != eval::fewShotDemonstrations(20, index, 5, 2);
        }
        QVERIFY(differsWithSeed);
        // k = n − 1 takes every other example.
        auto all = eval::fewShotDemonstrations(4, 2, 3, 9);
        std::sort(all.begin(), all.end());
        QCOMPARE(all, (std::vector<int64_t>{0, 1, 3}));
        QVERIFY_THROWS_EXCEPTION(Error, eval::fewShotDemonstrations(4, 0, 4, 0));
    }

    void matchesBruteForceWithShots()
    {
        auto examples = craftedExamples();
        for (size_t i = 0; i < examples.size(); ++i)
            examples[i].label = m_labels[i % 3];
        eval::FewShotSettings settings;
        settings.shots = 2;
        settings.seed = 4;
        settings.batchSize = 2;
        const auto result = eval::evaluateFewShot(*m_model, *m_tokenizer, examples, settings);
        QCOMPARE(result.labels, m_labels);  // the set's labels in order of appearance
        QCOMPARE(result.total, int64_t(examples.size()));
        int64_t correct = 0;
        for (size_t i = 0; i < examples.size(); ++i) {
            std::string context;
            for (int64_t d : eval::fewShotDemonstrations(6, static_cast<int64_t>(i), 2, 4))
                context += examples[d].text + "\nTopic: " + examples[d].label + "\n\n";
            std::vector<double> expected;
            for (const auto& label : m_labels)
                expected.push_back(bruteForceScore(*m_model, *m_tokenizer, context, examples[i].text + "\nTopic: " + label));
            const int64_t best = std::max_element(expected.begin(), expected.end()) - expected.begin();
            for (size_t l = 0; l < m_labels.size(); ++l)
                QVERIFY2(std::abs(result.scores[i][l] - expected[l]) < 1e-5 * std::max(1.0, std::abs(expected[l])),
                         qPrintable(QString("example %1 label %2: %3 vs %4").arg(i).arg(l).arg(result.scores[i][l]).arg(expected[l])));
            QCOMPARE(result.predictions[i], best);
            QCOMPARE(result.gold[i], int64_t(i % 3));
            correct += best == int64_t(i % 3);
        }
        QCOMPARE(result.correct, correct);
        QCOMPARE(result.accuracy, double(correct) / 6.0);
    }

    void craftedTaskHasKnownAccuracy()
    {
        // Zero shots: gold labels do not enter the scored texts, so the gold can be set from the model's own
        // choice: four examples labelled with the label the model prefers, two with one it does not → 4/6.
        auto examples = craftedExamples();
        std::vector<int64_t> preferred;
        for (const auto& e : examples) {
            std::vector<double> s;
            for (const auto& label : m_labels)
                s.push_back(bruteForceScore(*m_model, *m_tokenizer, "", e.text + "\nTopic: " + label));
            preferred.push_back(std::max_element(s.begin(), s.end()) - s.begin());
        }
        for (size_t i = 0; i < examples.size(); ++i)
            examples[i].label = m_labels[i < 4 ? preferred[i] : (preferred[i] + 1) % 3];
        eval::FewShotSettings settings;
        settings.labels = m_labels;
        const auto result = eval::evaluateFewShot(*m_model, *m_tokenizer, examples, settings);
        QCOMPARE(result.correct, int64_t(4));
        QCOMPARE(result.accuracy, 4.0 / 6.0);
        // maxExamples classifies the first ones only.
        settings.maxExamples = 4;
        QCOMPARE(eval::evaluateFewShot(*m_model, *m_tokenizer, examples, settings).accuracy, 1.0);
    }

    void rejectsBadSettings()
    {
        auto examples = craftedExamples();
        eval::FewShotSettings settings;
        QVERIFY_THROWS_EXCEPTION(Error, eval::evaluateFewShot(*m_model, *m_tokenizer, examples, settings));  // one label
        settings.labels = m_labels;
        settings.templateText = "{text}";
        QVERIFY_THROWS_EXCEPTION(Error, eval::evaluateFewShot(*m_model, *m_tokenizer, examples, settings));
        settings.templateText = "{text} {label}";
        settings.shots = 6;
        QVERIFY_THROWS_EXCEPTION(Error, eval::evaluateFewShot(*m_model, *m_tokenizer, examples, settings));
    }

    void readsTopicsJsonl()
    {
        const std::string path = emo::test::sourceDir() + "/resources/data/topics/validation.jsonl";
        const auto examples = eval::readLabelledJsonl(path);
        QCOMPARE(examples.size(), size_t(100));
        std::set<std::string> labels;
        for (const auto& e : examples)
            labels.insert(e.label);
        QCOMPARE(labels, (std::set<std::string>{"computers", "food", "law", "love", "politics"}));
        QCOMPARE(examples[2].text, std::string("That does not compute."));

        const std::string bad = m_dir.path().toStdString() + "/bad.jsonl";
        std::ofstream(bad) << "{\"text\": \"a\", \"label\": \"b\"}\n\n{\"text\": \"c\"}\n";
        try {
            eval::readLabelledJsonl(bad);
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("bad.jsonl:3") != std::string::npos, e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestFewShot)
#include "tst_few_shot.moc"
