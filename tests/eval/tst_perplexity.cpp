// Perplexity of a tiny random model against a direct per-sequence computation (one unpadded forward each,
// softmax in float64, −log of the next token's probability), batching/padding invariance, blocks, cancel.
#include "eval/perplexity.h"
#include "io/model_config.h"
#include "model/language_model.h"
#include "support/tiny_models.h"
#include "util/error.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QtTest/QtTest>
#include <torch/torch.h>

#include <cmath>

using namespace emo;
using emo::eval::computePerplexity;

namespace {

// Vocabulary 53 (gpt2 tied, llama untied); weights ×8 make the distributions peaked, so a wrong target
// index shows.
test::TinyModelOptions tinyOptions()
{
    test::TinyModelOptions options;
    options.vocab = 53;
    options.intermediate = 48;
    options.positions = 64;
    options.weightScale = 8.0;
    return options;
}

std::vector<std::vector<int64_t>> randomSequences(int64_t vocab, const std::vector<int64_t>& lengths, uint64_t seed)
{
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    std::vector<std::vector<int64_t>> out;
    for (int64_t len : lengths) {
        auto ids = torch::randint(vocab, {len}, gen, torch::kLong);
        out.emplace_back(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + len);
    }
    return out;
}

// Σ −log p(s[t+1] | s[..t]) over the sequences, and the count, one sequence at a time.
std::pair<double, int64_t> directNll(model::LanguageModel& model, const std::vector<std::vector<int64_t>>& sequences)
{
    torch::NoGradGuard noGrad;
    double total = 0;
    int64_t count = 0;
    for (const auto& s : sequences) {
        if (s.size() < 2)
            continue;
        const auto logits = model.forward(torch::tensor(s, torch::kLong).view({1, -1}))[0].to(torch::kFloat64);
        const auto probs = torch::softmax(logits, -1);
        for (size_t t = 0; t + 1 < s.size(); ++t) {
            total -= std::log(probs[static_cast<int64_t>(t)][s[t + 1]].item<double>());
            ++count;
        }
    }
    return {total, count};
}

} // namespace

class TestPerplexity : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void matchesDirectComputation_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<qlonglong>("batch");
        QTest::newRow("gpt2 batch 1") << "gpt2" << 1LL;
        QTest::newRow("gpt2 batch 3") << "gpt2" << 3LL;
        QTest::newRow("llama batch 4") << "llama" << 4LL;
    }
    void matchesDirectComputation()
    {
        QFETCH(QString, arch);
        QFETCH(qlonglong, batch);
        auto model = test::createTinyModel(arch.toStdString(), arch == "gpt2", 17, tinyOptions());
        // Mixed lengths, including ones that predict nothing (0 and 1 tokens).
        const auto sequences = randomSequences(model->config().vocabSize, {7, 1, 12, 3, 0, 9, 2}, 5);
        const auto [total, count] = directNll(*model, sequences);
        QCOMPARE(count, int64_t{6 + 11 + 2 + 8 + 1});
        const auto result = computePerplexity(*model, sequences, batch);
        QCOMPARE(result.predictedTokens, count);
        QVERIFY(std::abs(result.meanNll - total / count) < 1e-5);
        QVERIFY(std::abs(result.perplexity - std::exp(total / count)) < 1e-5 * result.perplexity);
        QVERIFY(result.meanNll > 0.5);  // a peaked random model is far from the truth
    }

    void blocksOverload()
    {
        auto model = test::createTinyModel("gpt2", true, 17, tinyOptions());
        const auto blocks = torch::randint(model->config().vocabSize, {5, 16}, torch::kLong);
        std::vector<std::vector<int64_t>> rows;
        for (int64_t i = 0; i < 5; ++i)
            rows.emplace_back(blocks[i].data_ptr<int64_t>(), blocks[i].data_ptr<int64_t>() + 16);
        const auto a = computePerplexity(*model, blocks, 2);
        const auto [total, count] = directNll(*model, rows);
        QCOMPARE(a.predictedTokens, int64_t{5 * 15});
        QVERIFY(std::abs(a.meanNll - total / count) < 1e-5);
    }

    void progressCancels()
    {
        auto model = test::createTinyModel("gpt2", true, 17, tinyOptions());
        const auto sequences = randomSequences(model->config().vocabSize, {5, 5, 5, 5, 5}, 1);
        int calls = 0;
        const ProgressCallback stopSecond = [&calls](const Progress&) { return ++calls < 2; };
        try {
            computePerplexity(*model, sequences, 1, stopSecond);
            QFAIL("not cancelled");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), Error::Kind::Cancelled);
        }
        QCOMPARE(calls, 2);
    }

    void badInput()
    {
        auto model = test::createTinyModel("gpt2", true, 17, tinyOptions());
        const int64_t vocab = model->config().vocabSize;
        QVERIFY_THROWS_EXCEPTION(Error, computePerplexity(*model, std::vector<std::vector<int64_t>>{{1, vocab}}));
        const std::vector<int64_t> tooLong(static_cast<size_t>(model->config().maxPositions + 1), 3);
        QVERIFY_THROWS_EXCEPTION(Error, computePerplexity(*model, std::vector<std::vector<int64_t>>{tooLong}));
        QVERIFY_THROWS_EXCEPTION(Error, computePerplexity(*model, std::vector<std::vector<int64_t>>{{4}}));
    }
};

QTEST_GUILESS_MAIN(TestPerplexity)
#include "tst_perplexity.moc"
