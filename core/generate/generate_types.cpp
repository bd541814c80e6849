#include "generate/generate_types.h"

#include <cmath>
#include <limits>

namespace emo::generate {

double crossPerplexity(const std::vector<ComparedSample>& samples)
{
    double nll = 0.0;
    size_t count = 0;
    for (const ComparedSample& s : samples) {
        for (double logprob : s.otherLogprobs)
            nll -= logprob;
        count += s.otherLogprobs.size();
    }
    return count ? std::exp(nll / double(count)) : std::numeric_limits<double>::quiet_NaN();
}

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
