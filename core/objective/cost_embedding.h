#pragma once
#include <torch/torch.h>

#include <string>

namespace emo::objective {

// Ê: the rows of the model's LM head as loaded before fine-tuning, L2-normalised, frozen (no grad) for
// the whole run and saved with it. C(i,j) = 1 − ê_i·ê_j.
class CostEmbedding {
public:
    CostEmbedding() = default;
    explicit CostEmbedding(const torch::Tensor& lmHeadWeight);  // [V,D] → normalised fp32 copy, same device

    static CostEmbedding load(const std::string& path, torch::Device device = torch::kCPU);  // cost_embedding.safetensors
    void save(const std::string& path) const;

    bool defined() const { return m_normalized.defined(); }
    const torch::Tensor& normalized() const { return m_normalized; }  // [V,D]
    int64_t vocabSize() const { return m_normalized.size(0); }

    torch::Tensor costRow(int64_t gold) const;                 // [V]: C(·, gold)
    torch::Tensor costMatrix(const torch::Tensor& ids) const;  // ids [K] → [K,K]

private:
    torch::Tensor m_normalized;
};

} // namespace emo::objective
