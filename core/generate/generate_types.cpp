#include "generate/generate_types.h"

namespace emo::generate {

const char* toString(SamplingMode mode)
{
    switch (mode) {
    case SamplingMode::Ancestral: return "ancestral";
    case SamplingMode::Greedy: return "greedy";
    }
    return "ancestral";
}

bool parseSamplingMode(const std::string& text, SamplingMode* out)
{
    if (text == "ancestral") { *out = SamplingMode::Ancestral; return true; }
    if (text == "greedy") { *out = SamplingMode::Greedy; return true; }
    return false;
}

} // namespace emo::generate
