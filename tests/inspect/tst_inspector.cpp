// Inspector reports on tiny random models against values computed here in double precision the slow way:
// a full V×V cost matrix, Σ_j q_j C(j,y), sorted probabilities, and finite-difference gradients.
#include "inspect/inspect_json.h"
#include "inspect/inspector.h"
#include "io/model_config.h"
#include "model/language_model.h"
#include "objective/cost_embedding.h"
#include "support/tiny_models.h"
#include "support/tiny_tokenizer.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <QtTest/QtTest>
#include <torch/torch.h>

#include <cmath>
#include <set>

using namespace emo;
using objective::ObjectiveKind;
using objective::ObjectiveSettings;

namespace {

constexpr int64_t kVocab = 29;
const std::vector<int64_t> kIds = {3, 17, 4, 4, 25, 0, 9, 28, 11, 6, 17, 2};

// Small enough for a full V×V cost matrix (gpt2 tied, llama untied); weights ×6 spread the distributions so
// that probabilities, costs and gradients differ.
test::TinyModelOptions tinyOptions(const std::string& arch, int64_t vocab = kVocab)
{
    test::TinyModelOptions options;
    options.vocab = vocab;
    options.hidden = 16;
    options.heads = arch == "gpt2" ? 2 : 4;
    options.intermediate = 24;
    options.positions = 32;
    options.weightScale = 6.0;
    return options;
}

// The reference, all in double: logits [N,V] of positions 0..N-1, q, the full cost matrix.
struct Reference {
    torch::Tensor logits;  // [N,V] double
    torch::Tensor q;       // [N,V]
    torch::Tensor cost;    // [V,V] C(i,j) = 1 − ê_i·ê_j
    std::vector<int64_t> gold;
};

Reference reference(model::LanguageModel& model, const std::vector<int64_t>& ids, const torch::Tensor& head)
{
    torch::NoGradGuard noGrad;
    Reference r;
    const int64_t n = static_cast<int64_t>(ids.size()) - 1;
    r.logits = model.forward(torch::tensor(ids, torch::kLong).view({1, -1})).squeeze(0).narrow(0, 0, n).to(torch::kDouble);
    r.q = torch::softmax(r.logits, 1);
    auto w = head.to(torch::kDouble);
    auto e = w / w.norm(2, 1, true);
    r.cost = 1.0 - e.matmul(e.t());
    r.gold.assign(ids.begin() + 1, ids.end());
    return r;
}

double ceOf(const torch::Tensor& z, int64_t y) { return -torch::log_softmax(z, 0)[y].item<double>(); }
double demdOf(const torch::Tensor& z, int64_t y, const torch::Tensor& cost)
{
    return (torch::softmax(z, 0) * cost.select(1, y)).sum().item<double>();
}

// Central finite difference of f at logit j of row z [V] (double).
template <typename F>
double finiteDifference(const torch::Tensor& z, int64_t j, F f)
{
    const double h = 1e-5;
    auto plus = z.clone(), minus = z.clone();
    plus[j] += h;
    minus[j] -= h;
    return (f(plus) - f(minus)) / (2 * h);
}

// The full reference gradient [V] of the token-wise objective, from finite differences of CE and DEMD and
// the objective's stop-gradient weights (DESIGN.md): EMO's sg ratio makes its gradient ≠ d(value).
torch::Tensor referenceGradient(const ObjectiveSettings& s, const torch::Tensor& z, int64_t y, const torch::Tensor& cost)
{
    const int64_t v = z.size(0);
    auto gCe = torch::zeros({v}, torch::kDouble), gDemd = torch::zeros({v}, torch::kDouble);
    for (int64_t j = 0; j < v; ++j) {
        gCe[j] = finiteDifference(z, j, [&](const torch::Tensor& x) { return ceOf(x, y); });
        gDemd[j] = finiteDifference(z, j, [&](const torch::Tensor& x) { return demdOf(x, y, cost); });
    }
    const double ce = ceOf(z, y), demd = demdOf(z, y, cost), py = std::exp(-ce);
    switch (s.kind) {
    case ObjectiveKind::Mle: return gCe;
    case ObjectiveKind::Emo: return 0.5 * (gCe + (ce / (demd + 1e-10)) * gDemd);
    case ObjectiveKind::Tailr: {
        const double w = std::clamp(py / (s.tailrGamma + (1 - s.tailrGamma) * py), s.tailrMinWeight, 1.0);
        return w * gCe;
    }
    case ObjectiveKind::Mixce: return (s.mixceEta + (1 - s.mixceEta) * py) * gCe;
    }
    return gCe;
}

std::set<std::string> keysOf(const nlohmann::json& object)
{
    std::set<std::string> keys;
    for (auto it = object.begin(); it != object.end(); ++it)
        keys.insert(it.key());
    return keys;
}

} // namespace

