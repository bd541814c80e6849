#pragma once
#include "inspect/inspect_types.h"

#include <nlohmann/json.hpp>

namespace emo::inspect {

// `emo inspect --json`, exactly DESIGN.md's keys:
// {"tokens":[{"id","text","ce","demd","p_gold","topk":[{"id","text","p","cost"}],
//   "grad":{"<objective>":{"gold","norm","topk":[{"id","g"}]}}}],
//  "summary":{"mean_ce","mean_demd","perplexity","tokens"}}
nlohmann::json toJson(const InspectReport& report);

// {"ids":[...],"labels":[...],"cost":[[...],...]} for the cost heatmap.
nlohmann::json toJson(const CostMatrixReport& report);

} // namespace emo::inspect
