#include "eval/perplexity.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace emo::eval {

PerplexityResult computePerplexity(model::LanguageModel& model, const std::vector<std::vector<int64_t>>& sequences,
                                   int64_t batchSize, const ProgressCallback& progress)
{
    if (batchSize < 1)
        throw Error::badInput("perplexity: batch size must be positive, got " + std::to_string(batchSize));
    const auto& config = model.config();
    for (size_t i = 0; i < sequences.size(); ++i) {
        if (config.maxPositions > 0 && static_cast<int64_t>(sequences[i].size()) > config.maxPositions)
            throw Error::badInput("perplexity: sequence " + std::to_string(i) + " has " +
                                  std::to_string(sequences[i].size()) + " tokens, more than the model's " +
                                  std::to_string(config.maxPositions) + " positions");
        for (int64_t id : sequences[i])
            if (id < 0 || id >= config.vocabSize)
                throw Error::badInput("perplexity: sequence " + std::to_string(i) + " has token id " +
                                      std::to_string(id) + " outside the vocabulary");
    }
    torch::NoGradGuard noGrad;
    const torch::Device device = model.device();
    const int64_t n = static_cast<int64_t>(sequences.size());
    double totalNll = 0.0;
    int64_t predicted = 0;
    for (int64_t start = 0; start < n; start += batchSize) {
        if (progress && !progress({"perplexity", start, n}))
            throw Error::cancelled("perplexity: cancelled");
        const int64_t end = std::min(n, start + batchSize);
        int64_t length = 0;
        for (int64_t i = start; i < end; ++i)
            length = std::max<int64_t>(length, static_cast<int64_t>(sequences[i].size()));
        if (length < 2)
            continue;
        // ids [B,T] right-padded with 0; targets [B,T−1] with −1 where there is no prediction.
        auto ids = torch::zeros({end - start, length}, torch::kLong);
        auto targets = torch::full({end - start, length - 1}, -1, torch::kLong);
        for (int64_t i = start; i < end; ++i) {
            const auto& s = sequences[i];
            const int64_t len = static_cast<int64_t>(s.size());
            if (len == 0)
                continue;
            auto row = torch::tensor(s, torch::kLong);
            ids[i - start].narrow(0, 0, len).copy_(row);
            if (len >= 2)
                targets[i - start].narrow(0, 0, len - 1).copy_(row.narrow(0, 1, len - 1));
        }
        // logits [B,T,V] → nll [B,T−1] = logsumexp − logit of the next token (no [B,T,V] log-softmax copy)
        const auto logits = model.forward(ids.to(device)).narrow(1, 0, length - 1);
        const auto valid = targets.ge(0).to(device);
        const auto gold = logits.gather(-1, targets.clamp_min(0).to(device).unsqueeze(-1)).squeeze(-1);
        const auto nll = (torch::logsumexp(logits, -1) - gold).to(torch::kFloat64);
        totalNll += nll.masked_select(valid).sum().item<double>();
        predicted += valid.sum().item<int64_t>();
    }
    if (progress && !progress({"perplexity", n, n}))
        throw Error::cancelled("perplexity: cancelled");
    PerplexityResult result;
    result.predictedTokens = predicted;
    if (predicted == 0)
        throw Error::badInput("perplexity: no sequence has two or more tokens, nothing to predict");
    result.meanNll = totalNll / static_cast<double>(predicted);
    result.perplexity = std::exp(result.meanNll);
    return result;
}

PerplexityResult computePerplexity(model::LanguageModel& model, const torch::Tensor& blocks, int64_t batchSize,
                                   const ProgressCallback& progress)
{
    if (blocks.dim() != 2 || blocks.scalar_type() != torch::kLong)
        throw Error::badInput("perplexity: blocks must be [N,T] int64");
    const auto cpu = blocks.to(torch::kCPU).contiguous();
    std::vector<std::vector<int64_t>> sequences;
    sequences.reserve(static_cast<size_t>(cpu.size(0)));
    const int64_t* data = cpu.data_ptr<int64_t>();
    for (int64_t i = 0; i < cpu.size(0); ++i)
        sequences.emplace_back(data + i * cpu.size(1), data + (i + 1) * cpu.size(1));
    return computePerplexity(model, sequences, batchSize, progress);
}

} // namespace emo::eval
