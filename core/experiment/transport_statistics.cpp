#include "experiment/transport_statistics.h"

#include "model/language_model.h"
#include "objective/cost_embedding.h"
#include "objective/objective.h"

#include <algorithm>
#include <cmath>

namespace emo::experiment {

std::vector<double> percentiles(std::vector<double> values)
{
    std::vector<double> out;
    if (values.empty())
        return std::vector<double>(5, 0.0);
    std::sort(values.begin(), values.end());
    for (double q : {0.05, 0.25, 0.5, 0.75, 0.95}) {
        const double position = q * static_cast<double>(values.size() - 1);
        const auto below = static_cast<size_t>(std::floor(position));
        const size_t above = std::min(values.size() - 1, below + 1);
        const double t = position - static_cast<double>(below);
        out.push_back(values[below] * (1.0 - t) + values[above] * t);
    }
    return out;
}

// blocks [N,T] → per-token demd and ce/demd percentiles
TransportPercentiles transportPercentiles(model::LanguageModel& model, const objective::CostEmbedding& cost,
                                          const torch::Tensor& blocks, int64_t batchSize, int64_t maxBlocks)
{
    torch::NoGradGuard noGrad;
    const int64_t n = std::min<int64_t>(blocks.size(0), maxBlocks);
    const objective::ObjectiveSettings mle;  // ce and demd are reported whatever the objective
    std::vector<double> demd, ratio;
    double ceSum = 0.0;
    for (int64_t begin = 0; begin < n; begin += batchSize) {
        const auto batch = blocks.slice(0, begin, std::min(n, begin + batchSize)).to(model.device());
        const auto logits = model.forward(batch.slice(1, 0, -1));  // [B,T−1,V]
        const auto labels = batch.slice(1, 1).reshape({-1});       // [B(T−1)]
        const auto r = objective::computeObjective(mle, logits.reshape({-1, logits.size(-1)}), labels, &cost);
        const auto ce = r.ce.to(torch::kCPU, torch::kDouble).contiguous();
        const auto d = r.demd.to(torch::kCPU, torch::kDouble).contiguous();
        for (int64_t i = 0; i < ce.size(0); ++i) {
            const double c = ce.data_ptr<double>()[i], dm = d.data_ptr<double>()[i];
            demd.push_back(dm);
            ratio.push_back(c / (dm + 1e-10));  // the objective's own guard (objective.cpp kRatioEps)
            ceSum += c;
        }
    }
    TransportPercentiles out;
    out.tokens = static_cast<int64_t>(demd.size());
    if (out.tokens > 0) {
        double sum = 0.0;
        for (double v : demd)
            sum += v;
        out.meanDemd = sum / static_cast<double>(out.tokens);
        out.meanCe = ceSum / static_cast<double>(out.tokens);
    }
    out.demd = percentiles(demd);
    out.ratio = percentiles(ratio);
    return out;
}

} // namespace emo::experiment
