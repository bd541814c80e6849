#include "model/kv_cache.h"

#include <algorithm>

namespace emo::model {

namespace {

constexpr int64_t kMinimumCapacity = 16;  // positions; doubling from here copies each position at most twice on average

// Appends `fresh` [B,H,t,hd] after the `used` positions of `store`, growing it (doubling) when full.
// Returns the view of the used + t positions.
torch::Tensor appendTo(torch::Tensor& store, int64_t used, const torch::Tensor& fresh)
{
    const int64_t needed = used + fresh.size(2);
    if (!store.defined() || store.size(2) < needed) {
        const int64_t capacity = std::max({needed, kMinimumCapacity, store.defined() ? 2 * store.size(2) : 0});
        auto sizes = fresh.sizes().vec();
        sizes[2] = capacity;
        torch::Tensor grown = torch::empty(sizes, fresh.options().memory_format(torch::MemoryFormat::Contiguous));
        if (used > 0)
            grown.narrow(2, 0, used).copy_(store.narrow(2, 0, used));
        store = grown;
    }
    store.narrow(2, used, fresh.size(2)).copy_(fresh);
    return store.narrow(2, 0, needed);
}

} // namespace

void KVCache::clear()
{
    keys.clear();
    values.clear();
    m_keyStores.clear();
    m_valueStores.clear();
    attentionMask = torch::Tensor();
}

void KVCache::selectRows(const torch::Tensor& index)
{
    for (auto& k : keys) k = k.index_select(0, index);
    for (auto& v : values) v = v.index_select(0, index);
    if (attentionMask.defined()) attentionMask = attentionMask.index_select(0, index);
    // The stores held the old rows; the next append starts new ones from the selected views.
    m_keyStores = keys;
    m_valueStores = values;
}

std::pair<torch::Tensor, torch::Tensor> KVCache::append(size_t layer, const torch::Tensor& k, const torch::Tensor& v)
{
    if (keys.size() <= layer) {
        keys.resize(layer + 1);
        values.resize(layer + 1);
    }
    m_keyStores.resize(keys.size());
    m_valueStores.resize(keys.size());
    const int64_t used = keys[layer].defined() ? keys[layer].size(2) : 0;
    keys[layer] = appendTo(m_keyStores[layer], used, k);
    values[layer] = appendTo(m_valueStores[layer], used, v);
    return {keys[layer], values[layer]};
}

} // namespace emo::model
