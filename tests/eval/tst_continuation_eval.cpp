// The continuation protocol's pieces against independent computations: the word split on hand examples,
// oracle perplexity vs computePerplexity and vs plain unpadded forward passes, forward CE vs the data's NLL,
// reverse CE of a model against itself vs its own sampling log-probabilities, last-token features vs
// unbatched hidden states, and the runner's aggregation over seeds.
#include "support/tiny_models.h"

#include "eval/continuation_eval.h"
#include "eval/cross_entropy.h"
#include "eval/features.h"
#include "eval/mauve.h"
#include "eval/perplexity.h"
#include "eval/rouge.h"
#include "eval/sequence_scoring.h"
#include "generate/sampler.h"
#include "model/language_model.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <QtTest/QtTest>
#include <torch/torch.h>

#include <cmath>

using namespace emo;

namespace {

// Σ −log p(ids[t] | ids[<t]) for t ≥ from, one unpadded forward, softmax in float64.
std::pair<double, int64_t> directNll(model::LanguageModel& model, const std::vector<int64_t>& ids, size_t from)
{
    torch::NoGradGuard noGrad;
    const auto logits = model.forward(torch::tensor(ids, torch::kLong).view({1, -1}))[0].to(torch::kFloat64);
    const auto probs = torch::softmax(logits, -1);
    double total = 0;
    int64_t count = 0;
    for (size_t t = from; t < ids.size(); ++t) {
        total -= std::log(probs[static_cast<int64_t>(t) - 1][ids[t]].item<double>());
        ++count;
    }
    return {total, count};
}

std::vector<int64_t> concat(std::vector<int64_t> a, const std::vector<int64_t>& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::vector<std::string> documents()
{
    return {"the cat sat on the mat and the dog sat on the log",
            "a bird sang in the tree while the sun rose over the hill",
            "the river ran past the mill and the miller sang along",
            "short one",
            "every morning the baker made bread for the whole town"};
}

} // namespace

class TestContinuationEval : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::shared_ptr<model::LanguageModel> m_model, m_other;
    std::unique_ptr<text::Tokenizer> m_tokenizer, m_tokenizerAgain;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const std::string root = m_dir.path().toStdString();
        test::writeTinyModel(root + "/a", "gpt2", true, 3);
        test::writeTinyModel(root + "/b", "gpt2", true, 4);
        m_model = model::LanguageModel::load(root + "/a");
        m_other = model::LanguageModel::load(root + "/b");
        torch::NoGradGuard noGrad;
        for (auto* m : {m_model.get(), m_other.get()})
            for (auto& p : m->parameters())
                if (p.dim() >= 2)
                    p.mul_(8.0);  // peaked distributions, so a shifted target shows
        m_tokenizer = text::loadTokenizer(root + "/a");
        m_tokenizerAgain = text::loadTokenizer(root + "/b");
    }

    void splitsHandExample()
    {
        const std::vector<std::string> docs = {"a b c d e f g", "x y", "  one\ttwo three\nfour  five six  "};
        const auto examples = eval::splitContinuations(docs, 2, 3);
        QCOMPARE(examples.size(), size_t(2));
        QCOMPARE(examples[0].prefix, std::string("a b"));
        QCOMPARE(examples[0].reference, std::string("c d e"));
        QCOMPARE(examples[0].fullReference(), std::string("a b c d e"));
        QCOMPARE(examples[1].prefix, std::string("one two"));
        QCOMPARE(examples[1].reference, std::string("three four five"));
        // A reference shorter than asked is kept; the cap counts examples, not documents.
        const auto shortTail = eval::splitContinuations({"x y", "p q r"}, 2, 5, 1);
        QCOMPARE(shortTail.size(), size_t(1));
        QCOMPARE(shortTail[0].reference, std::string("r"));
        QVERIFY_THROWS_EXCEPTION(Error, eval::splitContinuations(docs, 0, 3));
        QVERIFY_THROWS_EXCEPTION(Error, eval::splitContinuations(docs, 2, 0));
    }

    void truncatesWords()
    {
        QCOMPARE(eval::truncateWords(" hello  world, foo bar", 2), std::string(" hello  world,"));
        QCOMPARE(eval::truncateWords("one two", 5), std::string("one two"));
        QCOMPARE(eval::truncateWords("a\nb c", 1), std::string("a"));
        QCOMPARE(eval::truncateWords("   ", 1), std::string("   "));
    }

    void oraclePerplexityEqualsComputePerplexity()
    {
        // Empty prefixes: the whole text after GPT-2's start token (EOS) is scored, as computePerplexity scores it.
        const std::vector<std::string> texts = {"the cat sat on the mat", "a bird sang", "x"};
        std::vector<std::vector<int64_t>> ids;
        for (const auto& t : texts)
            ids.push_back(concat({m_tokenizer->eosId()}, m_tokenizer->encode(t)));
        const auto expected = eval::computePerplexity(*m_model, ids, 2);
        const auto got = eval::oraclePerplexity(*m_model, *m_tokenizer, {"", "", ""}, texts, 2);
        QCOMPARE(got.predictedTokens, expected.predictedTokens);
        QVERIFY(std::abs(got.perplexity - expected.perplexity) < 1e-9 * expected.perplexity);
        QVERIFY(std::abs(got.perplexity - 300.0) > 1.0);  // not a uniform model: the test can tell targets apart
        // computePerplexity now shares scoreSequences, so check against plain forward passes as well.
        double nll = 0;
        int64_t count = 0;
        for (const auto& s : ids) {
            const auto [sum, n] = directNll(*m_model, s, 1);
            nll += sum;
            count += n;
        }
        QCOMPARE(got.predictedTokens, count);
        QVERIFY2(std::abs(got.meanNll - nll / count) < 1e-5, qPrintable(QString("%1 vs %2").arg(got.meanNll).arg(nll / count)));
        QVERIFY_THROWS_EXCEPTION(Error, eval::oraclePerplexity(*m_model, *m_tokenizer, {""}, texts));
    }

    void oraclePerplexityScoresOnlyContinuations()
    {
        const std::vector<std::string> prefixes = {"the cat", "a bird sang in", "river"};
        const std::vector<std::string> continuations = {" sat on the mat", " the tree", " ran past the mill and"};
        double nll = 0;
        int64_t count = 0;
        for (size_t i = 0; i < prefixes.size(); ++i) {
            const auto context = m_tokenizer->encode(prefixes[i]);
            const auto [sum, n] = directNll(*m_model, concat(context, m_tokenizer->encode(continuations[i])), context.size());
            nll += sum;
            count += n;
        }
        for (int64_t batch : {1, 2, 8}) {
            const auto got = eval::oraclePerplexity(*m_model, *m_tokenizer, prefixes, continuations, batch);
            QCOMPARE(got.predictedTokens, count);
            QVERIFY2(std::abs(got.meanNll - nll / count) < 1e-5,
                     qPrintable(QString("batch %1: %2 vs %3").arg(batch).arg(got.meanNll).arg(nll / count)));
        }
    }

    void forwardCrossEntropyIsDataNll()
    {
        const auto examples = eval::splitContinuations(documents(), 3, 5);
        QCOMPARE(examples.size(), size_t(4));
        double nll = 0;
        int64_t count = 0;
        for (const auto& e : examples) {
            const auto context = m_tokenizer->encode(e.prefix);
            const auto [sum, n] = directNll(*m_model, concat(context, m_tokenizer->encode(" " + e.reference)), context.size());
            nll += sum;
            count += n;
        }
        const auto got = eval::forwardCrossEntropy(*m_model, *m_tokenizer, examples, 3);
        QCOMPARE(got.predictedTokens, count);
        QVERIFY(std::abs(got.meanNll - nll / count) < 1e-5);
        QVERIFY(std::abs(got.perplexity - std::exp(nll / count)) < 1e-4 * got.perplexity);
        // Another model gives another number (the model is really used).
        QVERIFY(std::abs(eval::forwardCrossEntropy(*m_other, *m_tokenizer, examples).meanNll - got.meanNll) > 1e-3);
    }

    void reverseCrossEntropyAgainstItselfIsSampleNll()
    {
        generate::Sampler sampler(*m_model, m_tokenizer.get());
        generate::SampleSettings settings;
        settings.maxNewTokens = 12;
        settings.samplesPerPrompt = 3;
        settings.seed = 5;
        const auto samples = sampler.sample({"the cat", "a bird sang", "x"}, settings);
        double nll = 0;
        int64_t count = 0;
        for (const auto& s : samples)
            for (double lp : s.modelLogprobs) {
                nll -= lp;
                ++count;
            }
        // Same tokenizer object, and an equal tokenizer loaded again: the sampled ids are scored as sampled.
        for (const text::Tokenizer* scorerTokenizer : {m_tokenizer.get(), m_tokenizerAgain.get()}) {
            QVERIFY(eval::sameVocabulary(*scorerTokenizer, *m_tokenizer));
            const auto got = eval::reverseCrossEntropy(*m_model, *scorerTokenizer, *m_tokenizer, samples, 4);
            QCOMPARE(got.predictedTokens, count);
            QVERIFY2(std::abs(got.meanNll - nll / count) < 1e-4,
                     qPrintable(QString("%1 vs %2").arg(got.meanNll).arg(nll / count)));
        }
        // Under another model the samples are less likely than under their own model... at least different.
        const auto other = eval::reverseCrossEntropy(*m_other, *m_tokenizer, *m_tokenizer, samples);
        QVERIFY(std::abs(other.meanNll - nll / count) > 1e-3);
    }

    void lastTokenFeaturesMatchUnbatchedHiddenStates()
    {
        const std::vector<std::string> texts = {"the cat sat on the mat", "a", "a bird sang in the tree", ""};
        const auto features = eval::lastTokenFeatures(*m_model, *m_tokenizer, texts, 3);
        QCOMPARE(features.size(0), int64_t(4));
        QCOMPARE(features.size(1), m_model->config().hiddenSize);
        torch::NoGradGuard noGrad;
        for (size_t i = 0; i < texts.size(); ++i) {
            auto ids = m_tokenizer->encode(texts[i]);
            if (ids.empty())
                ids = {m_tokenizer->eosId()};
            const auto hidden = m_model->hiddenStates(torch::tensor(ids, torch::kLong).view({1, -1}))[0];
            const auto expected = hidden[static_cast<int64_t>(ids.size()) - 1];
            QVERIFY2(torch::allclose(features[static_cast<int64_t>(i)], expected, 1e-4, 1e-5), qPrintable(QString::number(i)));
        }
    }

    void runnerAggregatesOverSeeds()
    {
        eval::ContinuationEvalSettings settings;
        settings.metrics = {"rouge", "fwd-ce", "rev-ce", "oracle-ppl"};
        settings.prefixWords = 3;
        settings.continuationWords = 5;
        settings.samplesPerPrefix = 2;
        const eval::ContinuationModels models{m_model.get(), m_tokenizer.get(), m_other.get(), m_tokenizerAgain.get()};
        std::vector<eval::EvalReport> single;
        for (uint64_t seed : {7u, 8u}) {
            settings.seeds = 1;
            settings.firstSeed = seed;
            single.push_back(eval::evaluateContinuations(models, documents(), settings));
        }
        settings.seeds = 2;
        settings.firstSeed = 7;
        const auto both = eval::evaluateContinuations(models, documents(), settings);
        QStringList names;
        for (const auto& m : both.metrics)
            names << QString::fromStdString(m.name);
        QCOMPARE(names, QStringList({"rouge-1", "rouge-l", "fwd-ce", "rev-ce", "oracle-ppl"}));
        for (size_t i = 0; i < both.metrics.size(); ++i) {
            const auto& m = both.metrics[i];
            const double a = single[0].metrics[i].mean, b = single[1].metrics[i].mean;
            if (m.name == "fwd-ce") {  // no sampling: one run
                QCOMPARE(m.count, int64_t(1));
                QVERIFY(std::abs(m.mean - a) < 1e-12);
                continue;
            }
            QCOMPARE(m.count, int64_t(2));
            QVERIFY2(std::abs(m.mean - (a + b) / 2) < 1e-9, m.name.c_str());
            QVERIFY2(std::abs(m.std - std::abs(a - b) / std::sqrt(2.0)) < 1e-9, m.name.c_str());
        }
        // rev-ce and oracle-ppl are one quantity: ppl = exp(ce), seed by seed.
        QVERIFY(std::abs(single[0].metrics[4].mean - std::exp(single[0].metrics[3].mean)) < 1e-9 * single[0].metrics[4].mean);
        // fwd-ce is the forward cross-entropy of the split.
        const auto fwd = eval::forwardCrossEntropy(*m_model, *m_tokenizer, eval::splitContinuations(documents(), 3, 5, 100));
        QVERIFY(std::abs(both.metrics[2].mean - fwd.meanNll) < 1e-12);
        QVERIFY(!both.hasMauve);
    }

    void runnerRougeMatchesSamples()
    {
        // The runner's ROUGE = mean over (prefix-inclusive reference, prefix + continuation cut to N words).
        eval::ContinuationEvalSettings settings;
        settings.metrics = {"rouge"};
        settings.prefixWords = 3;
        settings.continuationWords = 2;
        settings.samplesPerPrefix = 2;
        settings.maxNewTokens = 10;
        settings.firstSeed = 3;
        const auto report = eval::evaluateContinuations({m_model.get(), m_tokenizer.get()}, documents(), settings);
        const auto examples = eval::splitContinuations(documents(), 3, 2, 100);
        std::vector<std::string> prompts;
        for (const auto& e : examples)
            prompts.push_back(e.prefix);
        generate::Sampler sampler(*m_model, m_tokenizer.get());
        generate::SampleSettings sampling;
        sampling.maxNewTokens = 10;
        sampling.samplesPerPrompt = 2;
        sampling.seed = 3;
        std::vector<std::string> targets, predictions;
        for (const auto& s : sampler.sample(prompts, sampling)) {
            targets.push_back(examples[s.promptIndex].fullReference());
            predictions.push_back(examples[s.promptIndex].prefix + eval::truncateWords(s.text, 2));
        }
        const auto rouge = eval::meanRouge(targets, predictions, true);
        QCOMPARE(report.metrics.size(), size_t(2));
        QVERIFY(std::abs(report.metrics[0].mean - rouge.rouge1.fmeasure) < 1e-12);
        QVERIFY(std::abs(report.metrics[1].mean - rouge.rougeL.fmeasure) < 1e-12);
        QVERIFY(report.metrics[0].mean > 0.3);  // the prefix is in both texts
    }

    void mauveOfReferencesAgainstSamples()
    {
        eval::ContinuationEvalSettings settings;
        settings.metrics = {"mauve"};
        settings.prefixWords = 3;
        settings.continuationWords = 5;
        settings.samplesPerPrefix = 3;
        const auto report = eval::evaluateContinuations({m_model.get(), m_tokenizer.get()}, documents(), settings);
        QVERIFY(report.hasMauve);
        QCOMPARE(report.metrics.size(), size_t(1));
        QCOMPARE(report.metrics[0].name, std::string("mauve"));
        QCOMPARE(report.metrics[0].mean, report.mauve.score);
        QVERIFY(report.mauve.score > 0.0 && report.mauve.score <= 1.0);
        QCOMPARE(report.mauve.curveX.size(), size_t(27));
    }

    void minNewTokensBansEosUntilThen()
    {
        // Make EOS the most likely first token, so that sampling without the ban often stops at once.
        generate::Sampler sampler(*m_model, m_tokenizer.get());
        torch::NoGradGuard noGrad;
        const auto first = m_model->forward(torch::tensor(sampler.promptIds("the cat"), torch::kLong).view({1, -1}));
        const int64_t likely = first[0][-1].argmax().item<int64_t>();
        generate::SampleSettings settings;
        settings.maxNewTokens = 6;
        settings.samplesPerPrompt = 8;
        settings.eosId = likely;
        settings.temperature = 0.25;  // the most likely token nearly always: without the ban, rows stop at once
        settings.seed = 5;
        bool stoppedEarly = false;
        for (const auto& s : sampler.sample({"the cat"}, settings))
            stoppedEarly = stoppedEarly || s.tokenIds.size() < 6;
        QVERIFY(stoppedEarly);
        settings.minNewTokens = 6;
        for (const auto& s : sampler.sample({"the cat"}, settings)) {
            QCOMPARE(s.tokenIds.size(), size_t(6));
            for (int64_t id : s.tokenIds)
                QVERIFY(id != likely);
        }
    }

    void officialOraclePerplexityIsMeanOfBatchMeans()
    {
        // By hand from unpadded forward passes: the whole text (no BOS for GPT-2), every token after the
        // first scored, token means per batch of 2 texts, then exp of the mean of the batch means.
        const std::vector<std::string> texts = {"the cat sat on the mat", "a bird sang", "the river ran past the mill"};
        eval::SequenceScores perText;
        const auto result = eval::officialOraclePerplexity(*m_other, *m_tokenizer, texts, &perText, 2, 8);
        std::vector<std::pair<double, int64_t>> direct;
        for (const auto& t : texts)
            direct.push_back(directNll(*m_other, m_tokenizer->encode(t), 1));
        const double batch1 = (direct[0].first + direct[1].first) / static_cast<double>(direct[0].second + direct[1].second);
        const double batch2 = direct[2].first / static_cast<double>(direct[2].second);
        // fp32 logits in the scorer, float64 softmax here: agreement to ~1e-6 relative.
        QVERIFY2(std::abs(result.meanNll - 0.5 * (batch1 + batch2)) < 1e-5 * result.meanNll,
                 qPrintable(QString("%1 vs %2 (%3 %4 %5 / %6 %7 %8)").arg(result.meanNll).arg(0.5 * (batch1 + batch2))
                                .arg(perText.nll[0]).arg(perText.nll[1]).arg(perText.nll[2])
                                .arg(direct[0].first).arg(direct[1].first).arg(direct[2].first)));
        QVERIFY(std::abs(result.perplexity - std::exp(0.5 * (batch1 + batch2))) < 1e-4 * result.perplexity);
        QCOMPARE(perText.nll.size(), size_t(3));
        for (size_t i = 0; i < 3; ++i) {
            QVERIFY(std::abs(perText.nll[i] - direct[i].first) < 1e-5 * direct[i].first);
            QCOMPARE(perText.tokens[i], direct[i].second);
        }
    }

    void officialMauveIsMeanOverSampleIndex()
    {
        // The official protocol: fixed-length samples, one MAUVE per sample index (the k-th sample of every
        // prefix against the references), averaged. Recomputed here from the sampler and computeMauve.
        eval::ContinuationEvalSettings settings;
        settings.metrics = {"mauve", "rouge"};
        settings.protocol = eval::ContinuationProtocol::Official;
        settings.prefixWords = 3;
        settings.continuationWords = 5;
        settings.continuationTokens = 7;
        settings.samplesPerPrefix = 3;
        settings.firstSeed = 11;
        const auto report = eval::evaluateContinuations({m_model.get(), m_tokenizer.get()}, documents(), settings);

        const auto examples = eval::splitContinuations(documents(), 3, 5, 100);
        std::vector<std::string> prompts, references;
        for (const auto& e : examples) {
            prompts.push_back(e.prefix);
            references.push_back(e.fullReference());
        }
        generate::Sampler sampler(*m_model, m_tokenizer.get());
        generate::SampleSettings sampling;
        sampling.maxNewTokens = 7;
        sampling.minNewTokens = 7;
        sampling.samplesPerPrompt = 3;
        sampling.seed = 11;
        const auto samples = sampler.sample(prompts, sampling);
        const auto p = eval::lastTokenFeatures(*m_model, *m_tokenizer, references, 8);
        std::vector<std::string> texts;
        for (const auto& s : samples) {
            QCOMPARE(s.tokenIds.size(), size_t(7));
            texts.push_back(examples[s.promptIndex].prefix + s.text);
        }
        const auto all = eval::lastTokenFeatures(*m_model, *m_tokenizer, texts, 8);  // rows in sample order
        double sum = 0.0;
        std::vector<double> perIndex;
        for (int64_t k = 0; k < 3; ++k) {
            std::vector<int64_t> rows;
            for (size_t i = 0; i < samples.size(); ++i)
                if (samples[i].sampleIndex == k)
                    rows.push_back(static_cast<int64_t>(i));
            const auto q = all.index_select(0, torch::tensor(rows, torch::kLong));
            perIndex.push_back(eval::computeMauve(p, q, {}).score);
            sum += perIndex.back();
        }
        QCOMPARE(report.metrics[0].name, std::string("mauve"));
        QVERIFY(std::abs(report.metrics[0].mean - sum / 3) < 1e-12);
        QCOMPARE(report.metrics[0].unit, std::string("sample-index"));
        QCOMPARE(report.metrics[0].units.size(), size_t(3));
        for (size_t k = 0; k < 3; ++k)
            QVERIFY(std::abs(report.metrics[0].units[k] - perIndex[k]) < 1e-12);
        // ROUGE units are per prefix; with the same number of samples per prefix their mean is the metric.
        QCOMPARE(report.metrics[1].unit, std::string("prefix"));
        QCOMPARE(report.metrics[1].units.size(), examples.size());
        double unitMean = 0.0;
        for (double u : report.metrics[1].units)
            unitMean += u / static_cast<double>(examples.size());
        QVERIFY(std::abs(unitMean - report.metrics[1].mean) < 1e-12);
    }

    void badSettingsAreRejected()
    {
        eval::ContinuationEvalSettings settings;
        settings.prefixWords = 3;
        settings.metrics = {"bleu"};
        QVERIFY_THROWS_EXCEPTION(Error, eval::evaluateContinuations({m_model.get(), m_tokenizer.get()}, documents(), settings));
        settings.metrics = {"rev-ce"};  // needs an oracle
        QVERIFY_THROWS_EXCEPTION(Error, eval::evaluateContinuations({m_model.get(), m_tokenizer.get()}, documents(), settings));
        settings.metrics = {"rouge"};
        settings.prefixWords = 50;  // no document is that long
        QVERIFY_THROWS_EXCEPTION(Error, eval::evaluateContinuations({m_model.get(), m_tokenizer.get()}, documents(), settings));
    }
};

QTEST_GUILESS_MAIN(TestContinuationEval)
#include "tst_continuation_eval.moc"
