#include "eval/cross_entropy.h"

#include "eval/sequence_scoring.h"
#include "generate/generate_types.h"
#include "text/tokenizer.h"
#include "util/error.h"

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

PerplexityResult reverseCrossEntropy(model::LanguageModel& reference, const text::Tokenizer& referenceTokenizer,
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
    return scoreSequences(reference, sequences, batchSize, progress).total();
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
