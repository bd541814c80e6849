#pragma once
#include <torch/torch.h>

#include <utility>
#include <vector>

namespace emo::model {

// Keys and values of every layer for incremental decoding: keys[l], values[l] are [B, kvHeads, T, headDim], views
// of the first T positions of per-layer stores that grow by doubling, so that each decoded token copies only its
// own keys and values, not the whole cache.
struct KVCache {
    std::vector<torch::Tensor> keys;
    std::vector<torch::Tensor> values;
    torch::Tensor attentionMask;  // [B, T] of the cached positions (undefined when no padding was used)

    int64_t length() const { return keys.empty() || !keys[0].defined() ? 0 : keys[0].size(2); }
    void clear();
    // Keeps the rows `index` ([B'] int64) of the batch, e.g. to drop finished sequences.
    void selectRows(const torch::Tensor& index);
    // k, v [B, kvHeads, t, headDim] → all keys and values of `layer` after appending them.
    std::pair<torch::Tensor, torch::Tensor> append(size_t layer, const torch::Tensor& k, const torch::Tensor& v);

private:
    std::vector<torch::Tensor> m_keyStores, m_valueStores;  // [B, kvHeads, capacity, headDim]
};

} // namespace emo::model
