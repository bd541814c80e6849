#include "objective/head_objective.h"

#include "objective/objective_kernel.h"
#include "util/error.h"
#include "util/precision.h"

#include <algorithm>
#include <string>

namespace emo::objective {

namespace {

// Rows per chunk: 8 Mi logits per buffer, but never fewer than 256 rows. Each chunk's ∂W += Gᵀ·h reads and
// writes all of W (V×D), so thin chunks turn the head into memory traffic: on the demo body (L4 d256, 8×256
// tokens) the MLE step took 1939 ms at V 50257 with 166-row chunks, 1453 with 256, 1420 with 512 (and 2474
// with one 2048-row chunk, whose buffers no longer stay in cache); 4378 → 3118 ms at V 128256 (65 → 256 rows).
constexpr int64_t kHeadChunkElements = int64_t(1) << 23;
constexpr int64_t kHeadChunkMinRows = 256;

struct HeadInputs {
    kernel::ChunkInputs chunk;
    bool gradHidden = false;  // which gradients the forward computes
    bool gradHead = false;
    int64_t rowMultiple = 1;                     // the head's rows padded to this for the GEMMs
    torch::ScalarType gemmType = torch::kFloat;  // the GEMMs' operand type (the compute type unless mixed)
};

struct HeadOutputs {
    kernel::ChunkOutputs values;
    torch::Tensor gradHidden;  // [N,D] ∂Σ perToken/∂hidden, or undefined
    torch::Tensor gradHead;    // [V,D] ∂Σ perToken/∂head, or undefined
};

// hidden [N,D], head [V,D] → per-token values and, as asked, the gradients of their sum. One [n,V] buffer holds
// z, then q, then G; a second holds s for objectives with a cost. Mixed precision or a padded head: the GEMMs
// run on a [V',D] copy of the head in gemmType (V' = V rounded up to rowMultiple, the extra rows zero) and z
// keeps only its first V columns, so the padding never reaches the softmax or the objectives; the objective
// itself and the gradient sums stay in the compute type.
HeadOutputs headForward(const HeadInputs& in, const torch::Tensor& hiddenIn, const torch::Tensor& headIn)
{
    const torch::ScalarType dtype = kernel::computeDtype(hiddenIn.scalar_type());
    const torch::Tensor hidden = hiddenIn.to(dtype).contiguous();
    const torch::Tensor head = headIn.to(dtype).contiguous();
    const int64_t rows = hidden.size(0);
    const int64_t vocab = head.size(0);
    const auto options = hidden.options();
    HeadOutputs out{kernel::ChunkOutputs(rows, in.chunk.costRows.defined(), options), {}, {}};
    if (in.gradHidden)
        out.gradHidden = torch::empty({rows, hidden.size(1)}, options);
    if (in.gradHead)
        out.gradHead = torch::zeros({vocab, head.size(1)}, options);

    const torch::Tensor gemmHead = util::padRows(head, in.rowMultiple, in.gemmType);  // [V',D]
    const bool direct = gemmHead.size(0) == vocab && in.gemmType == dtype;
    const torch::Tensor gemmRows = gemmHead.narrow(0, 0, vocab);  // [V,D] in gemmType
    const int64_t chunk = std::min(in.chunk.chunkRows, rows);
    const torch::Tensor zScratch = torch::empty({chunk, vocab}, options);
    const torch::Tensor gemmScratch = direct ? torch::Tensor() : torch::empty({chunk, gemmHead.size(0)}, options.dtype(in.gemmType));
    const torch::Tensor sScratch = in.chunk.costRows.defined() ? torch::empty({chunk, vocab}, options) : torch::Tensor();
    const bool wantGrad = in.gradHidden || in.gradHead;
    for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
        const int64_t n = std::min(chunk, rows - r0);
        const torch::Tensor h = hidden.narrow(0, r0, n);  // [n,D]
        torch::Tensor z = zScratch.narrow(0, 0, n);  // [n,V]: z, then q, then G
        torch::Tensor hGemm;
        if (direct) {
            torch::mm_out(z, h, head.t());
        } else {
            hGemm = h.to(in.gemmType);
            torch::Tensor zGemm = gemmScratch.narrow(0, 0, n);  // [n,V']
            torch::mm_out(zGemm, hGemm, gemmHead.t());
            z.copy_(zGemm.narrow(1, 0, vocab));
        }
        const torch::Tensor s = sScratch.defined() ? sScratch.narrow(0, 0, n) : torch::Tensor();
        kernel::objectiveOnChunk(in.chunk, r0, z, z, s, wantGrad, out.values);
        if (in.gradHidden) {
            torch::Tensor rowsOut = out.gradHidden.narrow(0, r0, n);
            if (direct)
                torch::mm_out(rowsOut, z, head);
            else
                rowsOut.copy_(torch::mm(z.to(in.gemmType), gemmRows));
        }
        if (in.gradHead) {
            if (direct)
                out.gradHead.addmm_(z.t(), h);
            else
                out.gradHead.add_(torch::mm(z.t().to(in.gemmType), hGemm));
        }
    }
    return out;
}

class HeadObjectiveFunction : public torch::autograd::Function<HeadObjectiveFunction> {
public:
    // → {Σ perToken (differentiable), perToken, ce, demd (empty when not computed)}
    static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& hidden,
                                                  const torch::Tensor& head, const HeadInputs& in)
    {
        HeadOutputs out = headForward(in, hidden, head);
        ctx->saved_data["gradHidden"] = out.gradHidden.defined() ? out.gradHidden.to(hidden.scalar_type()) : torch::Tensor();
        ctx->saved_data["gradHead"] = out.gradHead.defined() ? out.gradHead.to(head.scalar_type()) : torch::Tensor();
        torch::Tensor demd = out.values.demd.defined() ? out.values.demd : torch::empty({0}, out.values.ce.options());
        ctx->mark_non_differentiable({out.values.perToken, out.values.ce, demd});
        return {out.values.perToken.sum(), out.values.perToken, out.values.ce, demd};
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list gradOutputs)
    {
        const torch::Tensor& gradSum = gradOutputs[0];  // a scalar
        if (!gradSum.defined())
            return {torch::Tensor(), torch::Tensor(), torch::Tensor()};
        auto hiddenIt = ctx->saved_data.find("gradHidden");
        if (hiddenIt == ctx->saved_data.end())
            throw Error::runtime("objective: the fused head objective's backward ran twice (retain_graph is not supported)");
        torch::Tensor gradHidden = hiddenIt->second.toTensor();
        torch::Tensor gradHead = ctx->saved_data["gradHead"].toTensor();
        ctx->saved_data.clear();
        // In place: the buffers were made for this and are handed over, no second copy.
        if (gradHidden.defined())
            gradHidden.mul_(gradSum.to(gradHidden.scalar_type()));
        if (gradHead.defined())
            gradHead.mul_(gradSum.to(gradHead.scalar_type()));
        return {gradHidden, gradHead, torch::Tensor()};
    }
};

} // namespace

