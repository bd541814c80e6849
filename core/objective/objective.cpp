#include "objective/objective.h"

#include "objective/objective_kernel.h"
#include "util/error.h"

#include <algorithm>
#include <string>

namespace emo::objective {

namespace {

using kernel::ChunkInputs;
using kernel::ChunkOutputs;
using kernel::kIgnoreIndex;
using kernel::kRatioEps;

// Automatic chunk: about 4 Mi elements of s = Ê[y]·Êᵀ (16 MiB fp32) per chunk.
constexpr int64_t kChunkElements = int64_t(1) << 22;

// What every logits path checks first. Returns the CPU copy of labels.
torch::Tensor validateInputs(const ObjectiveSettings& settings, const torch::Tensor& logits,
                             const torch::Tensor& labels, const CostEmbedding* cost)
{
    if (!logits.defined() || logits.dim() != 2 || !logits.is_floating_point())
        throw Error::badInput("objective: logits must be a floating-point [N,V] tensor");
    return kernel::validateLabels(settings, logits.size(0), logits.size(1), labels, cost);
}

// logits [N,V], labels [N] → perToken, ce, demd [N]; when `grad` [N,V] (logits' dtype) is defined, writes there
// ∂perToken_i/∂logits_i per row. q lives in grad's rows when the dtypes agree, else in a chunk scratch.
ChunkOutputs fusedForward(const ChunkInputs& in, const torch::Tensor& logits, const torch::Tensor& grad)
{
    const torch::ScalarType dtype = kernel::computeDtype(logits.scalar_type());
    const int64_t rows = logits.size(0);
    const int64_t vocab = logits.size(1);
    const auto options = logits.options().dtype(dtype);
    const bool gradInPlace = grad.defined() && grad.scalar_type() == dtype;
    ChunkOutputs out(rows, in.costRows.defined(), options);

    const int64_t chunk = std::min(in.chunkRows, rows);
    torch::Tensor qScratch;  // only when q cannot live in grad's rows (no grad wanted, or a half-precision grad)
    if (!gradInPlace)
        qScratch = torch::empty({chunk, vocab}, options);
    const torch::Tensor sScratch = in.costRows.defined() ? torch::empty({chunk, vocab}, options) : torch::Tensor();
    for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
        const int64_t n = std::min(chunk, rows - r0);
        const torch::Tensor q = gradInPlace ? grad.narrow(0, r0, n) : qScratch.narrow(0, 0, n);
        const torch::Tensor s = sScratch.defined() ? sScratch.narrow(0, 0, n) : torch::Tensor();
        kernel::objectiveOnChunk(in, r0, logits.narrow(0, r0, n), q, s, grad.defined(), out);
        if (grad.defined() && !gradInPlace)
            grad.narrow(0, r0, n).copy_(q);
    }
    return out;
}

// The autograd node of the fused path: forward writes the logit gradient, backward scales it by grad_output.
class FusedObjectiveFunction : public torch::autograd::Function<FusedObjectiveFunction> {
public:
    static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& logits,
                                                  const ChunkInputs& in)
    {
        torch::Tensor grad = torch::empty(logits.sizes(), logits.options().memory_format(at::MemoryFormat::Contiguous));
        ChunkOutputs out = fusedForward(in, logits, grad);
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

ChunkInputs makeFusedInputs(const ObjectiveSettings& settings, const torch::Tensor& logits, const torch::Tensor& labels,
                            const torch::Tensor& labelsCpu, const CostEmbedding* cost, int64_t chunkRows)
{
    const int64_t automatic = std::max<int64_t>(1, kChunkElements / std::max<int64_t>(1, logits.size(1)));
    return kernel::makeChunkInputs(settings, labels, labelsCpu, cost, logits.device(),
                                   kernel::computeDtype(logits.scalar_type()), chunkRows > 0 ? chunkRows : automatic);
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
    const ChunkInputs in = makeFusedInputs(settings, logits, labels, labelsCpu, cost, chunkRows);
    if (torch::GradMode::is_enabled() && logits.requires_grad()) {
        const torch::autograd::variable_list out = FusedObjectiveFunction::apply(logits, in);
        return kernel::finishResult(out[0], out[1], out[2].numel() > 0 ? out[2] : torch::Tensor(), in.labels);
    }
    torch::NoGradGuard noGrad;
    const ChunkOutputs out = fusedForward(in, logits, torch::Tensor());
    return kernel::finishResult(out.perToken, out.ce, out.demd, in.labels);
}

// logits [N,V] → ObjectiveResult through autograd: log_softmax, gather, ê_y·(Êᵀq), detach() for every sg.
ObjectiveResult computeObjectiveReference(const ObjectiveSettings& settings, const torch::Tensor& logits,
                                          const torch::Tensor& labels, const CostEmbedding* cost)
{
    validateInputs(settings, logits, labels, cost);
    const torch::Tensor target = labels.to(logits.device(), torch::kLong);
    const torch::Tensor valid = target != kIgnoreIndex;
    const torch::Tensor gold = target.clamp_min(0);
    const torch::Tensor z = logits.to(kernel::computeDtype(logits.scalar_type()));
    const torch::Tensor logProbs = torch::log_softmax(z, 1);
    const torch::Tensor mle = -logProbs.gather(1, gold.unsqueeze(1)).squeeze(1);
    const torch::Tensor qGold = torch::exp(-mle).detach();

    torch::Tensor demd;
    if (kernel::usesCost(settings, cost)) {
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
        token = kernel::tailrCoefficient(settings, qGold).detach() * mle;
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
    return kernel::finishResult(perToken, ce, demdOut, target);
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
    const ChunkInputs in = makeFusedInputs(settings, logits, labels, labelsCpu, cost, 1);
    torch::NoGradGuard noGrad;
    torch::Tensor grad = torch::empty(logits.sizes(), logits.options().dtype(kernel::computeDtype(logits.scalar_type())));
    fusedForward(in, logits, grad);
    return grad.squeeze(0);
}

} // namespace emo::objective
