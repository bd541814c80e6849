#include "eval/sequence_scoring.h"

#include "text/sequence_convention.h"

#include "generate/generate_types.h"
#include "model/language_model.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace emo::eval {

PerplexityResult SequenceScores::total() const
{
    double sum = 0.0;
    int64_t count = 0;
    for (size_t i = 0; i < nll.size(); ++i) {
        sum += nll[i];
        count += tokens[i];
    }
    if (count == 0)
        throw Error::badInput("scoring: no token to score (every continuation is empty)");
    PerplexityResult result;
    result.meanNll = sum / static_cast<double>(count);
    result.perplexity = std::exp(result.meanNll);
    result.predictedTokens = count;
    return result;
}

SequenceScores scoreSequences(model::LanguageModel& model, const std::vector<ScoredSequence>& sequences,
                              int64_t batchSize, const ProgressCallback& progress)
{
    if (batchSize < 1)
        throw Error::badInput("scoring: batch size must be positive, got " + std::to_string(batchSize));
    const auto& config = model.config();
    for (size_t i = 0; i < sequences.size(); ++i) {
        const auto& s = sequences[i];
        if (s.from < 1 || s.from > s.ids.size())
            throw Error::badInput("scoring: sequence " + std::to_string(i) + " has its first scored token at " +
                                  std::to_string(s.from) + ", outside 1.." + std::to_string(s.ids.size()));
        if (config.maxPositions > 0 && static_cast<int64_t>(s.ids.size()) > config.maxPositions)
            throw Error::badInput("scoring: sequence " + std::to_string(i) + " has " + std::to_string(s.ids.size()) +
                                  " tokens, more than the model's " + std::to_string(config.maxPositions) + " positions");
        for (int64_t id : s.ids)
            if (id < 0 || id >= config.vocabSize)
                throw Error::badInput("scoring: sequence " + std::to_string(i) + " has token id " + std::to_string(id) +
                                      " outside the model's vocabulary of " + std::to_string(config.vocabSize));
    }
    torch::NoGradGuard noGrad;
    const torch::Device device = model.device();
    const int64_t n = static_cast<int64_t>(sequences.size());
    SequenceScores scores;
    scores.nll.assign(sequences.size(), 0.0);
    scores.tokens.assign(sequences.size(), 0);
    for (int64_t start = 0; start < n; start += batchSize) {
        if (progress && !progress({"scoring", start, n}))
            throw Error::cancelled("scoring: cancelled");
        const int64_t end = std::min(n, start + batchSize);
        int64_t length = 0;
        for (int64_t i = start; i < end; ++i)
            length = std::max<int64_t>(length, static_cast<int64_t>(sequences[i].ids.size()));
        if (length < 2)
            continue;
        // ids [B,T] right-padded with 0; targets [B,T−1] = next token where scored, −1 elsewhere.
        auto ids = torch::zeros({end - start, length}, torch::kLong);
        auto targets = torch::full({end - start, length - 1}, -1, torch::kLong);
        for (int64_t i = start; i < end; ++i) {
            const auto& s = sequences[i];
            const int64_t len = static_cast<int64_t>(s.ids.size());
            const int64_t from = static_cast<int64_t>(s.from);
            auto row = torch::tensor(s.ids, torch::kLong);
            ids[i - start].narrow(0, 0, len).copy_(row);
            if (len > from)  // position t − 1 predicts token t, for t in from..len−1
                targets[i - start].narrow(0, from - 1, len - from).copy_(row.narrow(0, from, len - from));
        }
        // logits [B,T−1,V] → nll [B,T−1] = logsumexp − logit of the target, summed per row where scored
        const auto logits = model.forward(ids.to(device)).narrow(1, 0, length - 1);
        const auto valid = targets.ge(0).to(device);
        const auto gold = logits.gather(-1, targets.clamp_min(0).to(device).unsqueeze(-1)).squeeze(-1);
        const auto nll = (torch::logsumexp(logits, -1) - gold).to(torch::kFloat64) * valid.to(torch::kFloat64);
        const auto rowNll = nll.sum(1).cpu();
        const auto rowCount = valid.sum(1).cpu();
        for (int64_t i = start; i < end; ++i) {
            scores.nll[i] = rowNll[i - start].item<double>();
            scores.tokens[i] = rowCount[i - start].item<int64_t>();
        }
    }
    if (progress && !progress({"scoring", n, n}))
        throw Error::cancelled("scoring: cancelled");
    return scores;
}


ScoredSequence textSequence(const text::Tokenizer& tokenizer, const std::string& context, const std::string& continuation)
{
    ScoredSequence s;
    s.ids = text::encodePrompt(tokenizer, context);
    s.from = s.ids.size();
    const auto more = tokenizer.encode(continuation);
    s.ids.insert(s.ids.end(), more.begin(), more.end());
    return s;
}

ScoredSequence sampleSequence(const text::Tokenizer& samplingTokenizer, const generate::Sample& sample)
{
    ScoredSequence s;
    s.ids = text::encodePrompt(samplingTokenizer, sample.prompt);
    s.from = s.ids.size();
    s.ids.insert(s.ids.end(), sample.tokenIds.begin(), sample.tokenIds.end());
    return s;
}

bool sameVocabulary(const text::Tokenizer& a, const text::Tokenizer& b)
{
    if (&a == &b)
        return true;
    if (a.kind() != b.kind() || a.vocabSize() != b.vocabSize() || a.eosId() != b.eosId() || a.bosId() != b.bosId())
        return false;
    for (int64_t id = 0; id < a.vocabSize(); ++id)
        if (a.piece(id) != b.piece(id))
            return false;
    return true;
}

} // namespace emo::eval
