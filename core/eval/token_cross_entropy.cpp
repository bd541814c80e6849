#include "eval/token_cross_entropy.h"

#include "model/language_model.h"
#include "util/error.h"

#include <algorithm>

namespace emo::eval {

// blocks [N,T] → Σ over positions of −Σ_v p log q and −Σ_v q log p, divided by N(T−1)
TokenCrossEntropies tokenCrossEntropies(model::LanguageModel& model, model::LanguageModel& target,
                                        const torch::Tensor& blocks, int64_t batchSize, int64_t maxBlocks)
{
    if (model.config().vocabSize != target.config().vocabSize)
        throw Error::badInput("token cross-entropy: the model has " + std::to_string(model.config().vocabSize) +
                              " vocabulary rows and the target " + std::to_string(target.config().vocabSize));
    if (blocks.dim() != 2 || blocks.size(1) < 2)
        throw Error::badInput("token cross-entropy: blocks must be [N,T] with T ≥ 2");
    torch::NoGradGuard noGrad;
    const int64_t n = std::min<int64_t>(blocks.size(0), maxBlocks);
    double forward = 0.0, reverse = 0.0;
    int64_t positions = 0;
    for (int64_t begin = 0; begin < n; begin += std::max<int64_t>(1, batchSize)) {
        const auto batch = blocks.slice(0, begin, std::min(n, begin + batchSize)).slice(1, 0, -1);
        // Log-softmax in double: the sums run over the whole vocabulary, where float rounding adds up.
        const auto logQ = torch::log_softmax(model.forward(batch.to(model.device())).to(torch::kCPU, torch::kDouble), -1);
        const auto logP = torch::log_softmax(target.forward(batch.to(target.device())).to(torch::kCPU, torch::kDouble), -1);
        forward -= (logP.exp() * logQ).sum().item<double>();   // [B,T−1,V] → scalar
        reverse -= (logQ.exp() * logP).sum().item<double>();
        positions += batch.size(0) * batch.size(1);
    }
    TokenCrossEntropies out;
    out.positions = positions;
    if (positions > 0) {
        out.forward = forward / static_cast<double>(positions);
        out.reverse = reverse / static_cast<double>(positions);
    }
    return out;
}

} // namespace emo::eval
