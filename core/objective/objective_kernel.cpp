#include "objective/objective_kernel.h"

#include "util/error.h"

#include <string>

namespace emo::objective::kernel {

namespace {

// The per-token objective as value plus gradient coefficients: ∂value/∂z = a·(q − e_y) + b·∂demd/∂z, where
// a and b hold the stop-gradient factors evaluated at this point.
// mle [n], demd [n] (undefined unless the objective uses it), qy [n] = exp(−mle) → value, a, b [n]
void tokenObjective(const ObjectiveSettings& settings, const torch::Tensor& mle, const torch::Tensor& demd,
                    const torch::Tensor& qy, torch::Tensor& value, torch::Tensor& a, torch::Tensor& b)
{
    switch (settings.kind) {
    case ObjectiveKind::Mle:
        value = mle;
        a = torch::ones_like(mle);
        b = torch::zeros_like(mle);
        return;
    case ObjectiveKind::Tailr:
        a = tailrCoefficient(settings, qy);
        value = a * mle;
        b = torch::zeros_like(mle);
        return;
    case ObjectiveKind::Mixce: {
        const double eta = settings.mixceEta;
        a = eta + (1.0 - eta) * qy;  // η·mle + (1−η)·sg(q_y)·mle
        value = a * mle;
        b = torch::zeros_like(mle);
        return;
    }
    case ObjectiveKind::Emo:
        break;
    }
    switch (settings.emoMode) {
    case EmoMode::Paper: {
        torch::Tensor ratio = mle / (demd + kRatioEps);
        if (settings.emoRatioCap > 0.0)
            ratio = ratio.clamp_max(settings.emoRatioCap);
        value = 0.5 * (mle + ratio * demd);
        a = torch::full_like(mle, 0.5);
        b = 0.5 * ratio;
        return;
    }
    case EmoMode::Pure:
        value = demd;
        a = torch::zeros_like(mle);
        b = torch::ones_like(mle);
        return;
    case EmoMode::Llama: {
        const torch::Tensor d = demd + qy;  // demd + sg(q_y): the gold mass the official code subtracts
        torch::Tensor ratio = d / (mle + kRatioEps);
        if (settings.emoRatioCap > 0.0)
            ratio = ratio.clamp_max(settings.emoRatioCap);
        value = ratio * mle + d;
        a = ratio;
        b = torch::ones_like(mle);
        return;
    }
    }
}

} // namespace

torch::ScalarType computeDtype(torch::ScalarType input)
{
    return input == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
}

bool usesCost(const ObjectiveSettings& settings, const CostEmbedding* cost)
{
    return settings.kind == ObjectiveKind::Emo || (cost && cost->defined());
}

torch::Tensor validateLabels(const ObjectiveSettings& settings, int64_t rows, int64_t vocab, const torch::Tensor& labels,
                             const CostEmbedding* cost)
{
    if (!labels.defined() || labels.dim() != 1 || labels.size(0) != rows)
        throw Error::badInput("objective: labels must be a [N] tensor matching the N = " + std::to_string(rows)
                              + " predicted positions");
    if (labels.is_floating_point() || labels.scalar_type() == torch::kBool)
        throw Error::badInput("objective: labels must hold integer token ids");
    if (settings.kind == ObjectiveKind::Emo && !(cost && cost->defined()))
        throw Error::badInput("objective: emo needs a cost embedding");
    if (cost && cost->defined() && cost->vocabSize() != vocab)
        throw Error::badInput("objective: cost embedding has " + std::to_string(cost->vocabSize())
                              + " rows but the logits have V = " + std::to_string(vocab));
    const torch::Tensor labelsCpu = labels.to(torch::kCPU, torch::kLong);
    const torch::Tensor valid = labelsCpu != kIgnoreIndex;
    if (!valid.any().item<bool>())
        throw Error::badInput("objective: every label is -100 (nothing to learn from in this batch)");
    if ((valid & ((labelsCpu < 0) | (labelsCpu >= vocab))).any().item<bool>())
        throw Error::badInput("objective: a label lies outside the vocabulary [0, " + std::to_string(vocab) + ")");
    checkObjectiveSettings(settings);
    return labelsCpu;
}

// The no-grad coefficient TaiLr puts on each token's mle, from q_y: qy [n] → [n]
//   paper (thu-coai/TaiLr tailr_loss): w = clamp(q/(γ + (1−γ)q), min_w, 1)
//   mixed (the EMO repository's "tvd"):  r + (1−r)·clamp(q/((1−r) + r·q), min_w, 1)
torch::Tensor tailrCoefficient(const ObjectiveSettings& settings, const torch::Tensor& qy)
{
    const bool mixed = settings.tailrForm == TailrForm::Mixed;
    const double gamma = mixed ? 1.0 - settings.tailrMix : settings.tailrGamma;
    const torch::Tensor w = (qy / (gamma + (1.0 - gamma) * qy)).clamp(settings.tailrMinWeight, 1.0);
    return mixed ? settings.tailrMix + (1.0 - settings.tailrMix) * w : w;
}

ChunkInputs makeChunkInputs(const ObjectiveSettings& settings, const torch::Tensor& labels,
                            const torch::Tensor& labelsCpu, const CostEmbedding* cost, torch::Device device,
                            torch::ScalarType dtype, int64_t chunkRows)
{
    ChunkInputs in;
    in.settings = settings;
    in.labels = labels.to(device, torch::kLong);
    in.labelsCpu = labelsCpu;
    if (usesCost(settings, cost))
        in.costRows = cost->normalized().to(device, dtype);
    in.chunkRows = chunkRows;
    return in;
}

ChunkOutputs::ChunkOutputs(int64_t rows, bool withDemd, const torch::TensorOptions& options)
    : perToken(torch::zeros({rows}, options)), ce(torch::zeros({rows}, options))
{
    if (withDemd)
        demd = torch::zeros({rows}, options);
}

void objectiveOnChunk(const ChunkInputs& in, int64_t r0, const torch::Tensor& z, const torch::Tensor& q,
                      const torch::Tensor& s, bool wantGrad, ChunkOutputs& out)
{
    const int64_t n = z.size(0);
    const torch::Tensor labelsCpu = in.labelsCpu.narrow(0, r0, n);
    const bool allValid = (labelsCpu != kIgnoreIndex).all().item<bool>();
    const torch::Tensor valid = in.labels.narrow(0, r0, n) != kIgnoreIndex;
    const torch::Tensor gold = in.labels.narrow(0, r0, n).clamp_min(0).unsqueeze(1);  // [n,1]

    // lse and the gold logit first: q may be z itself and is overwritten next.
    const torch::Tensor lse = torch::logsumexp(z.to(q.scalar_type()), 1);              // [n]
    const torch::Tensor mle = lse - z.gather(1, gold).squeeze(1).to(q.scalar_type());  // [n]
    if (!q.is_same(z))
        q.copy_(z);
    q.sub_(lse.unsqueeze(1)).exp_();

    const bool withCost = in.costRows.defined();
    torch::Tensor m, demd;
    if (withCost) {
        torch::Tensor sOut = s;
        torch::mm_out(sOut, in.costRows.index_select(0, gold.squeeze(1)), in.costRows.t());
        m = torch::bmm(q.unsqueeze(1), s.unsqueeze(2)).view({n});  // ⟨q,s⟩ row by row, no [n,V] temp
        demd = 1.0 - m;
    }
    torch::Tensor value, a, b;
    tokenObjective(in.settings, mle, demd, torch::exp(-mle), value, a, b);
    if (!allValid) {
        const torch::Tensor zero = torch::zeros_like(value);
        value = torch::where(valid, value, zero);
        a = torch::where(valid, a, zero);
        b = torch::where(valid, b, zero);
    }
    out.perToken.narrow(0, r0, n).copy_(value);
    out.ce.narrow(0, r0, n).copy_(allValid ? mle : torch::where(valid, mle, torch::zeros_like(mle)));
    if (withCost)
        out.demd.narrow(0, r0, n).copy_(allValid ? demd : torch::where(valid, demd, torch::zeros_like(demd)));
    if (!wantGrad)
        return;

    if (in.settings.kind == ObjectiveKind::Emo) {
        // The DEMD logit gradient: with costs c_j = 1 − s_j, ∂demd/∂z_j = q_j(c_j − Σ_k q_k c_k) = q_j(m − s_j),
        // so a(q − e_y) + b·∂demd/∂z = q·(a + b(m − s)) − a·e_y (the e_y part is the scatter below).
        s.mul_(-b.unsqueeze(1)).add_((a + b * m).unsqueeze(1));  // a + b·(m − s)
        q.mul_(s);
    } else {
        q.mul_(a.unsqueeze(1));
    }
    q.scatter_add_(1, gold, -a.unsqueeze(1));
    if (!allValid)
        q.masked_fill_(valid.logical_not().unsqueeze(1), 0.0);  // also clears NaN/inf of padded rows
}

ObjectiveResult finishResult(const torch::Tensor& perToken, const torch::Tensor& ce, const torch::Tensor& demd,
                             const torch::Tensor& labels, const torch::Tensor& lossSum)
{
    ObjectiveResult result;
    result.valid = labels != kIgnoreIndex;
    result.validCount = result.valid.sum().item<int64_t>();
    result.perToken = perToken;
    result.loss = (lossSum.defined() ? lossSum : perToken.sum()) / static_cast<double>(result.validCount);
    result.ce = ce;
    result.mlePart = ce.sum().item<double>() / static_cast<double>(result.validCount);
    if (demd.defined()) {
        result.demd = demd;
        result.demdPart = demd.sum().item<double>() / static_cast<double>(result.validCount);
    }
    return result;
}

} // namespace emo::objective::kernel
