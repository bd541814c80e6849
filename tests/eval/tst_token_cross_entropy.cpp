// Token-level forward / reverse cross-entropy (Figure 2) against a scalar loop over one block at a time,
// softmax by hand in double: −Σ_v p log q and −Σ_v q log p at every position. Also: a model against itself
// gives its entropy both ways, Gibbs' inequality, batching invariance and a vocabulary mismatch refused.
#include "eval/token_cross_entropy.h"
#include "io/model_config.h"
#include "model/language_model.h"
#include "util/error.h"

#include <QtTest/QtTest>
#include <torch/torch.h>

#include <cmath>

using namespace emo;

namespace {

std::shared_ptr<model::LanguageModel> tinyLlama(uint64_t seed, int64_t vocab = 41, double scale = 4.0)
{
    const nlohmann::json json = {{"model_type", "llama"}, {"vocab_size", vocab}, {"hidden_size", 32},
                                 {"num_hidden_layers", 1}, {"num_attention_heads", 4}, {"num_key_value_heads", 2},
                                 {"intermediate_size", 48}, {"max_position_embeddings", 32}, {"eos_token_id", 2},
                                 {"bos_token_id", 1}};
    auto model = model::LanguageModel::create(io::ModelConfig::fromJson(json, "tiny"), seed);
    torch::NoGradGuard noGrad;
    for (auto& p : model->parameters())
        if (p.dim() >= 2)
            p.mul_(scale);  // distributions far from uniform
    return model;
}

// log-softmax of one row of logits, by hand
std::vector<double> logSoftmax(const torch::Tensor& row)
{
    const auto r = row.to(torch::kDouble).contiguous();
    const double* x = r.data_ptr<double>();
    const int64_t v = r.size(0);
    double top = x[0];
    for (int64_t i = 1; i < v; ++i)
        top = std::max(top, x[i]);
    double sum = 0.0;
    for (int64_t i = 0; i < v; ++i)
        sum += std::exp(x[i] - top);
    std::vector<double> out(static_cast<size_t>(v));
    for (int64_t i = 0; i < v; ++i)
        out[static_cast<size_t>(i)] = x[i] - top - std::log(sum);
    return out;
}

// blocks [N,T] → (forward, reverse), one block per forward pass, position by position
std::pair<double, double> direct(model::LanguageModel& q, model::LanguageModel& p, const torch::Tensor& blocks)
{
    torch::NoGradGuard noGrad;
    double forward = 0.0, reverse = 0.0;
    int64_t positions = 0;
    for (int64_t b = 0; b < blocks.size(0); ++b) {
        const auto ids = blocks[b].slice(0, 0, -1).view({1, -1});
        const auto lq = q.forward(ids)[0], lp = p.forward(ids)[0];
        for (int64_t t = 0; t < ids.size(1); ++t) {
            const auto a = logSoftmax(lq[t]), c = logSoftmax(lp[t]);
            for (size_t v = 0; v < a.size(); ++v) {
                forward -= std::exp(c[v]) * a[v];
                reverse -= std::exp(a[v]) * c[v];
            }
            ++positions;
        }
    }
    return {forward / positions, reverse / positions};
}

} // namespace

class TestTokenCrossEntropy : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void matchesAScalarLoop()
    {
        auto q = tinyLlama(3, 41, 6.0), p = tinyLlama(11, 41, 2.0);  // a peaked Q, a flatter P: the directions differ
        torch::manual_seed(5);
        const auto blocks = torch::randint(41, {5, 9}, torch::kLong);
        const auto got = eval::tokenCrossEntropies(*q, *p, blocks, 2);
        const auto [forward, reverse] = direct(*q, *p, blocks);
        QCOMPARE(got.positions, int64_t(5 * 8));
        QVERIFY2(std::abs(got.forward - forward) < 1e-5, qPrintable(QString::number(got.forward - forward)));
        QVERIFY2(std::abs(got.reverse - reverse) < 1e-5, qPrintable(QString::number(got.reverse - reverse)));
        QVERIFY2(std::abs(got.forward - got.reverse) > 0.05, qPrintable(QString("%1 %2").arg(got.forward).arg(got.reverse)));
        // maxBlocks and batching: the first three blocks alone, in batches of 1 or 8, agree.
        const auto first = eval::tokenCrossEntropies(*q, *p, blocks, 1, 3);
        const auto all = eval::tokenCrossEntropies(*q, *p, blocks.slice(0, 0, 3), 8);
        QCOMPARE(first.positions, int64_t(24));
        QVERIFY(std::abs(first.forward - all.forward) < 1e-5 && std::abs(first.reverse - all.reverse) < 1e-5);  // float forwards of other batch shapes
    }

    void againstItselfIsTheEntropy()
    {
        auto q = tinyLlama(3), p = tinyLlama(11);
        torch::manual_seed(6);
        const auto blocks = torch::randint(41, {3, 7}, torch::kLong);
        const auto self = eval::tokenCrossEntropies(*q, *q, blocks);
        QVERIFY(std::abs(self.forward - self.reverse) < 1e-9);
        QVERIFY(self.forward > 0.0 && self.forward < std::log(41.0));
        // Gibbs: −Σ p log q ≥ −Σ p log p, so Q against P costs at least P's own entropy.
        const auto pq = eval::tokenCrossEntropies(*q, *p, blocks);
        const auto pp = eval::tokenCrossEntropies(*p, *p, blocks);
        QVERIFY(pq.forward >= pp.forward);
        QVERIFY(pq.reverse >= self.forward);
    }

    void refusesAnotherVocabulary()
    {
        auto q = tinyLlama(3), p = tinyLlama(11, 40);
        const auto blocks = torch::zeros({1, 4}, torch::kLong);
        QVERIFY_EXCEPTION_THROWN(eval::tokenCrossEntropies(*q, *p, blocks), Error);
        QVERIFY_EXCEPTION_THROWN(eval::tokenCrossEntropies(*q, *q, torch::zeros({4}, torch::kLong)), Error);
    }
};

QTEST_APPLESS_MAIN(TestTokenCrossEntropy)
#include "tst_token_cross_entropy.moc"
