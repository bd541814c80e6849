#include "eval/cross_entropy.h"

#include "eval/sequence_scoring.h"
#include "generate/generate_types.h"
#include "text/sequence_convention.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>

namespace emo::eval {

PerplexityResult forwardCrossEntropy(model::LanguageModel& model, const text::Tokenizer& tokenizer,
                                     const std::vector<ContinuationExample>& examples, int64_t batchSize,
                                     const ProgressCallback& progress)
{
    std::vector<ScoredSequence> sequences;
    sequences.reserve(examples.size());
    for (const auto& example : examples)
        sequences.push_back(textSequence(tokenizer, example.prefix, " " + example.reference));
    return scoreSequences(model, sequences, batchSize, progress).total();
}

SequenceScores reverseCrossEntropyScores(model::LanguageModel& reference, const text::Tokenizer& referenceTokenizer,
                                         const text::Tokenizer& samplingTokenizer,
                                         const std::vector<generate::Sample>& samples, int64_t batchSize,
                                         const ProgressCallback& progress)
{
    const bool sameIds = sameVocabulary(referenceTokenizer, samplingTokenizer);
    std::vector<ScoredSequence> sequences;
    sequences.reserve(samples.size());
    for (const auto& sample : samples)
        sequences.push_back(sameIds ? sampleSequence(samplingTokenizer, sample)
                                    : textSequence(referenceTokenizer, sample.prompt, sample.text));
    return scoreSequences(reference, sequences, batchSize, progress);
}

PerplexityResult reverseCrossEntropy(model::LanguageModel& reference, const text::Tokenizer& referenceTokenizer,
                                     const text::Tokenizer& samplingTokenizer,
                                     const std::vector<generate::Sample>& samples, int64_t batchSize,
                                     const ProgressCallback& progress)
{
    return reverseCrossEntropyScores(reference, referenceTokenizer, samplingTokenizer, samples, batchSize, progress)
        .total();
}

PerplexityResult oraclePerplexity(model::LanguageModel& oracle, const text::Tokenizer& oracleTokenizer,
                                  const std::vector<std::string>& prefixes, const std::vector<std::string>& continuations,
                                  int64_t batchSize, const ProgressCallback& progress)
{
    if (prefixes.size() != continuations.size())
        throw Error::badInput("oracle perplexity: " + std::to_string(prefixes.size()) + " prefixes but " +
                              std::to_string(continuations.size()) + " continuations");
    std::vector<ScoredSequence> sequences;
    sequences.reserve(prefixes.size());
    for (size_t i = 0; i < prefixes.size(); ++i)
        sequences.push_back(textSequence(oracleTokenizer, prefixes[i], continuations[i]));
    return scoreSequences(oracle, sequences, batchSize, progress).total();
}

} // namespace emo::eval

namespace emo::eval {

// texts [N] → exp(mean over batches of officialBatch texts of Σnll/Σtokens)
PerplexityResult officialOraclePerplexity(model::LanguageModel& oracle, const text::Tokenizer& oracleTokenizer,
                                          const std::vector<std::string>& texts, SequenceScores* perText,
                                          int64_t officialBatch, int64_t batchSize, const ProgressCallback& progress)
{
    if (officialBatch < 1)
        throw Error::badInput("oracle perplexity: batch of " + std::to_string(officialBatch) + " texts");
    std::vector<ScoredSequence> sequences;
    sequences.reserve(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
        // A text as the oracle's family encodes it (BOS first where it has one); every id after the first scored.
        ScoredSequence s{text::encodePrompt(oracleTokenizer, texts[i]), 1};
        if (s.ids.size() < 2)
            throw Error::badInput("oracle perplexity: text " + std::to_string(i + 1) + " has no token to score");
        sequences.push_back(std::move(s));
    }
    if (sequences.empty())
        throw Error::badInput("oracle perplexity: no texts");
    const SequenceScores scores = scoreSequences(oracle, sequences, batchSize, progress);
    double batchMeans = 0.0;
    int64_t batches = 0, tokens = 0;
    for (size_t begin = 0; begin < scores.nll.size(); begin += static_cast<size_t>(officialBatch)) {
        double nll = 0.0;
        int64_t count = 0;
        for (size_t i = begin; i < std::min(scores.nll.size(), begin + static_cast<size_t>(officialBatch)); ++i) {
            nll += scores.nll[i];
            count += scores.tokens[i];
        }
        batchMeans += nll / static_cast<double>(count);
        tokens += count;
        ++batches;
    }
    PerplexityResult result;
    result.meanNll = batchMeans / static_cast<double>(batches);
    result.perplexity = std::exp(result.meanNll);
    result.predictedTokens = tokens;
    if (perText)
        *perText = scores;
    return result;
}

} // namespace emo::eval
