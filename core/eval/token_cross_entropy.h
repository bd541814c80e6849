#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace emo::model { class LanguageModel; }

namespace emo::eval {

// Token-level cross-entropies between a model Q and a target P over the same vocabulary (the EMO paper's
// appendix A.2.1 / Figure 2, with P a surrogate of the data distribution): at every position t of the
// blocks, given the same context x_<t,
//   forward = −Σ_v P(v|x_<t) log Q(v|x_<t)   (recall: Q must cover what P puts mass on)
//   reverse = −Σ_v Q(v|x_<t) log P(v|x_<t)   (precision: Q must put mass only where P does)
// averaged over every position that predicts a next token (T−1 per block). Both in nats.
struct TokenCrossEntropies {
    double forward = 0.0;
    double reverse = 0.0;
    int64_t positions = 0;
};

// blocks [N,T] int64 (T ≤ both models' positions), the two models' vocabularies equal (else emo::Error
// BadInput) → mean forward and reverse CE; at most maxBlocks blocks are used.
TokenCrossEntropies tokenCrossEntropies(model::LanguageModel& model, model::LanguageModel& target,
                                        const torch::Tensor& blocks, int64_t batchSize = 8, int64_t maxBlocks = 64);

} // namespace emo::eval
