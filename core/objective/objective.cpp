#include "objective/objective.h"

#include "util/error.h"

#include <algorithm>
#include <string>

namespace emo::objective {

namespace {

constexpr int64_t kIgnoreIndex = -100;
constexpr double kRatioEps = 1e-10;  // the official EMO code's guard in mle/(demd+1e-10) and d/(mle+1e-10)
// Automatic chunk: about 4 Mi elements of s = Ê[y]·Êᵀ (16 MiB fp32) per chunk.
constexpr int64_t kChunkElements = int64_t(1) << 22;

torch::ScalarType computeDtype(const torch::Tensor& logits)
{
    return logits.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
}

bool usesCost(const ObjectiveSettings& settings, const CostEmbedding* cost)
{
    return settings.kind == ObjectiveKind::Emo || (cost && cost->defined());
}

// What every path checks first. Returns the CPU copy of labels (used to find chunks with ignored rows).
torch::Tensor validateInputs(const ObjectiveSettings& settings, const torch::Tensor& logits,
                             const torch::Tensor& labels, const CostEmbedding* cost)
{
    if (!logits.defined() || logits.dim() != 2 || !logits.is_floating_point())
        throw Error::badInput("objective: logits must be a floating-point [N,V] tensor");
    if (!labels.defined() || labels.dim() != 1 || labels.size(0) != logits.size(0))
        throw Error::badInput("objective: labels must be a [N] tensor matching logits [N,V] (N = "
                              + std::to_string(logits.size(0)) + ")");
    if (labels.is_floating_point() || labels.scalar_type() == torch::kBool)
        throw Error::badInput("objective: labels must hold integer token ids");
    const int64_t vocab = logits.size(1);
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
    if (settings.kind == ObjectiveKind::Tailr && !(settings.tailrGamma >= 0.0 && settings.tailrGamma <= 1.0))
        throw Error::badInput("objective: TaiLr gamma must lie in [0, 1]");
    if (settings.kind == ObjectiveKind::Tailr && !(settings.tailrMix >= 0.0 && settings.tailrMix <= 1.0))
        throw Error::badInput("objective: TaiLr mixing ratio must lie in [0, 1]");
    if (settings.kind == ObjectiveKind::Mixce && !(settings.mixceEta >= 0.0 && settings.mixceEta <= 1.0))
        throw Error::badInput("objective: MixCE eta must lie in [0, 1]");
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

struct FusedInputs {
    ObjectiveSettings settings;
    torch::Tensor labels;     // [N] int64 on the logits' device
    torch::Tensor labelsCpu;  // [N] int64
    torch::Tensor costRows;   // [V,D] Ê in the compute dtype on the logits' device, or undefined
    int64_t chunkRows = 0;
};

struct FusedOutputs {
    torch::Tensor perToken;  // [N]
    torch::Tensor ce;        // [N]
    torch::Tensor demd;      // [N] or undefined
};

// logits [N,V], labels [N] → perToken, ce, demd [N]; when `grad` [N,V] (logits' dtype) is defined, writes there
// ∂perToken_i/∂logits_i per row. Per chunk: q (in grad's rows when the dtypes agree), s = Ê[y]·Êᵀ [n,V]
// (one GEMM), m = ⟨q,s⟩, demd = 1 − m, and G = q ⊙ (a + b·m − b·s) − a·e_y.
FusedOutputs fusedForward(const FusedInputs& in, const torch::Tensor& logits, const torch::Tensor& grad)
{
    const torch::ScalarType dtype = computeDtype(logits);
    const int64_t rows = logits.size(0);
    const int64_t vocab = logits.size(1);
    const auto options = logits.options().dtype(dtype);
    const bool withCost = in.costRows.defined();
    const bool gradInPlace = grad.defined() && grad.scalar_type() == dtype;

    FusedOutputs out;
    out.perToken = torch::zeros({rows}, options);
    out.ce = torch::zeros({rows}, options);
    if (withCost)
        out.demd = torch::zeros({rows}, options);

    const int64_t chunk = in.chunkRows > 0 ? in.chunkRows : std::max<int64_t>(1, kChunkElements / vocab);
    torch::Tensor qScratch;  // only when q cannot live in grad's rows (no grad wanted, or a half-precision grad)
    torch::Tensor sScratch;  // s = Ê[y]·Êᵀ for one chunk, reused
    for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
        const int64_t n = std::min(chunk, rows - r0);
        const torch::Tensor z = logits.narrow(0, r0, n);
        const torch::Tensor labelsCpu = in.labelsCpu.narrow(0, r0, n);
        const bool allValid = (labelsCpu != kIgnoreIndex).all().item<bool>();
        const torch::Tensor valid = in.labels.narrow(0, r0, n) != kIgnoreIndex;
        const torch::Tensor gold = in.labels.narrow(0, r0, n).clamp_min(0).unsqueeze(1);  // [n,1]

        torch::Tensor q;
        if (gradInPlace) {
            q = grad.narrow(0, r0, n);
        } else {
            if (!qScratch.defined())
                qScratch = torch::empty({std::min(chunk, rows), vocab}, options);
            q = qScratch.narrow(0, 0, n);
        }
        const torch::Tensor lse = torch::logsumexp(z.to(dtype), 1);  // [n]
        q.copy_(z);
        q.sub_(lse.unsqueeze(1)).exp_();
        const torch::Tensor mle = lse - z.gather(1, gold).squeeze(1).to(dtype);

        torch::Tensor s, m, demd;
        if (withCost) {
            if (!sScratch.defined())
                sScratch = torch::empty({std::min(chunk, rows), vocab}, options);
            s = sScratch.narrow(0, 0, n);
            torch::mm_out(s, in.costRows.index_select(0, gold.squeeze(1)), in.costRows.t());
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

        if (!grad.defined())
            continue;
        const bool needsDemd = in.settings.kind == ObjectiveKind::Emo;
        if (needsDemd) {
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
        if (!gradInPlace)
            grad.narrow(0, r0, n).copy_(q);
    }
    return out;
}

// The autograd node of the fused path: forward writes the logit gradient, backward scales it by grad_output.
class FusedObjectiveFunction : public torch::autograd::Function<FusedObjectiveFunction> {
public:
    static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& logits,
                                                  const FusedInputs& in)
    {
        torch::Tensor grad = torch::empty(logits.sizes(), logits.options().memory_format(at::MemoryFormat::Contiguous));
        FusedOutputs out = fusedForward(in, logits, grad);
        ctx->saved_data["grad"] = grad;
        torch::Tensor demd = out.demd.defined() ? out.demd : torch::empty({0}, out.ce.options());
        ctx->mark_non_differentiable({out.ce, demd});
        return {out.perToken, out.ce, demd};
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list gradOutputs)
    {
        const torch::Tensor& gradPerToken = gradOutputs[0];
        if (!gradPerToken.defined())
            return {torch::Tensor(), torch::Tensor()};
        auto it = ctx->saved_data.find("grad");
        if (it == ctx->saved_data.end() || !it->second.isTensor())
            throw Error::runtime("objective: the fused objective's backward ran twice (retain_graph is not supported)");
        torch::Tensor grad = it->second.toTensor();
        ctx->saved_data.erase("grad");
        grad.mul_(gradPerToken.to(grad.scalar_type()).unsqueeze(1));  // in place: no second N×V buffer
        return {grad, torch::Tensor()};
    }
};

ObjectiveResult finishResult(const torch::Tensor& perToken, const torch::Tensor& ce, const torch::Tensor& demd,
                             const torch::Tensor& labels)
{
    ObjectiveResult result;
    result.valid = labels != kIgnoreIndex;
    result.validCount = result.valid.sum().item<int64_t>();
    result.perToken = perToken;
    result.loss = perToken.sum() / static_cast<double>(result.validCount);
    result.ce = ce;
    result.mlePart = ce.sum().item<double>() / static_cast<double>(result.validCount);
    if (demd.defined()) {
        result.demd = demd;
        result.demdPart = demd.sum().item<double>() / static_cast<double>(result.validCount);
    }
    return result;
}

FusedInputs makeFusedInputs(const ObjectiveSettings& settings, const torch::Tensor& logits, const torch::Tensor& labels,
                            const torch::Tensor& labelsCpu, const CostEmbedding* cost, int64_t chunkRows)
{
    FusedInputs in;
    in.settings = settings;
    in.labels = labels.to(logits.device(), torch::kLong);
    in.labelsCpu = labelsCpu;
    if (usesCost(settings, cost))
        in.costRows = cost->normalized().to(logits.device(), computeDtype(logits));
    in.chunkRows = chunkRows;
    return in;
}

} // namespace

ObjectiveResult computeObjective(const ObjectiveSettings& settings, const torch::Tensor& logits,
                                 const torch::Tensor& labels, const CostEmbedding* cost)
{
    return computeObjectiveFused(settings, logits, labels, cost, 0);
}

ObjectiveResult computeObjectiveFused(const ObjectiveSettings& settings, const torch::Tensor& logits,
                                      const torch::Tensor& labels, const CostEmbedding* cost, int64_t chunkRows)
{
    const torch::Tensor labelsCpu = validateInputs(settings, logits, labels, cost);
    const FusedInputs in = makeFusedInputs(settings, logits, labels, labelsCpu, cost, chunkRows);
    if (torch::GradMode::is_enabled() && logits.requires_grad()) {
        const torch::autograd::variable_list out = FusedObjectiveFunction::apply(logits, in);
        return finishResult(out[0], out[1], out[2].numel() > 0 ? out[2] : torch::Tensor(), in.labels);
    }
    torch::NoGradGuard noGrad;
    const FusedOutputs out = fusedForward(in, logits, torch::Tensor());
    return finishResult(out.perToken, out.ce, out.demd, in.labels);
}

// logits [N,V] → ObjectiveResult through autograd: log_softmax, gather, ê_y·(Êᵀq), detach() for every sg.
ObjectiveResult computeObjectiveReference(const ObjectiveSettings& settings, const torch::Tensor& logits,
                                          const torch::Tensor& labels, const CostEmbedding* cost)
{
    validateInputs(settings, logits, labels, cost);
    const torch::Tensor target = labels.to(logits.device(), torch::kLong);
    const torch::Tensor valid = target != kIgnoreIndex;
    const torch::Tensor gold = target.clamp_min(0);
    const torch::Tensor z = logits.to(computeDtype(logits));
    const torch::Tensor logProbs = torch::log_softmax(z, 1);
    const torch::Tensor mle = -logProbs.gather(1, gold.unsqueeze(1)).squeeze(1);
    const torch::Tensor qGold = torch::exp(-mle).detach();

    torch::Tensor demd;
    if (usesCost(settings, cost)) {
        const torch::Tensor costRows = cost->normalized().to(z.device(), z.scalar_type());
        const torch::Tensor expected = logProbs.exp().matmul(costRows);  // Êᵀq per row, [N,D]
        demd = 1.0 - (costRows.index_select(0, gold) * expected).sum(1);
    }

    torch::Tensor token;
    switch (settings.kind) {
    case ObjectiveKind::Mle:
        token = mle;
        break;
    case ObjectiveKind::Tailr:
        token = tailrCoefficient(settings, qGold).detach() * mle;
        break;
    case ObjectiveKind::Mixce:
        token = settings.mixceEta * mle + (1.0 - settings.mixceEta) * qGold * mle;
        break;
    case ObjectiveKind::Emo:
        if (settings.emoMode == EmoMode::Pure) {
            token = demd;
        } else if (settings.emoMode == EmoMode::Paper) {
            torch::Tensor ratio = (mle / (demd + kRatioEps)).detach();
            if (settings.emoRatioCap > 0.0)
                ratio = ratio.clamp_max(settings.emoRatioCap);
            token = 0.5 * (mle + ratio * demd);
        } else {
            const torch::Tensor d = demd + qGold;
            torch::Tensor ratio = (d / (mle + kRatioEps)).detach();
            if (settings.emoRatioCap > 0.0)
                ratio = ratio.clamp_max(settings.emoRatioCap);
            token = ratio * mle + d;
        }
        break;
    }
    const torch::Tensor zero = torch::zeros_like(token);
    const torch::Tensor perToken = torch::where(valid, token, zero);
    const torch::Tensor ce = torch::where(valid, mle, torch::zeros_like(mle)).detach();
    const torch::Tensor demdOut = demd.defined() ? torch::where(valid, demd, torch::zeros_like(demd)).detach()
                                                 : torch::Tensor();
    return finishResult(perToken, ce, demdOut, target);
}

// logitsRow [V], label → [V]
torch::Tensor logitGradient(const ObjectiveSettings& settings, const torch::Tensor& logitsRow, int64_t label,
                            const CostEmbedding* cost)
{
    if (!logitsRow.defined() || logitsRow.dim() != 1)
        throw Error::badInput("objective: logitGradient needs one row of logits [V]");
    const torch::Tensor logits = logitsRow.detach().unsqueeze(0);
    const torch::Tensor labels = torch::full({1}, label, torch::TensorOptions().dtype(torch::kLong));
    const torch::Tensor labelsCpu = validateInputs(settings, logits, labels, cost);
    const FusedInputs in = makeFusedInputs(settings, logits, labels, labelsCpu, cost, 1);
    torch::NoGradGuard noGrad;
    torch::Tensor grad = torch::empty(logits.sizes(), logits.options().dtype(computeDtype(logits)));
    fusedForward(in, logits, grad);
    return grad.squeeze(0);
}

} // namespace emo::objective
