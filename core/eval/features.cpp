#include "eval/features.h"

#include "eval/sequence_scoring.h"
#include "model/language_model.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <algorithm>

namespace emo::eval {

torch::Tensor lastTokenFeatures(model::LanguageModel& model, const text::Tokenizer& tokenizer,
                                const std::vector<std::string>& texts, int64_t batchSize, const ProgressCallback& progress)
{
    if (batchSize < 1)
        throw Error::badInput("features: batch size must be positive, got " + std::to_string(batchSize));
    const int64_t positions = model.config().maxPositions;
    std::vector<std::vector<int64_t>> ids;
    ids.reserve(texts.size());
    for (const auto& text : texts) {
        auto row = textSequence(tokenizer, text, "").ids;  // the prompt ids of the text
        if (positions > 0 && static_cast<int64_t>(row.size()) > positions)
            row.resize(static_cast<size_t>(positions));
        ids.push_back(std::move(row));
    }
    torch::NoGradGuard noGrad;
    const int64_t n = static_cast<int64_t>(ids.size());
    const int64_t d = model.config().hiddenSize;
    auto features = torch::zeros({n, d}, torch::kFloat32);
    for (int64_t start = 0; start < n; start += batchSize) {
        if (progress && !progress({"features", start, n}))
            throw Error::cancelled("features: cancelled");
        const int64_t end = std::min(n, start + batchSize);
        int64_t length = 0;
        for (int64_t i = start; i < end; ++i)
            length = std::max<int64_t>(length, static_cast<int64_t>(ids[i].size()));
        // batch [B,T] right-padded; last [B] index of each row's last token → hidden [B,T,D] → [B,D]
        auto batch = torch::zeros({end - start, length}, torch::kLong);
        auto last = torch::zeros({end - start}, torch::kLong);
        for (int64_t i = start; i < end; ++i) {
            const int64_t len = static_cast<int64_t>(ids[i].size());
            batch[i - start].narrow(0, 0, len).copy_(torch::tensor(ids[i], torch::kLong));
            last[i - start].fill_(len - 1);
        }
        const auto hidden = model.hiddenStates(batch.to(model.device()));
        const auto index = last.to(model.device()).view({-1, 1, 1}).expand({end - start, 1, hidden.size(2)});
        features.narrow(0, start, end - start).copy_(hidden.gather(1, index).squeeze(1).to(torch::kFloat32).cpu());
    }
    if (progress && !progress({"features", n, n}))
        throw Error::cancelled("features: cancelled");
    return features;
}

} // namespace emo::eval
