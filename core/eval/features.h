#pragma once
#include "util/progress.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace emo::model { class LanguageModel; }
namespace emo::text { class Tokenizer; }

namespace emo::eval {

// MAUVE's features: the final hidden state (after the final norm) at the last token of each text, as
// krishnap25/mauve featurizes with GPT-2. Texts are tokenized as prompts are (BOS first for sentencepiece)
// and cut to the model's positions (the first ones kept); batched right-padded, `batchSize` at a time.
// texts [N] → features [N,D] float32 on the CPU. An empty text is encoded as the start token.
torch::Tensor lastTokenFeatures(model::LanguageModel& model, const text::Tokenizer& tokenizer,
                                const std::vector<std::string>& texts, int64_t batchSize = 8,
                                const ProgressCallback& progress = {});

} // namespace emo::eval
