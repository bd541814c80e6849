#include "train/blocked_adamw.h"

#include <cmath>

namespace emo::train {

// p, g, m, v [n] (one parameter's contiguous elements) → the AdamW update in place, slice by slice.
torch::Tensor BlockedAdamW::step(LossClosure closure)
{
    for (const auto& group : param_groups())
        if (static_cast<const torch::optim::AdamWOptions&>(group.options()).amsgrad())
            return torch::optim::AdamW::step(std::move(closure));
    torch::NoGradGuard noGrad;
    torch::Tensor loss;
    if (closure) {
        at::AutoGradMode enableGrad(true);
        loss = closure();
    }
    torch::Tensor scratch;
    for (auto& group : param_groups()) {
        const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
        const double beta1 = std::get<0>(options.betas()), beta2 = std::get<1>(options.betas());
        for (auto& p : group.params()) {
            if (!p.grad().defined())
                continue;
            TORCH_CHECK(!p.grad().is_sparse(), "BlockedAdamW does not support sparse gradients");
            const std::string key = c10::guts::to_string(p.unsafeGetTensorImpl());
            auto found = state_.find(key);
            if (found == state_.end()) {
                auto fresh = std::make_unique<torch::optim::AdamWParamState>();
                fresh->step(0);
                fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
                fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
                found = state_.emplace(key, std::move(fresh)).first;
            }
            auto& state = static_cast<torch::optim::AdamWParamState&>(*found->second);
            state.step(state.step() + 1);
            const double correction1 = 1 - std::pow(beta1, double(state.step()));
            const double correction2 = 1 - std::pow(beta2, double(state.step()));
            const double stepSize = options.lr() / correction1;
            const double decay = 1 - options.lr() * options.weight_decay();
            // Flat views; a non-contiguous tensor (never one of ours) gets AdamW's own arithmetic on the whole.
            const bool flat = p.is_contiguous() && p.grad().is_contiguous() && state.exp_avg().is_contiguous()
                              && state.exp_avg_sq().is_contiguous();
            const torch::Tensor pAll = flat ? p.view(-1) : p, gAll = flat ? p.grad().view(-1) : p.grad();
            const torch::Tensor mAll = flat ? state.exp_avg().view(-1) : state.exp_avg();
            const torch::Tensor vAll = flat ? state.exp_avg_sq().view(-1) : state.exp_avg_sq();
            const int64_t count = flat ? pAll.numel() : 1;
            const int64_t slice = flat ? kSlice : 1;
            for (int64_t begin = 0; begin < count; begin += slice) {
                const int64_t n = std::min(slice, count - begin);
                torch::Tensor pS = flat ? pAll.narrow(0, begin, n) : pAll;
                const torch::Tensor gS = flat ? gAll.narrow(0, begin, n) : gAll;
                const torch::Tensor mS = flat ? mAll.narrow(0, begin, n) : mAll;
                const torch::Tensor vS = flat ? vAll.narrow(0, begin, n) : vAll;
                if (options.weight_decay() != 0)
                    pS.mul_(decay);
                mS.mul_(beta1).add_(gS, 1 - beta1);
                vS.mul_(beta2).addcmul_(gS, gS, 1 - beta2);
                torch::Tensor denom;
                if (flat) {
                    if (!scratch.defined() || scratch.scalar_type() != vS.scalar_type() || scratch.device() != vS.device())
                        scratch = torch::empty({kSlice}, vS.options());
                    denom = scratch.narrow(0, 0, n);
                    torch::sqrt_out(denom, vS);
                } else {
                    denom = vS.sqrt();
                }
                denom.div_(std::sqrt(correction2)).add_(options.eps());
                pS.addcdiv_(mS, denom, -stepSize);
            }
        }
    }
    return loss;
}

} // namespace emo::train
