#include "objective/cost_embedding.h"

#include "io/safetensors.h"
#include "util/error.h"

#include <cmath>

namespace emo::objective {

namespace {
const char* kTensorName = "cost_embedding";

// Rows whose norm is below this are kept at zero (cost 1 to every token) instead of dividing by ~0.
constexpr double kMinRowNorm = 1e-12;
}

// lmHeadWeight [V,D] → m_normalized [V,D] fp32, rows of unit L2 norm, detached (frozen: never trained).
CostEmbedding::CostEmbedding(const torch::Tensor& lmHeadWeight)
{
    if (!lmHeadWeight.defined() || lmHeadWeight.dim() != 2 || lmHeadWeight.size(0) == 0 || lmHeadWeight.size(1) == 0)
        throw Error::badInput("cost embedding: the LM head weight must be a non-empty [V,D] matrix");
    if (!lmHeadWeight.is_floating_point())
        throw Error::badInput("cost embedding: the LM head weight must be a floating-point tensor");
    torch::NoGradGuard noGrad;
    const torch::Tensor weight = lmHeadWeight.detach().to(torch::kFloat32);
    const torch::Tensor norms = weight.norm(2, /*dim=*/1, /*keepdim=*/true).clamp_min(kMinRowNorm);
    m_normalized = (weight / norms).contiguous();  // a new tensor: later updates of the head do not reach it
    m_normalized.set_requires_grad(false);
}

CostEmbedding CostEmbedding::load(const std::string& path, torch::Device device)
{
    const io::SafetensorsFile file = io::SafetensorsFile::open(path);
    if (!file.find(kTensorName))
        throw Error::badInput(path + ": no tensor named '" + kTensorName + "'");
    torch::Tensor stored = file.load(kTensorName);
    if (stored.dim() != 2 || stored.size(0) == 0 || stored.size(1) == 0)
        throw Error::badInput(path + ": tensor '" + kTensorName + "' must be a non-empty [V,D] matrix");
    if (stored.scalar_type() != torch::kFloat32)
        throw Error::badInput(path + ": tensor '" + kTensorName + "' must be F32");
    // A file that was edited or written by something else must still hold unit (or zero) rows.
    const torch::Tensor norms = stored.norm(2, 1);
    const torch::Tensor bad = ((norms - 1.0).abs() > 1e-3) & (norms > kMinRowNorm);
    if (bad.any().item<bool>() || !torch::isfinite(stored).all().item<bool>())
        throw Error::badInput(path + ": tensor '" + kTensorName + "' has rows that are not L2-normalised");
    CostEmbedding cost;
    cost.m_normalized = stored.to(device).contiguous();
    cost.m_normalized.set_requires_grad(false);
    return cost;
}

void CostEmbedding::save(const std::string& path) const
{
    if (!defined())
        throw Error::runtime("cost embedding: nothing to save to " + path);
    io::writeSafetensors(path, {{kTensorName, m_normalized}},
                         {{"format", "emo-cost-embedding"}, {"cost", "1 - cosine(lm_head rows as loaded)"}});
}

// gold → [V]: C(·, gold) = 1 − Ê·ê_gold
torch::Tensor CostEmbedding::costRow(int64_t gold) const
{
    if (!defined())
        throw Error::runtime("cost embedding: costRow on an empty cost embedding");
    if (gold < 0 || gold >= vocabSize())
        throw Error::badInput("cost embedding: token id " + std::to_string(gold) + " outside the vocabulary of "
                              + std::to_string(vocabSize()));
    torch::NoGradGuard noGrad;
    return 1.0 - m_normalized.matmul(m_normalized[gold]);
}

// ids [K] → [K,K]: C(ids_a, ids_b)
torch::Tensor CostEmbedding::costMatrix(const torch::Tensor& ids) const
{
    if (!defined())
        throw Error::runtime("cost embedding: costMatrix on an empty cost embedding");
    if (!ids.defined() || ids.dim() != 1)
        throw Error::badInput("cost embedding: costMatrix needs a 1-D tensor of token ids");
    torch::NoGradGuard noGrad;
    const torch::Tensor index = ids.to(m_normalized.device(), torch::kLong);
    if (index.numel() > 0 && ((index < 0).any().item<bool>() || (index >= vocabSize()).any().item<bool>()))
        throw Error::badInput("cost embedding: costMatrix ids outside the vocabulary of " + std::to_string(vocabSize()));
    const torch::Tensor rows = m_normalized.index_select(0, index);
    return 1.0 - rows.matmul(rows.t());
}

} // namespace emo::objective
