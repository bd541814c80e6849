#pragma once
#include "objective/objective_types.h"

#include <string>

namespace emo::bench {

// An objective as `--objectives` names it: "mle", "emo", "tailr", "mixce", or any of them with "+logits": the
// objective on the materialised [N,V] logits (the engine's path before the head was fused), for before/after.
struct BenchObjective {
    objective::ObjectiveKind kind = objective::ObjectiveKind::Mle;
    bool viaLogits = false;
};

// False for any other text.
bool parseBenchObjective(const std::string& text, BenchObjective* out);

} // namespace emo::bench
