#include "bench_objective.h"

namespace emo::bench {

bool parseBenchObjective(const std::string& text, BenchObjective* out)
{
    const std::string suffix = "+logits";
    const size_t plus = text.find('+');
    if (plus != std::string::npos && text.substr(plus) != suffix)
        return false;
    BenchObjective parsed;
    parsed.viaLogits = plus != std::string::npos;
    if (!objective::parseObjectiveKind(text.substr(0, plus), &parsed.kind))
        return false;
    *out = parsed;
    return true;
}

} // namespace emo::bench
