// Sampling: the logit filters on constructed logits, inverse-CDF draws against their probabilities, and the
// batched KV-cache sampler on tiny random models against an independent no-cache greedy loop.
#include "generate/sampler.h"
#include "generate/sampling_filters.h"
#include "io/model_config.h"
#include "model/language_model.h"
#include "support/tiny_models.h"
#include "support/tiny_tokenizer.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <QtTest/QtTest>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>

using namespace emo;
using emo::generate::SampleSettings;
using emo::generate::Sampler;
using emo::generate::SamplingMode;

namespace {

constexpr int64_t kVocab = 41;
constexpr int64_t kEos = 2;

// Tiny random models (gpt2 tied, llama untied), weights scaled up so that their distributions are peaked
// (greedy has clear winners, top-k sets have clear edges) but still spread enough for sampling to vary.
test::TinyModelOptions tinyOptions(int64_t vocab = kVocab)
{
    test::TinyModelOptions options;
    options.vocab = vocab;
    options.eos = kEos;
    options.intermediate = 48;
    options.positions = 96;
    options.weightScale = 15.0;
    return options;
}

// ids → logits [T,V] of one unpadded sequence by a plain full forward, no cache.
torch::Tensor fullLogits(model::LanguageModel& model, const std::vector<int64_t>& ids)
{
    torch::NoGradGuard noGrad;
    auto input = torch::tensor(ids, torch::kLong).view({1, -1});
    return model.forward(input).squeeze(0).to(torch::kFloat32);
}

// Greedy continuation by recomputing the whole sequence every step (independent of cache and padding).
std::vector<int64_t> greedyWithoutCache(model::LanguageModel& model, std::vector<int64_t> ids, int64_t steps)
{
    std::vector<int64_t> out;
    for (int64_t s = 0; s < steps; ++s) {
        auto logits = fullLogits(model, ids);
        const int64_t next = logits[-1].argmax().item<int64_t>();
        out.push_back(next);
        ids.push_back(next);
    }
    return out;
}

std::vector<int64_t> concat(std::vector<int64_t> a, const std::vector<int64_t>& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

const std::vector<std::vector<int64_t>> kPrompts = {{5}, {7, 8, 9, 10}, {11, 3, 30, 31, 12, 13, 40}};

// Upper chi-square quantile for `df` degrees of freedom at z standard deviations (Wilson–Hilferty).
double chiSquareBound(int df, double z)
{
    const double a = 2.0 / (9.0 * df);
    return df * std::pow(1.0 - a + z * std::sqrt(a), 3.0);
}

// counts over tokens vs expected probabilities; bins with expected < 5 are merged into one.
double chiSquare(const std::vector<int64_t>& counts, const std::vector<double>& probs, int64_t total, int* df)
{
    double stat = 0.0, mergedExpected = 0.0;
    int64_t mergedCount = 0;
    int bins = 0;
    for (size_t i = 0; i < probs.size(); ++i) {
        const double expected = probs[i] * total;
        if (expected < 5.0) {
            mergedExpected += expected;
            mergedCount += counts[i];
            continue;
        }
        stat += (counts[i] - expected) * (counts[i] - expected) / expected;
        ++bins;
    }
    if (mergedExpected > 0.0) {
        stat += (mergedCount - mergedExpected) * (mergedCount - mergedExpected) / std::max(mergedExpected, 1e-9);
        ++bins;
    }
    *df = bins - 1;
    return stat;
}

} // namespace

class TestSampler : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(12345); }  // only the tests' own random logits use it

    void topKKeepsExactlyTheKLargest_data()
    {
        QTest::addColumn<int>("k");
        QTest::newRow("k=1") << 1;
        QTest::newRow("k=3") << 3;
        QTest::newRow("k=10") << 10;
        QTest::newRow("k=V-1") << 49;
    }
    void topKKeepsExactlyTheKLargest()
    {
        QFETCH(int, k);
        auto logits = torch::randn({4, 50});
        auto filtered = generate::applyTopK(logits, k);
        for (int64_t b = 0; b < 4; ++b) {
            // The expected set from a std::sort of the row.
            std::vector<std::pair<float, int64_t>> row;
            for (int64_t v = 0; v < 50; ++v)
                row.push_back({logits[b][v].item<float>(), v});
            std::sort(row.begin(), row.end(), [](auto& x, auto& y) { return x.first > y.first; });
            std::set<int64_t> expected;
            for (int i = 0; i < k; ++i)
                expected.insert(row[i].second);
            for (int64_t v = 0; v < 50; ++v) {
                const float f = filtered[b][v].item<float>();
                if (expected.count(v))
                    QCOMPARE(f, logits[b][v].item<float>());
                else
                    QVERIFY2(std::isinf(f) && f < 0, qPrintable(QString("token %1 outside top-%2 kept").arg(v).arg(k)));
            }
        }
    }

    void topKWithTiesKeepsExactlyK()
    {
        auto filtered = generate::applyTopK(torch::zeros({2, 20}), 4);
        QCOMPARE(torch::isfinite(filtered).sum(1).eq(4).all().item<bool>(), true);
        // off: k = 0 and k >= V leave the logits alone
        auto logits = torch::randn({2, 20});
        QVERIFY(torch::equal(generate::applyTopK(logits, 0), logits));
        QVERIFY(torch::equal(generate::applyTopK(logits, 20), logits));
    }

    void topPKeepsTheSmallestNucleus_data()
    {
        // Probabilities (in a shuffled order), p, and the kept set worked out by hand.
        QTest::addColumn<QVector<double>>("probs");
        QTest::addColumn<double>("p");
        QTest::addColumn<QVector<int>>("kept");
        const QVector<double> probs = {0.10, 0.50, 0.05, 0.20, 0.15};  // order: 1, 3, 4, 0, 2
        QTest::newRow("p=0.3 top token only") << probs << 0.3 << QVector<int>{1};
        QTest::newRow("p=0.6 two") << probs << 0.6 << QVector<int>{1, 3};
        QTest::newRow("p=0.8 three") << probs << 0.8 << QVector<int>{1, 3, 4};
        QTest::newRow("p=0.9 four") << probs << 0.9 << QVector<int>{0, 1, 3, 4};
        QTest::newRow("p=0.99 all") << probs << 0.99 << QVector<int>{0, 1, 2, 3, 4};
        QTest::newRow("p=1e-6 top token") << probs << 1e-6 << QVector<int>{1};
        QTest::newRow("peaked p=0.5") << QVector<double>{0.01, 0.01, 0.97, 0.01} << 0.5 << QVector<int>{2};
    }
    void topPKeepsTheSmallestNucleus()
    {
        QFETCH(QVector<double>, probs);
        QFETCH(double, p);
        QFETCH(QVector<int>, kept);
        std::vector<double> logProbs;
        for (double q : probs)
            logProbs.push_back(std::log(q) + 3.0);  // any shift: the filter works on logits
        auto logits = torch::tensor(logProbs, torch::kFloat32).view({1, -1});
        auto filtered = generate::applyTopP(logits, p);
        for (int v = 0; v < probs.size(); ++v) {
            const bool isKept = std::isfinite(filtered[0][v].item<float>());
            QVERIFY2(isKept == kept.contains(v), qPrintable(QString("token %1: kept=%2").arg(v).arg(isKept)));
            if (isKept)
                QCOMPARE(filtered[0][v].item<float>(), logits[0][v].item<float>());
        }
        QVERIFY(torch::equal(generate::applyTopP(logits, 1.0), logits));
    }

    // At a real vocabulary size the nucleus is found from the most probable candidates, widened while a row's
    // candidates hold less than p: the kept set equals that of sorting the whole row (the definition), for a
    // peaked row (a handful kept), a flat one (thousands kept: widened to the whole vocabulary) and in between.
    void topPMatchesSortingTheVocabulary()
    {
        torch::manual_seed(11);
        const int64_t vocab = 5000;
        const auto logits = torch::randn({3, vocab}) * torch::tensor({8.0, 0.05, 1.5}).view({3, 1});
        for (double p : {0.05, 0.5, 0.9, 0.999}) {
            const auto filtered = generate::applyTopP(logits, p);
            auto [sorted, order] = logits.to(torch::kDouble).sort(1, /*descending=*/true);
            const auto sortedProbs = torch::softmax(sorted, 1);
            const auto keepSorted = (sortedProbs.cumsum(1) - sortedProbs) < p;
            const auto keep = torch::zeros({3, vocab}, torch::kBool).scatter(1, order, keepSorted);
            QVERIFY2(torch::equal(torch::isfinite(filtered), keep), qPrintable(QString("p = %1").arg(p)));
            QVERIFY(torch::equal(filtered.masked_select(keep), logits.masked_select(keep)));
        }
        // The flat row keeps thousands at p = 0.9, the peaked one a few: both ends of the widening are tested.
        const auto keptPerRow = torch::isfinite(generate::applyTopP(logits, 0.9)).sum(1);
        QVERIFY(keptPerRow[1].item<int64_t>() > 4000);
        QVERIFY(keptPerRow[0].item<int64_t>() < 64);
    }

    void filtersRejectBadValues()
    {
        auto logits = torch::zeros({1, 5});
        QVERIFY_THROWS_EXCEPTION(Error, generate::applyTopP(logits, 0.0));
        QVERIFY_THROWS_EXCEPTION(Error, generate::applyTemperature(logits, 0.0));
        QVERIFY_THROWS_EXCEPTION(Error, generate::applyTopK(torch::zeros({5}), 2));
    }

    void temperatureDividesLogits()
    {
        auto logits = torch::tensor({1.0f, -2.0f, 0.5f}).view({1, 3});
        auto scaled = generate::applyTemperature(logits, 0.5);
        QVERIFY(torch::allclose(scaled, torch::tensor({2.0f, -4.0f, 1.0f}).view({1, 3})));
    }

    void counterUniformIsInRangeAndVaries()
    {
        std::set<double> seen;
        for (uint64_t i = 0; i < 1000; ++i) {
            const double u = generate::counterUniform(7, i % 3, i / 3, i % 5);
            QVERIFY(u >= 0.0 && u < 1.0);
            seen.insert(u);
        }
        QCOMPARE(seen.size(), size_t(1000));
        QCOMPARE(generate::counterUniform(1, 2, 3, 4), generate::counterUniform(1, 2, 3, 4));
        QVERIFY(generate::counterUniform(1, 2, 3, 4) != generate::counterUniform(2, 2, 3, 4));
        QVERIFY(generate::counterUniform(1, 2, 3, 4) != generate::counterUniform(1, 2, 4, 3));
    }

    // Inverse-CDF draws against a constructed distribution with zero-probability tokens.
    void drawsMatchProbabilities()
    {
        const std::vector<float> logitValues = {2.0f, 1.0f, 0.5f, -INFINITY, 0.0f, -1.0f, -INFINITY, -3.0f};
        auto logits = torch::tensor(logitValues).view({1, -1});
        auto probs = torch::softmax(logits, 1);
        const int64_t draws = 20000;
        std::vector<double> uniforms;
        for (int64_t i = 0; i < draws; ++i)
            uniforms.push_back(generate::counterUniform(99, 0, i, 0));
        auto chosen = generate::drawFromProbabilities(probs.expand({draws, -1}),
                                                      torch::tensor(uniforms, torch::kDouble));
        std::vector<int64_t> counts(logitValues.size(), 0);
        for (int64_t i = 0; i < draws; ++i)
            ++counts[chosen[i].item<int64_t>()];
        QCOMPARE(counts[3], int64_t(0));
        QCOMPARE(counts[6], int64_t(0));
        std::vector<double> expected;
        for (int64_t v = 0; v < probs.size(1); ++v)
            expected.push_back(probs[0][v].item<double>());
        int df = 0;
        const double stat = chiSquare(counts, expected, draws, &df);
        qInfo("chi-square %.2f with %d dof (bound %.2f)", stat, df, chiSquareBound(df, 3.5));
        QVERIFY(stat < chiSquareBound(df, 3.5));
        // A sampler that ignored the distribution (uniform over the finite tokens) must fail the same bound.
        std::vector<int64_t> flat = {3334, 3333, 3333, 0, 3333, 3333, 0, 3334};
        QVERIFY(chiSquare(flat, expected, draws, &df) > chiSquareBound(df, 3.5));
        // Edge uniforms: 0 picks the first token with mass, just below 1 the last one.
        auto edge = generate::drawFromProbabilities(torch::tensor({0.0f, 0.0f, 0.3f, 0.7f, 0.0f}).view({1, -1}).expand({2, -1}),
                                                    torch::tensor({0.0, 0.9999999}, torch::kDouble));
        QCOMPARE(edge[0].item<int64_t>(), int64_t(2));
        QCOMPARE(edge[1].item<int64_t>(), int64_t(3));
    }

    // ---- the sampler on tiny models ----

    void paddedBatchEqualsEachPromptAlone_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::newRow("gpt2") << "gpt2";
        QTest::newRow("llama-gqa") << "llama";
    }
    void paddedBatchEqualsEachPromptAlone()
    {
        QFETCH(QString, arch);
        auto model = test::createTinyModel(arch.toStdString(), arch == "gpt2", 3, tinyOptions());
        Sampler sampler(*model, nullptr);
        SampleSettings settings;
        settings.mode = SamplingMode::Greedy;
        settings.maxNewTokens = 12;
        settings.stopAtEos = false;
        auto batched = sampler.sampleIds(kPrompts, settings);
        QCOMPARE(batched.size(), kPrompts.size());
        for (size_t p = 0; p < kPrompts.size(); ++p) {
            const auto reference = greedyWithoutCache(*model, kPrompts[p], settings.maxNewTokens);
            auto alone = sampler.sampleIds({kPrompts[p]}, settings);
            QCOMPARE(alone[0].tokenIds, reference);
            QCOMPARE(batched[p].tokenIds, reference);
            QCOMPARE(batched[p].promptIndex, int64_t(p));
            // modelLogprobs are the full forward's log-softmax at each position
            auto full = torch::log_softmax(fullLogits(*model, concat(kPrompts[p], reference)), 1);
            const int64_t start = static_cast<int64_t>(kPrompts[p].size()) - 1;
            for (size_t t = 0; t < reference.size(); ++t) {
                const double expected = full[start + t][reference[t]].item<double>();
                QVERIFY2(std::abs(batched[p].modelLogprobs[t] - expected) < 1e-4,
                         qPrintable(QString("prompt %1 step %2: %3 vs %4").arg(p).arg(t)
                                        .arg(batched[p].modelLogprobs[t]).arg(expected)));
                QCOMPARE(batched[p].logprobs[t], 0.0);
            }
        }
    }

    void fixedSeedIsReproducibleAcrossBatchCompositions()
    {
        auto model = test::createTinyModel("gpt2", true, 4, tinyOptions());
        Sampler sampler(*model, nullptr);
        SampleSettings settings;
        settings.maxNewTokens = 10;
        settings.samplesPerPrompt = 3;
        settings.seed = 2024;
        settings.stopAtEos = false;
        auto first = sampler.sampleIds(kPrompts, settings);
        auto again = sampler.sampleIds(kPrompts, settings);
        settings.maxBatchRows = 3;  // one prompt per batch
        auto chunked = sampler.sampleIds(kPrompts, settings);
        settings.maxBatchRows = 64;
        auto alone = sampler.sampleIds({kPrompts[2]}, settings);
        settings.seed = 2025;
        auto other = sampler.sampleIds(kPrompts, settings);
        bool anyDifferent = false;
        std::set<std::vector<int64_t>> distinct;
        for (size_t i = 0; i < first.size(); ++i) {
            QCOMPARE(first[i].tokenIds, again[i].tokenIds);
            QCOMPARE(first[i].tokenIds, chunked[i].tokenIds);
            anyDifferent = anyDifferent || first[i].tokenIds != other[i].tokenIds;
            distinct.insert(first[i].tokenIds);
        }
        for (size_t k = 0; k < 3; ++k) {
            QCOMPARE(alone[k].tokenIds, first[6 + k].tokenIds);
            QCOMPARE(alone[k].promptIndex, int64_t(0));
            QCOMPARE(alone[k].sampleIndex, int64_t(k));
        }
        QVERIFY2(anyDifferent, "another seed gave the same samples");
        QVERIFY2(distinct.size() > 3, "samples of one prompt do not vary");
        // A repeated prompt gets its own stream; the first occurrence keeps the stream it has alone.
        settings.seed = 2024;
        settings.samplesPerPrompt = 1;
        auto repeated = sampler.sampleIds({kPrompts[2], kPrompts[2]}, settings);
        QCOMPARE(repeated[0].tokenIds, alone[0].tokenIds);
        QVERIFY(repeated[0].tokenIds != repeated[1].tokenIds);
    }

    void textPromptsDecodeWithTheTokenizer()
    {
        QTemporaryDir folder;
        test::writeByteLevelBpeTokenizer(folder.path().toStdString(), 0);
        auto tokenizer = text::loadTokenizer(folder.path().toStdString());
        QCOMPARE(tokenizer->vocabSize(), int64_t(257));
        auto model = test::createTinyModel("gpt2", true, 12, tinyOptions(tokenizer->vocabSize()));
        Sampler sampler(*model, tokenizer.get());
        QCOMPARE(sampler.promptIds("hi there"), tokenizer->encode("hi there"));  // GPT-2: no BOS added
        QCOMPARE(sampler.promptIds(""), std::vector<int64_t>{tokenizer->eosId()});
        SampleSettings settings;
        settings.maxNewTokens = 6;
        settings.samplesPerPrompt = 2;
        settings.seed = 3;
        const std::vector<std::string> prompts = {"hi there", "x"};
        auto samples = sampler.sample(prompts, settings);
        QCOMPARE(samples.size(), size_t(4));
        for (const auto& s : samples) {
            QCOMPARE(s.prompt, prompts[s.promptIndex]);
            auto shown = s.tokenIds;
            if (s.finishedByEos)
                shown.pop_back();
            QCOMPARE(s.text, tokenizer->decode(shown));
        }
        // Stopped at EOS at once: the EOS token is in tokenIds but not in the text.
        settings.mode = SamplingMode::Greedy;
        settings.samplesPerPrompt = 1;
        const int64_t first = sampler.sample({"x"}, settings)[0].tokenIds[0];
        settings.eosId = first;
        auto stopped = sampler.sample({"x"}, settings)[0];
        QVERIFY(stopped.finishedByEos);
        QCOMPARE(stopped.tokenIds, std::vector<int64_t>{first});
        QCOMPARE(stopped.text, std::string());
    }

    // generation_config.json's eos_token_id list (LLaMA-3 ships two) ends a continuation at any of them.
    void generationConfigStopIdsEndSampling()
    {
        QTemporaryDir folder;
        const std::string dir = folder.path().toStdString();
        test::writeByteLevelBpeTokenizer(dir, 0);
        auto plain = text::loadTokenizer(dir);
        auto model = test::createTinyModel("gpt2", true, 12, tinyOptions(plain->vocabSize()));
        SampleSettings settings;
        settings.mode = SamplingMode::Greedy;
        settings.maxNewTokens = 10;
        settings.stopAtEos = false;
        const auto free = Sampler(*model, plain.get()).sampleIds({{5, 6}}, settings)[0].tokenIds;
        // The third greedy token, as the second of two EOS ids (the first never comes: id 1 outside the run).
        int64_t never = 0;
        while (std::find(free.begin(), free.end(), never) != free.end())
            ++never;
        {
            std::ofstream config(dir + "/generation_config.json");
            config << R"({"bos_token_id": 1, "eos_token_id": [)" << never << ", " << free[2] << "]}";
        }
        auto tokenizer = text::loadTokenizer(dir);
        QCOMPARE(tokenizer->stopIds(), (std::vector<int64_t>{never, free[2]}));
        QCOMPARE(tokenizer->eosId(), never);
        QCOMPARE(tokenizer->bosId(), int64_t(1));
        settings.stopAtEos = true;
        const auto stopped = Sampler(*model, tokenizer.get()).sampleIds({{5, 6}}, settings)[0];
        const auto at = std::find(free.begin(), free.end(), free[2]);
        QCOMPARE(stopped.tokenIds, std::vector<int64_t>(free.begin(), at + 1));
        QVERIFY(stopped.finishedByEos);

        std::ofstream(dir + "/generation_config.json") << R"({"eos_token_id": "</s>"})";
        try {
            text::loadTokenizer(dir);
            QFAIL("a string eos_token_id was accepted");
        } catch (const Error& error) {
            QVERIFY2(QString(error.what()).contains("generation_config.json: field 'eos_token_id'"), error.what());
        }
        std::ofstream(dir + "/generation_config.json") << R"({"eos_token_id": 100000})";
        try {
            text::loadTokenizer(dir);
            QFAIL("an eos_token_id outside the vocabulary was accepted");
        } catch (const Error& error) {
            QVERIFY2(QString(error.what()).contains("100000 is outside"), error.what());
        }
    }

    void temperatureNearZeroIsGreedy()
    {
        auto model = test::createTinyModel("llama", false, 5, tinyOptions());
        Sampler sampler(*model, nullptr);
        SampleSettings greedy;
        greedy.mode = SamplingMode::Greedy;
        greedy.maxNewTokens = 10;
        greedy.stopAtEos = false;
        SampleSettings cold = greedy;
        cold.mode = SamplingMode::Ancestral;
        cold.temperature = 1e-4;
        cold.samplesPerPrompt = 4;
        SampleSettings zero = cold;
        zero.temperature = 0.0;
        auto expected = sampler.sampleIds(kPrompts, greedy);
        auto coldSamples = sampler.sampleIds(kPrompts, cold);
        auto zeroSamples = sampler.sampleIds(kPrompts, zero);
        for (const auto& s : coldSamples)
            QCOMPARE(s.tokenIds, expected[s.promptIndex].tokenIds);
        for (const auto& s : zeroSamples)
            QCOMPARE(s.tokenIds, expected[s.promptIndex].tokenIds);
    }

    // Every sampled token, checked against a full no-cache forward of the finished sequence.
    void filtersHoldWhileSampling_data()
    {
        QTest::addColumn<int>("topK");
        QTest::addColumn<double>("topP");
        QTest::addColumn<double>("temperature");
        QTest::newRow("top-k 3") << 3 << 1.0 << 1.0;
        QTest::newRow("top-k 1") << 1 << 1.0 << 1.0;
        QTest::newRow("top-p 0.6") << 0 << 0.6 << 1.0;
        QTest::newRow("top-k 5 + top-p 0.8, T 1.5") << 5 << 0.8 << 1.5;
    }
    void filtersHoldWhileSampling()
    {
        QFETCH(int, topK);
        QFETCH(double, topP);
        QFETCH(double, temperature);
        auto model = test::createTinyModel("gpt2", true, 6, tinyOptions());
        Sampler sampler(*model, nullptr);
        SampleSettings settings;
        settings.maxNewTokens = 8;
        settings.samplesPerPrompt = 40;
        settings.topK = topK;
        settings.topP = topP;
        settings.temperature = temperature;
        settings.seed = 11;
        settings.stopAtEos = false;
        auto samples = sampler.sampleIds(kPrompts, settings);
        QCOMPARE(samples.size(), kPrompts.size() * 40);
        std::set<int64_t> used;
        for (const auto& s : samples) {
            const auto& prompt = kPrompts[s.promptIndex];
            auto logits = fullLogits(*model, concat(prompt, s.tokenIds));
            const int64_t start = static_cast<int64_t>(prompt.size()) - 1;
            for (size_t t = 0; t < s.tokenIds.size(); ++t) {
                auto row = logits[start + t].view({1, -1});
                auto filtered = generate::applyTopP(generate::applyTopK(row / temperature, topK), topP);
                const int64_t token = s.tokenIds[t];
                used.insert(token);
                QVERIFY2(std::isfinite(filtered[0][token].item<float>()),
                         qPrintable(QString("token %1 at step %2 is outside the filtered set").arg(token).arg(t)));
                if (topK > 0) {
                    const float kth = std::get<0>(row.topk(topK, 1))[0][topK - 1].item<float>();
                    QVERIFY(row[0][token].item<float>() >= kth - 1e-4f);
                }
                const double samplingLogProb = torch::log_softmax(filtered, 1)[0][token].item<double>();
                QVERIFY(std::abs(s.logprobs[t] - samplingLogProb) < 1e-4);
                const double modelLogProb = torch::log_softmax(row, 1)[0][token].item<double>();
                QVERIFY(std::abs(s.modelLogprobs[t] - modelLogProb) < 1e-4);
            }
        }
        if (topK != 1)
            QVERIFY2(used.size() > 3, "sampling never varied");
    }

    // The first token of many samples of one prompt against the model's softmax (the full pipeline).
    void ancestralFrequenciesMatchTheModel()
    {
        auto model = test::createTinyModel("llama", false, 7, tinyOptions());
        model->eval();
        {   // soften: ancestral frequencies are only testable where the distribution is spread
            torch::NoGradGuard noGrad;
            for (auto& p : model->parameters())
                if (p.dim() >= 2)
                    p.div_(3.0);
        }
        Sampler sampler(*model, nullptr);
        SampleSettings settings;
        settings.maxNewTokens = 1;
        settings.samplesPerPrompt = 4000;
        settings.seed = 5;
        settings.maxBatchRows = 4000;
        const std::vector<int64_t> prompt = {4, 9, 16};
        auto samples = sampler.sampleIds({prompt}, settings);
        auto probs = torch::softmax(fullLogits(*model, prompt)[-1], 0);
        std::vector<double> expected(kVocab);
        for (int64_t v = 0; v < kVocab; ++v)
            expected[v] = probs[v].item<double>();
        std::vector<int64_t> counts(kVocab, 0);
        for (const auto& s : samples)
            ++counts[s.tokenIds[0]];
        int df = 0;
        const double stat = chiSquare(counts, expected, 4000, &df);
        qInfo("chi-square %.2f with %d dof (bound %.2f)", stat, df, chiSquareBound(df, 3.5));
        QVERIFY(df >= 3);
        QVERIFY(stat < chiSquareBound(df, 3.5));
    }

    void stopsAtEos()
    {
        auto model = test::createTinyModel("gpt2", true, 3, tinyOptions());
        Sampler sampler(*model, nullptr);
        SampleSettings settings;
        settings.mode = SamplingMode::Greedy;
        settings.maxNewTokens = 12;
        settings.stopAtEos = false;
        auto free = sampler.sampleIds(kPrompts, settings);
        // Take prompt 1's fourth greedy token as EOS: it must stop there, others at their first occurrence.
        settings.eosId = free[1].tokenIds[3];
        settings.stopAtEos = true;
        auto stopped = sampler.sampleIds(kPrompts, settings);
        for (size_t p = 0; p < kPrompts.size(); ++p) {
            const auto& all = free[p].tokenIds;
            auto at = std::find(all.begin(), all.end(), settings.eosId);
            std::vector<int64_t> expected(all.begin(), at == all.end() ? all.end() : at + 1);
            QCOMPARE(stopped[p].tokenIds, expected);
            QCOMPARE(stopped[p].finishedByEos, at != all.end());
            QCOMPARE(stopped[p].logprobs.size(), expected.size());
            QCOMPARE(stopped[p].modelLogprobs.size(), expected.size());
        }
        QVERIFY(stopped[1].finishedByEos);
        QVERIFY(stopped[1].tokenIds.size() <= 4);
        // The config's EOS is the default (kEos), and not stopping means running to the end.
        settings.eosId = -1;
        settings.stopAtEos = false;
        for (const auto& s : sampler.sampleIds(kPrompts, settings)) {
            QCOMPARE(int64_t(s.tokenIds.size()), settings.maxNewTokens);
            QVERIFY(!s.finishedByEos);
        }
    }

    void cancelStopsSampling()
    {
        auto model = test::createTinyModel("gpt2", true, 8, tinyOptions());
        Sampler sampler(*model, nullptr);
        SampleSettings settings;
        settings.maxNewTokens = 20;
        settings.stopAtEos = false;
        int calls = 0;
        bool cancelled = false;
        try {
            sampler.sampleIds(kPrompts, settings, [&](const Progress& progress) {
                ++calls;
                return progress.done < 3;
            });
        } catch (const Error& e) {
            cancelled = e.kind() == Error::Kind::Cancelled;
        }
        QVERIFY(cancelled);
        QCOMPARE(calls, 4);  // done = 0, 1, 2, then 3 refuses
        // Uncancelled: progress is monotone and ends at its total.
        int64_t last = -1, total = 0;
        settings.maxBatchRows = 1;
        sampler.sampleIds(kPrompts, settings, [&](const Progress& progress) {
            if (progress.done < last)
                return false;
            last = progress.done;
            total = progress.total;
            return true;
        });
        QCOMPARE(total, int64_t(3 * 20));
        QCOMPARE(last, total);
    }

    void badInputIsRejected()
    {
        auto model = test::createTinyModel("gpt2", true, 9, tinyOptions());
        Sampler sampler(*model, nullptr);
        SampleSettings settings;
        auto kindOf = [&](const std::vector<std::vector<int64_t>>& prompts, const SampleSettings& s) {
            try {
                sampler.sampleIds(prompts, s);
            } catch (const Error& e) {
                return static_cast<int>(e.kind());
            }
            return -1;
        };
        const int badInput = static_cast<int>(Error::Kind::BadInput);
        QCOMPARE(kindOf({{}}, settings), badInput);
        QCOMPARE(kindOf({{kVocab}}, settings), badInput);
        QCOMPARE(kindOf({{-1}}, settings), badInput);
        SampleSettings s = settings;
        s.topP = 0.0;
        QCOMPARE(kindOf({{1}}, s), badInput);
        for (double bad : {1.5, std::nan("")}) {  // above 1 is not "off": refused, as NaN is
            s = settings;
            s.topP = bad;
            QCOMPARE(kindOf({{1}}, s), badInput);
        }
        for (double bad : {-1.0, std::nan(""), HUGE_VAL}) {  // 0 is greedy; below it nothing is meant
            s = settings;
            s.temperature = bad;
            QCOMPARE(kindOf({{1}}, s), badInput);
        }
        s = settings;
        s.minNewTokens = -1;
        QCOMPARE(kindOf({{1}}, s), badInput);
        s = settings;
        s.samplesPerPrompt = 0;
        QCOMPARE(kindOf({{1}}, s), badInput);
        s = settings;
        s.maxNewTokens = 200;  // past n_positions = 96
        QCOMPARE(kindOf({{1}}, s), badInput);
        QVERIFY_THROWS_EXCEPTION(Error, sampler.sample({"text"}, settings));  // text needs a tokenizer
        s = settings;
        s.maxNewTokens = 0;
        QCOMPARE(sampler.sampleIds({{1, 2}}, s)[0].tokenIds.size(), size_t(0));
    }
};

QTEST_GUILESS_MAIN(TestSampler)
#include "tst_sampler.moc"
