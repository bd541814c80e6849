#pragma once
#include "inspect/inspect_types.h"
#include "objective/cost_embedding.h"

#include <cstdint>
#include <string>
#include <vector>

namespace emo::model { class LanguageModel; }
namespace emo::text { class Tokenizer; }

namespace emo::inspect {

// Per-token reports of a text under a model: CE, DEMD, p_gold, top-k candidates with their cost to the gold
// token, and the logit gradient of each objective (from core/objective, so it is the gradient training uses).
// One forward pass; no N×V cost matrix is built (DEMD through Êᵀq, costs of the top-k only).
class Inspector {
public:
    // `tokenizer` may be null (then only inspectIds works and texts are "<id>"). Without `cost`, the cost
    // embedding is made from the model's current LM head (what a fine-tuning run would freeze).
    Inspector(model::LanguageModel& model, const text::Tokenizer* tokenizer,
              const objective::CostEmbedding* cost = nullptr);

    // Throws emo::Error(BadInput) when the text gives fewer than two tokens or an objective is invalid.
    InspectReport inspect(const std::string& text, const InspectSettings& settings);
    InspectReport inspectIds(const std::vector<int64_t>& ids, const InspectSettings& settings);

    // The ids inspect() feeds the model.
    std::vector<int64_t> encode(const std::string& text, BosPolicy bos, bool* bosAdded = nullptr) const;

    // C(ids[i], ids[j]) with display labels.
    CostMatrixReport costMatrixFor(const std::vector<int64_t>& ids) const;
    // The `count` tokens of lowest cost to `id` (itself excluded), nearest first.
    std::vector<NeighbourReport> nearestNeighbours(int64_t id, int64_t count) const;

    std::string displayText(int64_t id) const;
    const objective::CostEmbedding& costEmbedding() const { return m_cost; }

private:
    model::LanguageModel& m_model;
    const text::Tokenizer* m_tokenizer;
    objective::CostEmbedding m_cost;
};

} // namespace emo::inspect
