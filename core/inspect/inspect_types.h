#pragma once
#include "objective/objective_types.h"
#include "transport/transport_types.h"

#include <cstdint>
#include <string>
#include <vector>

namespace emo::inspect {

// Plain types of `emo inspect` reports (no torch: the GUI includes this). Position t predicts token t+1;
// logs are natural. Key names of the JSON form (inspect_json.h) follow DESIGN.md's CLI contract.

struct CandidateReport {      // one of the model's most probable tokens at a position
    int64_t id = 0;
    std::string text;         // display text
    double p = 0.0;           // q_id
    double cost = 0.0;        // C(id, gold) = 1 − ê_id·ê_gold
};

struct GradientEntry {
    int64_t id = 0;
    double g = 0.0;           // ∂(token-wise objective)/∂logit_id
};

struct ObjectiveGradientReport {
    std::string objective;    // objectiveKey() of the settings: "mle", "emo", "emo-pure", "tailr", ...
    double gold = 0.0;        // the gradient's entry at the gold token
    double norm = 0.0;        // L2 norm over the vocabulary
    std::vector<GradientEntry> topk;  // largest |g| first
};

struct TokenReport {
    int64_t position = 0;     // index of the predicted token in the input ids (≥ 1)
    int64_t id = 0;           // the gold token
    std::string text;         // display text of the gold token
    double ce = 0.0;          // −log q_gold
    double demd = 0.0;        // Σ_j q_j C(j, gold)
    double pGold = 0.0;       // q_gold
    std::vector<CandidateReport> topk;  // most probable first
    std::vector<ObjectiveGradientReport> grad;  // in the order of InspectSettings::objectives
};

struct InspectSummary {
    double meanCe = 0.0;
    double meanDemd = 0.0;
    double perplexity = 0.0;  // exp(meanCe)
    int64_t tokens = 0;       // predicted tokens
};

struct InspectReport {
    std::vector<int64_t> inputIds;  // what the model saw (BOS included when added)
    bool bosAdded = false;
    std::vector<TokenReport> tokens;
    InspectSummary summary;
};

// Auto: the family's convention (text/sequence_convention.h): BOS first for LLaMA and OPT, not for GPT-2.
enum class BosPolicy { Auto, Always, Never };

struct InspectSettings {
    std::vector<objective::ObjectiveSettings> objectives = {
        {objective::ObjectiveKind::Mle}, {objective::ObjectiveKind::Emo},
        {objective::ObjectiveKind::Tailr}, {objective::ObjectiveKind::Mixce}};
    int64_t topK = 10;        // candidates per position
    int64_t gradTopK = -1;    // gradient entries per objective; < 0: same as topK
    BosPolicy bos = BosPolicy::Auto;
};

// Which tokens a cost matrix shows (the Cost matrix view's source bar; emo inspect could take the same).
enum class TokenSetSource {
    TopKAtPosition,     // the gold token at a position of the last inspected text and its top candidates
    WordList,           // the first token of each typed word (duplicates once)
    NearestNeighbours,  // a word's first token and the tokens of lowest cost to it
};
struct TokenSetSettings {
    TokenSetSource source = TokenSetSource::TopKAtPosition;
    std::string text;   // the position (a whole number), the words (separated by commas or spaces), or the word
    int64_t count = 8;  // tokens beside the first (at least 1; the top-k set holds at least 2)
};

// For the GUI's cost heatmap: C(ids[i], ids[j]) row-major.
struct CostMatrixReport {
    std::vector<int64_t> ids;
    std::vector<std::string> labels;  // display texts
    std::vector<double> cost;         // size ids.size()², cost[i * n + j]
    double at(size_t i, size_t j) const { return cost[i * ids.size() + j]; }
};

// For the GUI's transport view: two distributions over one token set, the exact optimal plan between
// them and the paper's DEMD (the independent coupling's cost, an upper bound that is exact when the
// target is one-hot). Costs are C = 1 − cos of the frozen embedding, as in training.
struct TransportReport {
    CostMatrixReport costs;          // the support and C(i, j)
    std::vector<double> source;      // the model's q renormalised over the support
    std::vector<double> target;      // the data (one-hot gold) or a second distribution
    std::string sourceLabel;         // e.g. "model q at position 7"
    std::string targetLabel;         // e.g. "data: ' the'"
    transport::TransportPlan plan;   // exact EMD: plan.totalCost
    double demd = 0.0;               // Σ_ij source_i target_j C(i, j)
};

struct NeighbourReport {
    int64_t id = 0;
    std::string text;
    double cost = 0.0;        // C(id, query)
};

// The key of an objective in reports: its kind, with the EMO mode appended when not the paper's.
std::string objectiveKey(const objective::ObjectiveSettings& settings);

} // namespace emo::inspect