int64_t headChunkRows(int64_t vocab)
{
    return std::max(kHeadChunkMinRows, kHeadChunkElements / std::max<int64_t>(1, vocab));
}

ObjectiveResult computeHeadObjective(const ObjectiveSettings& settings, const torch::Tensor& hidden,
                                     const torch::Tensor& head, const torch::Tensor& labels, const CostEmbedding* cost,
                                     int64_t chunkRows, const HeadGemmOptions& gemm)
{
    if (!hidden.defined() || hidden.dim() != 2 || !hidden.is_floating_point())
        throw Error::badInput("objective: hidden states must be a floating-point [N,D] tensor");
    if (!head.defined() || head.dim() != 2 || head.size(1) != hidden.size(1))
        throw Error::badInput("objective: the LM head must be a [V,D] tensor with D = " + std::to_string(hidden.size(1)));
    const int64_t vocab = head.size(0);
    const torch::Tensor labelsCpu = kernel::validateLabels(settings, hidden.size(0), vocab, labels, cost);
    HeadInputs in;
    const torch::ScalarType computeType = kernel::computeDtype(hidden.scalar_type());
    in.chunk = kernel::makeChunkInputs(settings, labels, labelsCpu, cost, hidden.device(), computeType,
                                       chunkRows > 0 ? chunkRows : headChunkRows(vocab));
    in.rowMultiple = gemm.rowMultiple > 0 ? gemm.rowMultiple : util::headRowMultiple(hidden.device());
    in.gemmType = gemm.type ? *gemm.type : util::autocastType(hidden.device()).value_or(computeType);
    const bool grad = torch::GradMode::is_enabled();
    in.gradHidden = grad && hidden.requires_grad();
    in.gradHead = grad && head.requires_grad();
    if (in.gradHidden || in.gradHead) {
        const torch::autograd::variable_list out = HeadObjectiveFunction::apply(hidden, head, in);
        return kernel::finishResult(out[1], out[2], out[3].numel() > 0 ? out[3] : torch::Tensor(), in.chunk.labels, out[0]);
    }
    torch::NoGradGuard noGrad;
    HeadOutputs out = headForward(in, hidden, head);
    return kernel::finishResult(out.values.perToken, out.values.ce, out.values.demd, in.chunk.labels);
}

} // namespace emo::objective
