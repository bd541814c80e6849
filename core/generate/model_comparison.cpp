#include "generate/model_comparison.h"

#include "generate/sampler.h"
#include "model/language_model.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <cmath>

namespace emo::generate {

std::vector<double> tokenLogprobs(model::LanguageModel& model, const std::vector<int64_t>& ids, size_t from)
{
    if (from == 0 || from > ids.size())
        throw Error::badInput("tokenLogprobs: the first scored position must be in 1.." + std::to_string(ids.size()));
    if (from == ids.size())
        return {};
    torch::NoGradGuard noGrad;
    const auto input = torch::tensor(ids, torch::kInt64).unsqueeze(0).to(model.device());
    const auto logprobs = torch::log_softmax(model.forward(input).to(torch::kFloat64), -1)[0];  // [L,V]
    const auto targets = input[0].slice(0, static_cast<int64_t>(from));
    const auto rows = logprobs.slice(0, static_cast<int64_t>(from) - 1, static_cast<int64_t>(ids.size()) - 1);
    const auto picked = rows.gather(1, targets.unsqueeze(1)).squeeze(1).cpu().contiguous();
    return {picked.data_ptr<double>(), picked.data_ptr<double>() + picked.numel()};
}

namespace {

// Samples of `own`, each token scored under `other` too.
std::vector<ComparedSample> sampleAndScore(const ComparedModel& own, const ComparedModel& other,
                                           const std::vector<std::string>& prompts, const SampleSettings& settings,
                                           const ProgressCallback& progress)
{
    Sampler sampler(*own.model, own.tokenizer);
    const auto samples = sampler.sample(prompts, settings, progress);
    std::vector<ComparedSample> out;
    out.reserve(samples.size());
    for (const Sample& sample : samples) {
        ComparedSample compared;
        compared.sample = sample;
        for (int64_t id : sample.tokenIds)
            compared.tokenTexts.push_back(own.tokenizer ? own.tokenizer->displayText(id) : "<" + std::to_string(id) + ">");
        std::vector<int64_t> ids = sampler.promptIds(sample.prompt);
        const size_t from = ids.size();
        ids.insert(ids.end(), sample.tokenIds.begin(), sample.tokenIds.end());
        compared.otherLogprobs = tokenLogprobs(*other.model, ids, from);
        out.push_back(std::move(compared));
        if (progress && !progress({"scoring", static_cast<int64_t>(out.size()), static_cast<int64_t>(samples.size())}))
            throw Error::cancelled("comparison cancelled");
    }
    return out;
}

} // namespace

ModelComparison compareModels(const ComparedModel& a, const ComparedModel& b, const std::vector<std::string>& prompts,
                              const SampleSettings& settings, const ProgressCallback& progress)
{
    if (!a.model || !b.model || !a.tokenizer || !b.tokenizer)
        throw Error::badInput("compare: two models with tokenizers are needed");
    if (a.tokenizer->kind() != b.tokenizer->kind() || a.tokenizer->vocabSize() != b.tokenizer->vocabSize())
        throw Error::badInput("compare: " + a.name + " (" + a.tokenizer->kind() + ", " + std::to_string(a.tokenizer->vocabSize())
                              + " tokens) and " + b.name + " (" + b.tokenizer->kind() + ", "
                              + std::to_string(b.tokenizer->vocabSize()) + " tokens) do not share a vocabulary");
    ModelComparison result;
    result.modelA = a.name;
    result.modelB = b.name;
    result.a = sampleAndScore(a, b, prompts, settings, progress);
    result.b = sampleAndScore(b, a, prompts, settings, progress);
    // 0 = not computed (no sampled token), as the struct says.
    const double aUnderB = crossPerplexity(result.a), bUnderA = crossPerplexity(result.b);
    result.crossPerplexityAUnderB = std::isfinite(aUnderB) ? aUnderB : 0.0;
    result.crossPerplexityBUnderA = std::isfinite(bUnderA) ? bUnderA : 0.0;
    return result;
}

} // namespace emo::generate
