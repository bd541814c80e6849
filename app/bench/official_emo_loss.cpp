#include "official_emo_loss.h"

namespace emo::bench {

torch::Tensor officialEmoLoss(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& embedding)
{
    namespace F = torch::nn::functional;
    const int64_t vocab = logits.size(-1);
    auto mask = labels.ne(-100);
    auto safeLabels = labels.masked_fill(~mask, 0);
    auto onehot = F::one_hot(safeLabels, vocab).to(logits.dtype());              // [N,V] from an int64 one-hot
    auto normalized = embedding / embedding.norm(2, -1, true);                     // [V,D] every call
    auto pRepr = torch::matmul(onehot, normalized);                                // GEMM 1
    auto q = torch::log_softmax(logits, -1).exp();                                 // [N,V]
    auto goldMass = (q * onehot).detach();
    auto qRepr = torch::matmul(q - goldMass, normalized);                          // GEMM 2 (+ GEMM 3 in backward)
    auto demd = 1.0 - (qRepr * pRepr).sum(-1);                                     // [N]
    auto ce = F::cross_entropy(logits, safeLabels, F::CrossEntropyFuncOptions().reduction(torch::kNone));
    auto perToken = 0.5 * (ce + (ce / (demd + 1e-10)).detach() * demd);
    auto m = mask.to(logits.dtype());
    return (perToken * m).sum() / m.sum();
}

} // namespace emo::bench
