#include "inspect/inspect_json.h"

namespace emo::inspect {

nlohmann::json toJson(const InspectReport& report)
{
    nlohmann::json tokens = nlohmann::json::array();
    for (const auto& token : report.tokens) {
        nlohmann::json topk = nlohmann::json::array();
        for (const auto& c : token.topk)
            topk.push_back({{"id", c.id}, {"text", c.text}, {"p", c.p}, {"cost", c.cost}});
        nlohmann::json grad = nlohmann::json::object();
        for (const auto& g : token.grad) {
            nlohmann::json entries = nlohmann::json::array();
            for (const auto& e : g.topk)
                entries.push_back({{"id", e.id}, {"g", e.g}});
            grad[g.objective] = {{"gold", g.gold}, {"norm", g.norm}, {"topk", std::move(entries)}};
        }
        tokens.push_back({{"id", token.id}, {"text", token.text}, {"ce", token.ce}, {"demd", token.demd},
                          {"p_gold", token.pGold}, {"topk", std::move(topk)}, {"grad", std::move(grad)}});
    }
    nlohmann::json summary = {{"mean_ce", report.summary.meanCe}, {"mean_demd", report.summary.meanDemd},
                              {"perplexity", report.summary.perplexity}, {"tokens", report.summary.tokens}};
    return {{"tokens", std::move(tokens)}, {"summary", std::move(summary)}};
}

nlohmann::json toJson(const CostMatrixReport& report)
{
    nlohmann::json rows = nlohmann::json::array();
    const size_t n = report.ids.size();
    for (size_t i = 0; i < n; ++i) {
        nlohmann::json row = nlohmann::json::array();
        for (size_t j = 0; j < n; ++j)
            row.push_back(report.at(i, j));
        rows.push_back(std::move(row));
    }
    return {{"ids", report.ids}, {"labels", report.labels}, {"cost", std::move(rows)}};
}

} // namespace emo::inspect
