#pragma once
#include <torch/torch.h>

#include <vector>

namespace emo::model {

// Keys and values of every layer for incremental decoding: keys[l], values[l] are [B, kvHeads, T, headDim].
struct KVCache {
    std::vector<torch::Tensor> keys;
    std::vector<torch::Tensor> values;
    torch::Tensor attentionMask;  // [B, T] of the cached positions (undefined when no padding was used)

    int64_t length() const { return keys.empty() || !keys[0].defined() ? 0 : keys[0].size(2); }
    void clear() { keys.clear(); values.clear(); attentionMask = torch::Tensor(); }
    // Keeps the rows `index` ([B'] int64) of the batch, e.g. to drop finished sequences.
    void selectRows(const torch::Tensor& index)
    {
        for (auto& k : keys) k = k.index_select(0, index);
        for (auto& v : values) v = v.index_select(0, index);
        if (attentionMask.defined()) attentionMask = attentionMask.index_select(0, index);
    }
};

} // namespace emo::model
