#include "inspect/inspector.h"

#include "model/language_model.h"
#include "objective/objective.h"
#include "text/sequence_convention.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>

namespace emo::inspect {

namespace {

template <typename T>
std::vector<T> toVector(const torch::Tensor& tensor)
{
    auto cpu = tensor.contiguous().to(torch::kCPU);
    return std::vector<T>(cpu.data_ptr<T>(), cpu.data_ptr<T>() + cpu.numel());
}

} // namespace

std::string objectiveKey(const objective::ObjectiveSettings& settings)
{
    std::string key = objective::toString(settings.kind);
    if (settings.kind == objective::ObjectiveKind::Emo && settings.emoMode != objective::EmoMode::Paper)
        key += std::string("-") + objective::toString(settings.emoMode);
    return key;
}

Inspector::Inspector(model::LanguageModel& model, const text::Tokenizer* tokenizer, const objective::CostEmbedding* cost)
    : m_model(model), m_tokenizer(tokenizer)
{
    if (cost && cost->defined()) {
        if (cost->vocabSize() != model.config().vocabSize)
            throw Error::badInput("inspect: the cost embedding has " + std::to_string(cost->vocabSize()) +
                                  " rows but the model's vocabulary has " + std::to_string(model.config().vocabSize));
        m_cost = *cost;
    } else {
        torch::NoGradGuard noGrad;
        m_cost = objective::CostEmbedding(model.lmHeadWeight().detach());
    }
}

std::string Inspector::displayText(int64_t id) const
{
    if (m_tokenizer && id >= 0 && id < m_tokenizer->vocabSize())
        return m_tokenizer->displayText(id);
    return "<" + std::to_string(id) + ">";
}

std::vector<int64_t> Inspector::encode(const std::string& text, BosPolicy bos, bool* bosAdded) const
{
    if (!m_tokenizer)
        throw Error::badInput("inspect: a text needs a tokenizer");
    auto ids = m_tokenizer->encode(text);
    const int64_t bosId = m_tokenizer->bosId();
    // Auto: the family's own convention (text/sequence_convention.h), as the model saw text in training.
    const bool add = bosId >= 0 && (bos == BosPolicy::Always ||
                                    (bos == BosPolicy::Auto && text::sequenceConvention(*m_tokenizer).documentStart >= 0));
    if (add)
        ids.insert(ids.begin(), bosId);
    if (bosAdded)
        *bosAdded = add;
    return ids;
}

InspectReport Inspector::inspect(const std::string& text, const InspectSettings& settings)
{
    bool bosAdded = false;
    auto ids = encode(text, settings.bos, &bosAdded);
    auto report = inspectIds(ids, settings);
    report.bosAdded = bosAdded;
    return report;
}

InspectReport Inspector::inspectIds(const std::vector<int64_t>& ids, const InspectSettings& settings)
{
    const int64_t vocab = m_model.config().vocabSize;
    if (ids.size() < 2)
        throw Error::badInput("inspect: the text has " + std::to_string(ids.size()) +
                              " token(s); at least two are needed (position t predicts token t+1)");
    for (int64_t id : ids)
        if (id < 0 || id >= vocab)
            throw Error::badInput("inspect: token id " + std::to_string(id) + " is outside the model's vocabulary of " +
                                  std::to_string(vocab));
    if (settings.topK < 0)
        throw Error::badInput("inspect: top-k must be ≥ 0");

    const torch::Device device = m_model.device();
    const int64_t count = static_cast<int64_t>(ids.size()) - 1;  // predicted tokens
    const int64_t topK = std::min(settings.topK, vocab);
    const int64_t gradTopK = std::min(settings.gradTopK < 0 ? settings.topK : settings.gradTopK, vocab);

    torch::Tensor logits;  // [N,V] fp32: rows 0..N-1 predict ids 1..N
    {
        torch::NoGradGuard noGrad;
        auto input = torch::tensor(ids, torch::kLong).view({1, -1}).to(device);
        logits = m_model.forward(input).squeeze(0).narrow(0, 0, count).to(torch::kFloat32);
    }
    auto labels = torch::tensor(std::vector<int64_t>(ids.begin() + 1, ids.end()), torch::kLong).to(device);  // [N]

    InspectReport report;
    report.inputIds = ids;
    report.tokens.resize(count);
    {
        torch::NoGradGuard noGrad;
        const auto& embedding = m_cost.normalized().to(device);  // Ê [V,D]
        auto logProbs = torch::log_softmax(logits, 1);            // [N,V]
        auto probs = logProbs.exp();
        auto gold = labels.unsqueeze(1);                          // [N,1]
        auto pGold = probs.gather(1, gold).squeeze(1);            // [N]
        auto goldRows = embedding.index_select(0, labels);        // ê_y [N,D]
        // CE and DEMD per token as training computes them (one home for DEMD: core/objective).
        objective::ObjectiveSettings mle;
        mle.kind = objective::ObjectiveKind::Mle;
        const auto scored = objective::computeObjective(mle, logits, labels, &m_cost);
        const auto& ce = scored.ce;      // [N] −log q_y
        const auto& demd = scored.demd;  // [N] Σ_j q_j C(j,y) = 1 − ê_y·(Êᵀq)
        auto [topP, topIds] = probs.topk(topK, 1);                // [N,K] most probable first
        auto candidateRows = embedding.index_select(0, topIds.flatten()).view({count, topK, -1});  // [N,K,D]
        auto topCost = 1.0 - (candidateRows * goldRows.unsqueeze(1)).sum(2);                      // [N,K]

        const auto ceV = toVector<double>(ce.to(torch::kDouble));
        const auto pGoldV = toVector<double>(pGold.to(torch::kDouble));
        const auto demdV = toVector<double>(demd.to(torch::kDouble));
        const auto topPV = toVector<double>(topP.to(torch::kDouble));
        const auto topIdsV = toVector<int64_t>(topIds);
        const auto topCostV = toVector<double>(topCost.to(torch::kDouble));
        double ceSum = 0.0, demdSum = 0.0;
        for (int64_t t = 0; t < count; ++t) {
            auto& token = report.tokens[t];
            token.position = t + 1;
            token.id = ids[t + 1];
            token.text = displayText(token.id);
            token.ce = ceV[t];
            token.demd = demdV[t];
            token.pGold = pGoldV[t];
            for (int64_t k = 0; k < topK; ++k) {
                const int64_t id = topIdsV[t * topK + k];
                token.topk.push_back({id, displayText(id), topPV[t * topK + k], topCostV[t * topK + k]});
            }
            ceSum += token.ce;
            demdSum += token.demd;
        }
        report.summary.tokens = count;
        report.summary.meanCe = ceSum / count;
        report.summary.meanDemd = demdSum / count;
        report.summary.perplexity = std::exp(report.summary.meanCe);
    }

    // Each objective's token-wise gradient ∂perToken_t/∂logits_t, from the objective area (the same
    // stop-gradients as training), one row at a time so that no N×V gradient per objective is kept.
    torch::NoGradGuard noGrad;
    for (const auto& objectiveSettings : settings.objectives) {
        const std::string key = objectiveKey(objectiveSettings);
        for (int64_t t = 0; t < count; ++t) {
            const int64_t gold = ids[t + 1];
            auto grad = objective::logitGradient(objectiveSettings, logits[t], gold, &m_cost).to(torch::kDouble);  // [V]
            auto topIds = std::get<1>(grad.abs().topk(gradTopK, 0));  // largest |g| first
            auto summary = torch::cat({grad[gold].view({1}), grad.norm().view({1}), grad.index_select(0, topIds)});
            const auto values = toVector<double>(summary);  // gold, norm, then the top entries
            const auto idsV = toVector<int64_t>(topIds);
            ObjectiveGradientReport entry;
            entry.objective = key;
            entry.gold = values[0];
            entry.norm = values[1];
            for (int64_t k = 0; k < gradTopK; ++k)
                entry.topk.push_back({idsV[k], values[2 + k]});
            report.tokens[t].grad.push_back(std::move(entry));
        }
    }
    return report;
}

CostMatrixReport Inspector::costMatrixFor(const std::vector<int64_t>& ids) const
{
    const int64_t vocab = m_cost.vocabSize();
    for (int64_t id : ids)
        if (id < 0 || id >= vocab)
            throw Error::badInput("cost matrix: token id " + std::to_string(id) + " is outside the vocabulary of " +
                                  std::to_string(vocab));
    CostMatrixReport report;
    report.ids = ids;
    for (int64_t id : ids)
        report.labels.push_back(displayText(id));
    if (ids.empty())
        return report;
    torch::NoGradGuard noGrad;
    auto index = torch::tensor(ids, torch::kLong).to(m_cost.normalized().device());
    report.cost = toVector<double>(m_cost.costMatrix(index).to(torch::kDouble));  // [K,K] row-major
    return report;
}

std::vector<NeighbourReport> Inspector::nearestNeighbours(int64_t id, int64_t count) const
{
    const int64_t vocab = m_cost.vocabSize();
    if (id < 0 || id >= vocab)
        throw Error::badInput("neighbours: token id " + std::to_string(id) + " is outside the vocabulary of " +
                              std::to_string(vocab));
    std::vector<NeighbourReport> result;
    if (count <= 0)
        return result;
    torch::NoGradGuard noGrad;
    auto row = m_cost.costRow(id).to(torch::kDouble);  // [V]
    const int64_t take = std::min(count + 1, vocab);
    auto [costs, order] = row.topk(take, 0, /*largest=*/false, /*sorted=*/true);
    const auto costV = toVector<double>(costs);
    const auto orderV = toVector<int64_t>(order);
    for (int64_t k = 0; k < take && static_cast<int64_t>(result.size()) < count; ++k)
        if (orderV[k] != id)
            result.push_back({orderV[k], displayText(orderV[k]), costV[k]});
    return result;
}

} // namespace emo::inspect
