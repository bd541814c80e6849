#include "eval/few_shot.h"

#include "eval/sequence_scoring.h"
#include "model/language_model.h"
#include "util/error.h"
#include "util/splitmix64.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <numeric>

namespace emo::eval {
namespace {

void replaceAll(std::string& s, const std::string& from, const std::string& to)
{
    for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
        s.replace(pos, from.size(), to);
}

// Demonstrations that overflow the model's positions are cut from the left (the oldest tokens go first);
// the query itself must fit.
ScoredSequence fitToPositions(ScoredSequence s, int64_t positions, int64_t index)
{
    if (positions <= 0 || static_cast<int64_t>(s.ids.size()) <= positions)
        return s;
    const size_t drop = s.ids.size() - static_cast<size_t>(positions);
    if (drop >= s.from)
        throw Error::badInput("few-shot: example " + std::to_string(index) + " does not fit the model's " +
                              std::to_string(positions) + " positions");
    s.ids.erase(s.ids.begin(), s.ids.begin() + static_cast<std::ptrdiff_t>(drop));
    s.from -= drop;
    return s;
}

} // namespace

std::vector<LabelledExample> readLabelledJsonl(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error::badInput(path + ": cannot open the file");
    std::vector<LabelledExample> out;
    std::string line;
    for (int64_t number = 1; std::getline(in, line); ++number) {
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        nlohmann::json json;
        try {
            json = nlohmann::json::parse(line);
        } catch (const std::exception&) {
            throw Error::badInput(path + ":" + std::to_string(number) + ": not valid JSON");
        }
        if (!json.is_object() || !json.contains("text") || !json["text"].is_string() || !json.contains("label") ||
            !json["label"].is_string())
            throw Error::badInput(path + ":" + std::to_string(number) + ": needs string fields \"text\" and \"label\"");
        out.push_back({json["text"].get<std::string>(), json["label"].get<std::string>()});
    }
    if (out.empty())
        throw Error::badInput(path + ": no labelled example");
    return out;
}

std::string fillTemplate(const std::string& templateText, const std::string& text, const std::string& label)
{
    // Replace {label} first: a text that contains "{label}" must stay as written.
    std::string out = templateText;
    const std::string textMark = "\x01TEXT\x01";
    replaceAll(out, "{text}", textMark);
    replaceAll(out, "{label}", label);
    replaceAll(out, textMark, text);
    return out;
}

std::vector<int64_t> fewShotDemonstrations(int64_t n, int64_t index, int64_t k, uint64_t seed)
{
    if (k < 0 || k >= n)
        throw Error::badInput("--shots " + std::to_string(k) + " needs more than that many examples, the set has " +
                              std::to_string(n));
    // Partial Fisher–Yates over the other n − 1 indices.
    std::vector<int64_t> pool;
    pool.reserve(static_cast<size_t>(n - 1));
    for (int64_t i = 0; i < n; ++i)
        if (i != index)
            pool.push_back(i);
    uint64_t state = util::splitmix64(seed ^ util::splitmix64(static_cast<uint64_t>(index) + 0x5EEDull));
    for (int64_t i = 0; i < k; ++i) {
        state = util::splitmix64(state);
        const int64_t j = i + static_cast<int64_t>(state % static_cast<uint64_t>(pool.size() - i));
        std::swap(pool[i], pool[j]);
    }
    pool.resize(static_cast<size_t>(k));
    return pool;
}

std::string fewShotContext(const std::vector<LabelledExample>& examples, int64_t index, const FewShotSettings& settings)
{
    std::string context;
    if (settings.shots <= 0)
        return context;
    for (int64_t d : fewShotDemonstrations(static_cast<int64_t>(examples.size()), index, settings.shots, settings.seed))
        context += fillTemplate(settings.templateText, examples[d].text, examples[d].label) + settings.separator;
    return context;
}

FewShotResult evaluateFewShot(model::LanguageModel& model, const text::Tokenizer& tokenizer,
                              const std::vector<LabelledExample>& examples, const FewShotSettings& settings,
                              const ProgressCallback& progress)
{
    if (examples.empty())
        throw Error::badInput("few-shot: no labelled example");
    if (settings.templateText.find("{label}") == std::string::npos)
        throw Error::badInput("--template must contain {label}, got '" + settings.templateText + "'");
    FewShotResult result;
    result.labels = settings.labels;
    if (result.labels.empty())
        for (const auto& e : examples)
            if (std::find(result.labels.begin(), result.labels.end(), e.label) == result.labels.end())
                result.labels.push_back(e.label);
    if (result.labels.size() < 2)
        throw Error::badInput("few-shot: needs at least two candidate labels, got " + std::to_string(result.labels.size()));
    const int64_t n = static_cast<int64_t>(examples.size());
    if (settings.shots >= n)
        throw Error::badInput("--shots " + std::to_string(settings.shots) + " needs more than that many examples, the set has " +
                              std::to_string(n));
    const int64_t classified = settings.maxExamples > 0 ? std::min(n, settings.maxExamples) : n;
    const int64_t numLabels = static_cast<int64_t>(result.labels.size());

    for (int64_t i = 0; i < classified; ++i) {
        if (progress && !progress({"few-shot", i, classified}))
            throw Error::cancelled("few-shot: cancelled");
        const std::string context = fewShotContext(examples, i, settings);
        std::vector<ScoredSequence> sequences;
        for (const auto& label : result.labels)
            sequences.push_back(fitToPositions(textSequence(tokenizer, context, fillTemplate(settings.templateText, examples[i].text, label)),
                                               model.config().maxPositions, i));
        const auto scores = scoreSequences(model, sequences, settings.batchSize);
        std::vector<double> logLikelihoods(static_cast<size_t>(numLabels));
        for (int64_t l = 0; l < numLabels; ++l)
            logLikelihoods[l] = -scores.nll[l];
        const int64_t best = static_cast<int64_t>(
            std::max_element(logLikelihoods.begin(), logLikelihoods.end()) - logLikelihoods.begin());
        const auto goldIt = std::find(result.labels.begin(), result.labels.end(), examples[i].label);
        const int64_t gold = goldIt == result.labels.end() ? -1 : static_cast<int64_t>(goldIt - result.labels.begin());
        result.predictions.push_back(best);
        result.gold.push_back(gold);
        result.scores.push_back(std::move(logLikelihoods));
        if (best == gold)
            ++result.correct;
    }
    if (progress && !progress({"few-shot", classified, classified}))
        throw Error::cancelled("few-shot: cancelled");
    result.total = classified;
    result.accuracy = static_cast<double>(result.correct) / static_cast<double>(classified);
    return result;
}

} // namespace emo::eval