class TestInspector : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void valuesMatchTheSlowWay_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<bool>("foreignCost");
        QTest::newRow("gpt2 tied, own head") << "gpt2" << false;
        QTest::newRow("llama untied, own head") << "llama" << false;
        QTest::newRow("gpt2, cost from another model") << "gpt2" << true;
    }
    void valuesMatchTheSlowWay()
    {
        QFETCH(QString, arch);
        QFETCH(bool, foreignCost);
        const std::string archName = arch.toStdString();
        auto model = test::createTinyModel(archName, archName == "gpt2", 21, tinyOptions(archName));
        auto other = test::createTinyModel(archName, archName == "gpt2", 22, tinyOptions(archName));
        const torch::Tensor head = (foreignCost ? other : model)->lmHeadWeight().detach();
        objective::CostEmbedding cost(head);
        inspect::Inspector inspector(*model, nullptr, foreignCost ? &cost : nullptr);
        inspect::InspectSettings settings;
        settings.topK = 5;
        auto report = inspector.inspectIds(kIds, settings);
        auto ref = reference(*model, kIds, head);

        QCOMPARE(report.tokens.size(), kIds.size() - 1);
        double ceSum = 0.0, demdSum = 0.0;
        for (size_t t = 0; t < report.tokens.size(); ++t) {
            const auto& token = report.tokens[t];
            const int64_t y = ref.gold[t];
            QCOMPARE(token.id, y);
            QCOMPARE(token.position, int64_t(t + 1));
            QCOMPARE(token.text, "<" + std::to_string(y) + ">");
            const double ce = -std::log(ref.q[t][y].item<double>());
            double demd = 0.0;
            for (int64_t j = 0; j < kVocab; ++j)
                demd += ref.q[t][j].item<double>() * ref.cost[j][y].item<double>();
            ceSum += ce;
            demdSum += demd;
            QVERIFY2(std::abs(token.ce - ce) < 1e-5, qPrintable(QString("ce %1 vs %2").arg(token.ce).arg(ce)));
            QVERIFY2(std::abs(token.demd - demd) < 1e-5, qPrintable(QString("demd %1 vs %2").arg(token.demd).arg(demd)));
            QVERIFY(std::abs(token.pGold - ref.q[t][y].item<double>()) < 1e-6);

            // top-k: the five largest of q by a std::sort, in order, with C(candidate, gold)
            std::vector<std::pair<double, int64_t>> sorted;
            for (int64_t j = 0; j < kVocab; ++j)
                sorted.push_back({ref.q[t][j].item<double>(), j});
            std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.first > b.first; });
            QCOMPARE(token.topk.size(), size_t(5));
            for (size_t k = 0; k < 5; ++k) {
                QCOMPARE(token.topk[k].id, sorted[k].second);
                QVERIFY(std::abs(token.topk[k].p - sorted[k].first) < 1e-6);
                QVERIFY(std::abs(token.topk[k].cost - ref.cost[sorted[k].second][y].item<double>()) < 1e-5);
                if (k > 0)
                    QVERIFY(token.topk[k].p <= token.topk[k - 1].p);
            }
        }
        const double n = static_cast<double>(report.tokens.size());
        QCOMPARE(report.summary.tokens, int64_t(n));
        QVERIFY(std::abs(report.summary.meanCe - ceSum / n) < 1e-5);
        QVERIFY(std::abs(report.summary.meanDemd - demdSum / n) < 1e-5);
        QVERIFY(std::abs(report.summary.perplexity - std::exp(ceSum / n)) < 1e-4 * std::exp(ceSum / n));
    }

    void gradientsMatchFiniteDifferences_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<double>("parameter");
        QTest::newRow("mle") << int(ObjectiveKind::Mle) << 0.0;
        QTest::newRow("emo") << int(ObjectiveKind::Emo) << 0.0;
        QTest::newRow("tailr gamma 0.3") << int(ObjectiveKind::Tailr) << 0.3;
        QTest::newRow("mixce eta 0.2") << int(ObjectiveKind::Mixce) << 0.2;
    }
    void gradientsMatchFiniteDifferences()
    {
        QFETCH(int, kind);
        QFETCH(double, parameter);
        ObjectiveSettings objective;
        objective.kind = static_cast<ObjectiveKind>(kind);
        objective.tailrGamma = objective.kind == ObjectiveKind::Tailr ? parameter : objective.tailrGamma;
        objective.mixceEta = objective.kind == ObjectiveKind::Mixce ? parameter : objective.mixceEta;
        auto model = test::createTinyModel("llama", false, 23, tinyOptions("llama"));
        inspect::Inspector inspector(*model, nullptr);
        inspect::InspectSettings settings;
        settings.objectives = {objective};
        settings.topK = 3;
        settings.gradTopK = 6;
        auto report = inspector.inspectIds(kIds, settings);
        auto ref = reference(*model, kIds, model->lmHeadWeight().detach());
        for (size_t t = 0; t < report.tokens.size(); t += 2) {  // every other position keeps the test quick
            const int64_t y = ref.gold[t];
            auto g = referenceGradient(objective, ref.logits[t], y, ref.cost);
            QCOMPARE(report.tokens[t].grad.size(), size_t(1));
            const auto& grad = report.tokens[t].grad[0];
            QCOMPARE(grad.objective, std::string(objective::toString(objective.kind)));
            QVERIFY2(std::abs(grad.gold - g[y].item<double>()) < 1e-5,
                     qPrintable(QString("gold %1 vs %2").arg(grad.gold).arg(g[y].item<double>())));
            QVERIFY(std::abs(grad.norm - g.norm().item<double>()) < 1e-5);
            // the six largest |g|, in order
            auto [values, order] = g.abs().sort(0, true);
            QCOMPARE(grad.topk.size(), size_t(6));
            for (size_t k = 0; k < 6; ++k) {
                QCOMPARE(grad.topk[k].id, order[k].item<int64_t>());
                QVERIFY(std::abs(grad.topk[k].g - g[grad.topk[k].id].item<double>()) < 1e-5);
            }
        }
    }

    void jsonHasExactlyTheContractKeys()
    {
        auto model = test::createTinyModel("gpt2", true, 24, tinyOptions("gpt2"));
        inspect::Inspector inspector(*model, nullptr);
        inspect::InspectSettings settings;  // all four objectives
        settings.topK = 4;
        auto report = inspector.inspectIds(kIds, settings);
        const auto json = inspect::toJson(report);
        QCOMPARE(keysOf(json), (std::set<std::string>{"tokens", "summary"}));
        QCOMPARE(keysOf(json["summary"]), (std::set<std::string>{"mean_ce", "mean_demd", "perplexity", "tokens"}));
        QCOMPARE(json["summary"]["tokens"].get<int64_t>(), int64_t(kIds.size() - 1));
        QCOMPARE(json["tokens"].size(), kIds.size() - 1);
        for (size_t t = 0; t < json["tokens"].size(); ++t) {
            const auto& token = json["tokens"][t];
            QCOMPARE(keysOf(token), (std::set<std::string>{"id", "text", "ce", "demd", "p_gold", "topk", "grad"}));
            QCOMPARE(token["id"].get<int64_t>(), kIds[t + 1]);
            QCOMPARE(token["ce"].get<double>(), report.tokens[t].ce);
            QCOMPARE(token["topk"].size(), size_t(4));
            for (const auto& c : token["topk"])
                QCOMPARE(keysOf(c), (std::set<std::string>{"id", "text", "p", "cost"}));
            QCOMPARE(keysOf(token["grad"]), (std::set<std::string>{"mle", "emo", "tailr", "mixce"}));
            for (const auto& [name, g] : token["grad"].items()) {
                QCOMPARE(keysOf(g), (std::set<std::string>{"gold", "norm", "topk"}));
                for (const auto& e : g["topk"])
                    QCOMPARE(keysOf(e), (std::set<std::string>{"id", "g"}));
            }
        }
        // it is one valid JSON document that parses back to the same
        QCOMPARE(nlohmann::json::parse(json.dump()), json);
    }

    void costMatrixAndNeighbours()
    {
        auto model = test::createTinyModel("llama", false, 25, tinyOptions("llama"));
        inspect::Inspector inspector(*model, nullptr);
        auto ref = reference(*model, kIds, model->lmHeadWeight().detach());
        const std::vector<int64_t> ids = {3, 7, 7, 20, 0};
        auto matrix = inspector.costMatrixFor(ids);
        QCOMPARE(matrix.ids, ids);
        QCOMPARE(matrix.labels[3], std::string("<20>"));
        QCOMPARE(matrix.cost.size(), ids.size() * ids.size());
        for (size_t i = 0; i < ids.size(); ++i)
            for (size_t j = 0; j < ids.size(); ++j)
                QVERIFY(std::abs(matrix.at(i, j) - ref.cost[ids[i]][ids[j]].item<double>()) < 1e-5);
        const auto json = inspect::toJson(matrix);
        QCOMPARE(json["cost"][1][3].get<double>(), matrix.at(1, 3));

        auto neighbours = inspector.nearestNeighbours(7, 4);
        std::vector<std::pair<double, int64_t>> sorted;
        for (int64_t j = 0; j < kVocab; ++j)
            if (j != 7)
                sorted.push_back({ref.cost[7][j].item<double>(), j});
        std::sort(sorted.begin(), sorted.end());
        QCOMPARE(neighbours.size(), size_t(4));
        for (size_t k = 0; k < 4; ++k) {
            QCOMPARE(neighbours[k].id, sorted[k].second);
            QVERIFY(std::abs(neighbours[k].cost - sorted[k].first) < 1e-5);
        }
    }

    void textIsTokenizedWithBosPolicy()
    {
        QTemporaryDir folder;
        test::writeByteLevelBpeTokenizer(folder.path().toStdString(), 20);
        auto tokenizer = text::loadTokenizer(folder.path().toStdString());
        auto model = test::createTinyModel("gpt2", true, 27, tinyOptions("gpt2", tokenizer->vocabSize()));
        inspect::Inspector inspector(*model, tokenizer.get());
        inspect::InspectSettings settings;
        settings.objectives = {ObjectiveSettings{ObjectiveKind::Mle}};
        const std::string text = "the cat sat";
        auto plain = inspector.inspect(text, settings);  // GPT-2 BPE: no BOS under Auto
        QVERIFY(!plain.bosAdded);
        QCOMPARE(plain.inputIds, tokenizer->encode(text));
        QCOMPARE(plain.tokens.size(), plain.inputIds.size() - 1);
        for (const auto& token : plain.tokens)
            QCOMPARE(token.text, tokenizer->displayText(token.id));
        settings.bos = inspect::BosPolicy::Always;
        auto withBos = inspector.inspect(text, settings);
        QVERIFY(withBos.bosAdded);
        QCOMPARE(withBos.inputIds.front(), tokenizer->bosId());
        QCOMPARE(withBos.tokens.size(), plain.inputIds.size());  // one more predicted token: the first one
        QCOMPARE(withBos.tokens[0].id, plain.inputIds[0]);
    }

    void badInputIsRejected()
    {
        auto model = test::createTinyModel("gpt2", true, 26, tinyOptions("gpt2"));
        inspect::Inspector inspector(*model, nullptr);
        inspect::InspectSettings settings;
        QVERIFY_THROWS_EXCEPTION(Error, inspector.inspectIds({5}, settings));
        QVERIFY_THROWS_EXCEPTION(Error, inspector.inspectIds({5, kVocab}, settings));
        QVERIFY_THROWS_EXCEPTION(Error, inspector.inspect("text", settings));  // no tokenizer
        QVERIFY_THROWS_EXCEPTION(Error, inspector.nearestNeighbours(kVocab, 3));
        auto small = objective::CostEmbedding(torch::randn({kVocab - 1, 16}));
        QVERIFY_THROWS_EXCEPTION(Error, inspect::Inspector(*model, nullptr, &small));
    }
};

QTEST_GUILESS_MAIN(TestInspector)
#include "tst_inspector.moc"
