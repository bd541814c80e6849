#include "eval/perplexity.h"

#include "eval/sequence_scoring.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace emo::eval {

PerplexityResult computePerplexity(model::LanguageModel& model, const std::vector<std::vector<int64_t>>& sequences,
                                   int64_t batchSize, const ProgressCallback& progress, SequenceScores* perSequence)
{
    // Perplexity is sequence scoring with only the first token as context.
    std::vector<ScoredSequence> scored;
    scored.reserve(sequences.size());
    for (const auto& ids : sequences)
        if (!ids.empty())
            scored.push_back({ids, 1});
    SequenceScores scores = scoreSequences(model, scored, batchSize, progress);
    const PerplexityResult total = scores.total();
    if (perSequence)
        *perSequence = std::move(scores);
    return total;
}

PerplexityResult computePerplexity(model::LanguageModel& model, const torch::Tensor& blocks, int64_t batchSize,
                                   const ProgressCallback& progress, SequenceScores* perSequence)
{
    if (blocks.dim() != 2 || blocks.scalar_type() != torch::kLong)
        throw Error::badInput("perplexity: blocks must be [N,T] int64");
    const auto cpu = blocks.to(torch::kCPU).contiguous();
    std::vector<std::vector<int64_t>> sequences;
    sequences.reserve(static_cast<size_t>(cpu.size(0)));
    const int64_t* data = cpu.data_ptr<int64_t>();
    for (int64_t i = 0; i < cpu.size(0); ++i)
        sequences.emplace_back(data + i * cpu.size(1), data + (i + 1) * cpu.size(1));
    return computePerplexity(model, sequences, batchSize, progress, perSequence);
}

} // namespace emo::eval
