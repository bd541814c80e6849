#include "generate/sampler.h"

#include "text/sequence_convention.h"

#include "generate/sampling_filters.h"
#include "model/architecture.h"
#include "model/language_model.h"
#include "text/tokenizer.h"
#include "util/error.h"
#include "util/short_number.h"
#include "util/splitmix64.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

namespace emo::generate {

namespace {

struct StepChoice {
    std::vector<int64_t> ids;
    std::vector<double> logprobs;       // under the sampling distribution
    std::vector<double> modelLogprobs;  // under the unmodified model
};

template <typename T>
std::vector<T> toVector(const torch::Tensor& tensor)
{
    auto cpu = tensor.contiguous().to(torch::kCPU);
    return std::vector<T>(cpu.data_ptr<T>(), cpu.data_ptr<T>() + cpu.numel());
}

// logits [B,V] of the next token, uniforms [B] → the chosen ids and their log-probabilities.
StepChoice chooseTokens(const torch::Tensor& logits, const SampleSettings& settings, bool greedy,
                        const std::vector<double>& uniforms)
{
    auto raw = logits.to(torch::kFloat32);
    auto modelLogProbs = torch::log_softmax(raw, 1);  // [B,V]
    torch::Tensor chosen;                             // [B] int64
    torch::Tensor samplingLogProb;                    // [B]
    if (greedy) {
        chosen = raw.argmax(1);
        samplingLogProb = torch::zeros({raw.size(0)}, raw.options());
    } else {
        auto filtered = applyTopP(applyTopK(applyTemperature(raw, settings.temperature), settings.topK), settings.topP);
        auto samplingLogProbs = torch::log_softmax(filtered, 1);
        auto u = torch::tensor(uniforms, torch::TensorOptions().dtype(torch::kDouble));
        chosen = drawFromProbabilities(samplingLogProbs.exp(), u);
        samplingLogProb = samplingLogProbs.gather(1, chosen.unsqueeze(1)).squeeze(1);
    }
    StepChoice choice;
    choice.ids = toVector<int64_t>(chosen.to(torch::kLong));
    choice.logprobs = toVector<double>(samplingLogProb.to(torch::kDouble));
    choice.modelLogprobs = toVector<double>(modelLogProbs.gather(1, chosen.unsqueeze(1)).squeeze(1).to(torch::kDouble));
    return choice;
}

// The random stream of a prompt: a hash of its ids, and of how many identical prompts came before it in the
// call (so repeated prompts still get different samples), independent of every other prompt in the call.
std::vector<uint64_t> promptStreamKeys(const std::vector<std::vector<int64_t>>& prompts)
{
    std::vector<uint64_t> keys;
    std::map<uint64_t, uint64_t> seen;
    for (const auto& ids : prompts) {
        uint64_t h = 0x5851F42D4C957F2DULL ^ ids.size();
        for (int64_t id : ids)
            h = util::splitmix64(h ^ static_cast<uint64_t>(id));
        const uint64_t occurrence = seen[h]++;
        keys.push_back(occurrence == 0 ? h : util::splitmix64(h ^ util::splitmix64(occurrence)));
    }
    return keys;
}

void validate(const SampleSettings& s)
{
    if (s.maxNewTokens < 0)
        throw Error::badInput("sampling: max new tokens must be ≥ 0, got " + std::to_string(s.maxNewTokens));
    if (s.samplesPerPrompt < 1)
        throw Error::badInput("sampling: samples per prompt must be ≥ 1, got " + std::to_string(s.samplesPerPrompt));
    if (s.topK < 0)
        throw Error::badInput("sampling: top-k must be ≥ 0 (0 = off), got " + std::to_string(s.topK));
    if (!(s.topP > 0.0 && s.topP <= 1.0))
        throw Error::badInput("sampling: top-p must be in (0, 1], got " + util::shortNumber(s.topP));
    if (!(s.temperature >= 0.0) || !std::isfinite(s.temperature))
        throw Error::badInput("sampling: temperature must be a finite number ≥ 0 (0 = greedy), got " +
                              util::shortNumber(s.temperature));
    if (s.minNewTokens < 0)
        throw Error::badInput("sampling: min new tokens must be ≥ 0, got " + std::to_string(s.minNewTokens));
}

} // namespace

Sampler::Sampler(model::LanguageModel& model, const text::Tokenizer* tokenizer)
    : m_model(model), m_tokenizer(tokenizer)
{
}

std::vector<int64_t> Sampler::promptIds(const std::string& prompt) const
{
    if (!m_tokenizer)
        throw Error::badInput("sampling: text prompts need a tokenizer");
    try {
        return text::encodePrompt(*m_tokenizer, prompt);
    } catch (const Error& e) {
        throw Error::badInput(std::string("sampling: ") + e.what());
    }
}

std::vector<Sample> Sampler::sample(const std::vector<std::string>& prompts, const SampleSettings& settings,
                                    const ProgressCallback& progress)
{
    std::vector<std::vector<int64_t>> ids;
    ids.reserve(prompts.size());
    for (const auto& prompt : prompts)
        ids.push_back(promptIds(prompt));
    auto samples = sampleIds(ids, settings, progress);
    for (auto& s : samples)
        s.prompt = prompts[s.promptIndex];
    return samples;
}

std::vector<Sample> Sampler::sampleIds(const std::vector<std::vector<int64_t>>& prompts,
                                       const SampleSettings& settings, const ProgressCallback& progress)
{
    validate(settings);
    const auto& config = m_model.config();
    const int64_t vocab = config.vocabSize;
    const int64_t n = settings.samplesPerPrompt;
    const bool greedy = settings.mode == SamplingMode::Greedy || settings.temperature <= 0.0;
    // The ids that end a continuation: the one asked for, else the tokenizer's (generation_config.json's list
    // where the folder has one), else the model config's.
    std::vector<int64_t> stops;
    if (settings.eosId >= 0)
        stops = {settings.eosId};
    else if (m_tokenizer)
        stops = m_tokenizer->stopIds();
    else if (config.eosTokenId >= 0)
        stops = {config.eosTokenId};
    stops.erase(std::remove_if(stops.begin(), stops.end(), [&](int64_t id) { return id >= vocab; }), stops.end());
    const auto isStop = [&](int64_t id) { return std::find(stops.begin(), stops.end(), id) != stops.end(); };

    size_t longest = 0;
    for (size_t p = 0; p < prompts.size(); ++p) {
        if (prompts[p].empty())
            throw Error::badInput("sampling: prompt " + std::to_string(p) + " has no tokens");
        for (int64_t id : prompts[p])
            if (id < 0 || id >= vocab)
                throw Error::badInput("sampling: prompt " + std::to_string(p) + " has token id " + std::to_string(id) +
                                      " outside the model's vocabulary of " + std::to_string(vocab));
        longest = std::max(longest, prompts[p].size());
    }
    // GPT-2's and OPT's positions are a learned table; the last sampled token is never fed back, hence the −1.
    if (const char* field = model::learnedPositionsField(config);
        field && config.maxPositions > 0 && settings.maxNewTokens > 0 &&
        static_cast<int64_t>(longest) + settings.maxNewTokens - 1 > config.maxPositions)
        throw Error::badInput("sampling: prompt of " + std::to_string(longest) + " tokens + " +
                              std::to_string(settings.maxNewTokens) + " new tokens exceeds the model's " +
                              std::to_string(config.maxPositions) + " positions (" + field + ")");

    const int64_t promptCount = static_cast<int64_t>(prompts.size());
    const std::vector<uint64_t> streamKeys = promptStreamKeys(prompts);
    std::vector<Sample> results(promptCount * n);
    for (int64_t p = 0; p < promptCount; ++p)
        for (int64_t k = 0; k < n; ++k) {
            auto& s = results[p * n + k];
            s.promptIndex = p;
            s.sampleIndex = k;
            if (m_tokenizer)
                s.prompt = m_tokenizer->decode(prompts[p]);
        }
    if (settings.maxNewTokens == 0 || promptCount == 0)
        return results;

    torch::NoGradGuard noGrad;
    const torch::Device device = m_model.device();
    const int64_t promptsPerChunk = settings.maxBatchRows > 0 ? std::max<int64_t>(1, settings.maxBatchRows / n) : promptCount;
    const int64_t chunkCount = (promptCount + promptsPerChunk - 1) / promptsPerChunk;
    const int64_t totalSteps = chunkCount * settings.maxNewTokens;
    int64_t stepsDone = 0;
    auto report = [&](int64_t done) {
        if (progress && !progress(Progress{"sampling", done, totalSteps}))
            throw Error::cancelled("sampling cancelled");
    };

    for (int64_t begin = 0; begin < promptCount; begin += promptsPerChunk) {
        const int64_t end = std::min(promptCount, begin + promptsPerChunk);
        const int64_t rows = end - begin;
        int64_t width = 0;
        for (int64_t p = begin; p < end; ++p)
            width = std::max<int64_t>(width, static_cast<int64_t>(prompts[p].size()));

        // Left padding: every row's last prompt token sits in the last column, so one step feeds all rows.
        std::vector<int64_t> idsFlat(rows * width, 0), maskFlat(rows * width, 0);
        bool padded = false;
        for (int64_t r = 0; r < rows; ++r) {
            const auto& ids = prompts[begin + r];
            const int64_t offset = width - static_cast<int64_t>(ids.size());
            padded = padded || offset > 0;
            for (size_t t = 0; t < ids.size(); ++t) {
                idsFlat[r * width + offset + t] = ids[t];
                maskFlat[r * width + offset + t] = 1;
            }
        }
        auto ids = torch::tensor(idsFlat, torch::kLong).view({rows, width}).to(device);
        torch::Tensor mask;  // [B, cached + new]; undefined when no row is padded
        if (padded)
            mask = torch::tensor(maskFlat, torch::kLong).view({rows, width}).to(device);

        report(stepsDone);
        model::KVCache cache;
        auto next = m_model.forward(ids, &cache, mask).select(1, width - 1);  // [rows,V]
        if (n > 1) {  // prefill once per prompt, then copy its cache for each of its samples
            auto copies = torch::arange(rows, torch::kLong).repeat_interleave(n).to(device);
            cache.selectRows(copies);
            next = next.index_select(0, copies);
            if (mask.defined())
                mask = mask.index_select(0, copies);
        }
        std::vector<int64_t> active(rows * n);  // batch row → index into results
        for (int64_t i = 0; i < rows * n; ++i)
            active[i] = begin * n + i;

        for (int64_t step = 0; step < settings.maxNewTokens; ++step) {
            if (step > 0)
                report(stepsDone);
            std::vector<double> uniforms(active.size(), 0.0);
            if (!greedy)
                for (size_t i = 0; i < active.size(); ++i) {
                    const auto& s = results[active[i]];
                    uniforms[i] = counterUniform(settings.seed, streamKeys[s.promptIndex], s.sampleIndex, step);
                }
            if (!stops.empty() && step < settings.minNewTokens) {  // as HF's MinNewTokensLengthLogitsProcessor
                next = next.clone();
                for (int64_t id : stops)
                    next.select(1, id).fill_(-std::numeric_limits<float>::infinity());
            }
            const StepChoice choice = chooseTokens(next, settings, greedy, uniforms);
            ++stepsDone;

            std::vector<int64_t> keep;
            keep.reserve(active.size());
            for (size_t i = 0; i < active.size(); ++i) {
                auto& s = results[active[i]];
                s.tokenIds.push_back(choice.ids[i]);
                s.logprobs.push_back(choice.logprobs[i]);
                s.modelLogprobs.push_back(choice.modelLogprobs[i]);
                if (settings.stopAtEos && isStop(choice.ids[i]))
                    s.finishedByEos = true;
                else
                    keep.push_back(static_cast<int64_t>(i));
            }
            if (step + 1 == settings.maxNewTokens || keep.empty())
                break;

            std::vector<int64_t> fed;
            fed.reserve(keep.size());
            for (int64_t i : keep)
                fed.push_back(choice.ids[i]);
            if (keep.size() < active.size()) {  // drop finished rows from the batch and the cache
                auto index = torch::tensor(keep, torch::kLong).to(device);
                cache.selectRows(index);
                if (mask.defined())
                    mask = mask.index_select(0, index);
                std::vector<int64_t> stillActive;
                stillActive.reserve(keep.size());
                for (int64_t i : keep)
                    stillActive.push_back(active[i]);
                active.swap(stillActive);
            }
            const int64_t batch = static_cast<int64_t>(active.size());
            auto stepIds = torch::tensor(fed, torch::kLong).view({batch, 1}).to(device);
            if (mask.defined())
                mask = torch::cat({mask, torch::ones({batch, 1}, mask.options())}, 1);
            next = m_model.forward(stepIds, &cache, mask).select(1, 0);  // [batch,V]
        }
        stepsDone = (begin / promptsPerChunk + 1) * settings.maxNewTokens;  // rows that stopped early skip steps
    }
    report(totalSteps);

    if (m_tokenizer)
        for (auto& s : results) {
            std::vector<int64_t> shown = s.tokenIds;
            if (s.finishedByEos && !shown.empty())
                shown.pop_back();
            // Decode with the prompt, then cut it off: sentencepiece drops the leading "▁" of a sequence, so the
            // continuation decoded alone would lose the space between prompt and continuation.
            std::vector<int64_t> whole = prompts[s.promptIndex];
            whole.insert(whole.end(), shown.begin(), shown.end());
            const std::string text = m_tokenizer->decode(whole);
            s.text = text.compare(0, s.prompt.size(), s.prompt) == 0 ? text.substr(s.prompt.size())
                                                                      : m_tokenizer->decode(shown);
        }
    return results;
}

} // namespace emo::generate
