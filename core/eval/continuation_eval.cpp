#include "eval/continuation_eval.h"

#include "eval/cross_entropy.h"
#include "eval/metric_catalog.h"
#include "eval/features.h"
#include "eval/mauve.h"
#include "eval/rouge.h"
#include "generate/sampler.h"
#include "model/language_model.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace emo::eval {

const char* toString(ContinuationProtocol protocol)
{
    return protocol == ContinuationProtocol::Official ? "official" : "pooled";
}

bool parseContinuationProtocol(const std::string& text, ContinuationProtocol* out)
{
    for (ContinuationProtocol p : {ContinuationProtocol::Pooled, ContinuationProtocol::Official})
        if (text == toString(p)) {
            if (out)
                *out = p;
            return true;
        }
    return false;
}

MetricValue summarizeMetric(const std::string& name, const std::vector<double>& values)
{
    MetricValue value;
    value.name = name;
    value.count = static_cast<int64_t>(values.size());
    if (values.empty())
        return value;
    double sum = 0.0;
    for (double v : values)
        sum += v;
    value.mean = sum / static_cast<double>(values.size());
    if (values.size() > 1) {
        double squares = 0.0;
        for (double v : values)
            squares += (v - value.mean) * (v - value.mean);
        value.std = std::sqrt(squares / static_cast<double>(values.size() - 1));
    }
    return value;
}

EvalReport evaluateContinuations(const ContinuationModels& models, const std::vector<std::string>& documents,
                                 const ContinuationEvalSettings& settings, const ProgressCallback& progress)
{
    static const std::set<std::string> known = {"mauve", "rouge", "oracle-ppl", "fwd-ce", "rev-ce"};
    std::set<std::string> wanted;
    for (const auto& metric : settings.metrics) {
        if (!known.count(metric))
            throw Error::badInput("--metrics: unknown continuation metric '" + metric + "'");
        wanted.insert(metric);
    }
    if (!models.model || !models.tokenizer)
        throw Error::badInput("continuation eval: no model or tokenizer");
    for (const auto& metric : wanted)
        if (requestNeedsOracle(metric) && (!models.oracle || !models.oracleTokenizer))
            throw Error::badInput("--oracle: " + metric + " needs an oracle model");
    if (settings.samplesPerPrefix < 1)
        throw Error::badInput("--samples must be positive, got " + std::to_string(settings.samplesPerPrefix));
    if (settings.seeds < 1)
        throw Error::badInput("--seeds must be positive, got " + std::to_string(settings.seeds));

    EvalReport report;
    const auto examples = splitContinuations(documents, settings.prefixWords, settings.continuationWords,
                                             settings.maxPrefixes);
    if (examples.empty())
        throw Error::badInput("--data: no document has more than " + std::to_string(settings.prefixWords) +
                              " words (--prefix-words)");
    if (wanted.empty())
        return report;

    model::LanguageModel& model = *models.model;
    const text::Tokenizer& tokenizer = *models.tokenizer;
    auto step = [&](const std::string& stage, int64_t done, int64_t total) {
        if (progress && !progress({stage, done, total}))
            throw Error::cancelled("evaluation: cancelled");
    };
    auto forward = [&](const std::string& stage) -> ProgressCallback {
        if (!progress)
            return {};
        return [&progress, stage](const Progress& p) { return progress({stage, p.done, p.total}); };
    };

    std::map<std::string, std::vector<double>> values;
    std::map<std::string, std::vector<double>> units;  // paired units per metric (MetricValue::units)
    if (wanted.count("fwd-ce"))
        values["fwd-ce"].push_back(
            forwardCrossEntropy(model, tokenizer, examples, settings.batchSize, forward("fwd-ce")).meanNll);

    const bool needSamples = std::any_of(wanted.begin(), wanted.end(), requestNeedsSamples);
    if (needSamples) {
        generate::Sampler sampler(model, &tokenizer);
        std::vector<std::string> prompts;
        size_t longestPrompt = 0;
        int64_t longestReference = 1;
        for (const auto& example : examples) {
            prompts.push_back(example.prefix);
            longestPrompt = std::max(longestPrompt, sampler.promptIds(example.prefix).size());
            longestReference = std::max<int64_t>(longestReference,
                                                 static_cast<int64_t>(tokenizer.encode(" " + example.reference).size()));
        }
        const int64_t positions = model.config().maxPositions;
        if (positions > 0 && static_cast<int64_t>(longestPrompt) >= positions)
            throw Error::badInput("--prefix-words: a prefix has " + std::to_string(longestPrompt) +
                                  " tokens, no room left in the model's " + std::to_string(positions) + " positions");
        const bool official = settings.protocol == ContinuationProtocol::Official;
        generate::SampleSettings sampling;  // unbiased ancestral sampling: temperature 1, no top-k / top-p
        sampling.samplesPerPrompt = settings.samplesPerPrefix;
        if (official) {
            const int64_t tokens = settings.continuationTokens > 0 ? settings.continuationTokens : settings.continuationWords;
            sampling.maxNewTokens = tokens;
            sampling.minNewTokens = tokens;
        } else {
            sampling.maxNewTokens = settings.maxNewTokens > 0 ? settings.maxNewTokens : longestReference;
        }
        if (positions > 0)
            sampling.maxNewTokens = std::min<int64_t>(sampling.maxNewTokens, positions - static_cast<int64_t>(longestPrompt));
        const bool stem = official ? false : settings.useStemmer;

        // The references' side does not depend on the seed: features once.
        std::vector<std::string> referenceTexts;
        for (const auto& example : examples)
            referenceTexts.push_back(example.fullReference());
        model::LanguageModel& featureModel = models.oracle ? *models.oracle : model;
        const text::Tokenizer& featureTokenizer = models.oracle ? *models.oracleTokenizer : tokenizer;
        torch::Tensor referenceFeatures;
        if (wanted.count("mauve"))
            referenceFeatures = lastTokenFeatures(featureModel, featureTokenizer, referenceTexts, settings.batchSize,
                                                  forward("features"));

        const size_t prefixCount = examples.size();
        const auto perSample = static_cast<size_t>(settings.samplesPerPrefix);
        for (int64_t s = 0; s < settings.seeds; ++s) {
            step("seed", s, settings.seeds);
            sampling.seed = settings.firstSeed + static_cast<uint64_t>(s);
            const auto samples = sampler.sample(prompts, sampling, forward("sampling"));  // prefix-major
            std::vector<std::string> sampleTexts, targets;
            for (const auto& sample : samples) {
                const auto& example = examples[static_cast<size_t>(sample.promptIndex)];
                sampleTexts.push_back(example.prefix +
                                      (official ? sample.text : truncateWords(sample.text, settings.continuationWords)));
                targets.push_back(example.fullReference());
            }
            // mean over each prefix's samples: values [prefixCount × perSample] → [prefixCount]
            auto perPrefix = [&](const std::vector<double>& values, const std::string& name) {
                for (size_t p = 0; p < prefixCount; ++p) {
                    double sum = 0.0;
                    for (size_t k = 0; k < perSample; ++k)
                        sum += values[p * perSample + k];
                    units[name].push_back(sum / static_cast<double>(perSample));
                }
            };
            if (wanted.count("rouge")) {
                const auto rouge = meanRouge(targets, sampleTexts, stem);
                values["rouge-1"].push_back(rouge.rouge1.fmeasure);
                values["rouge-l"].push_back(rouge.rougeL.fmeasure);
                std::vector<double> r1, rl;
                for (size_t i = 0; i < samples.size(); ++i) {
                    const auto pair = scoreRouge(targets[i], sampleTexts[i], stem);
                    r1.push_back(pair.rouge1.fmeasure);
                    rl.push_back(pair.rougeL.fmeasure);
                }
                perPrefix(r1, "rouge-1");
                perPrefix(rl, "rouge-l");
            }
            if (wanted.count("oracle-ppl") || wanted.count("rev-ce")) {
                // The sampled tokens under the oracle (rev-ce, and the pooled oracle-ppl); the official oracle-ppl
                // scores whole texts instead, so that pass is skipped when nothing else needs it.
                SequenceScores scores;
                if (wanted.count("rev-ce") || !official)
                    scores = reverseCrossEntropyScores(*models.oracle, *models.oracleTokenizer, tokenizer, samples,
                                                       settings.batchSize, forward("oracle"));
                if (wanted.count("rev-ce"))
                    values["rev-ce"].push_back(scores.total().meanNll);
                if (wanted.count("oracle-ppl")) {
                    SequenceScores whole;
                    const PerplexityResult ppl =
                        official ? officialOraclePerplexity(*models.oracle, *models.oracleTokenizer, sampleTexts, &whole,
                                                            64, settings.batchSize, forward("oracle"))
                                 : scores.total();
                    if (!official)
                        whole = scores;
                    values["oracle-ppl"].push_back(ppl.perplexity);
                    std::vector<double> nll(samples.size());
                    for (size_t i = 0; i < samples.size(); ++i)
                        nll[i] = whole.tokens[i] > 0 ? whole.nll[i] / static_cast<double>(whole.tokens[i]) : 0.0;
                    perPrefix(nll, "oracle-ppl");
                }
            }
            if (wanted.count("mauve")) {
                const auto sampleFeatures = lastTokenFeatures(featureModel, featureTokenizer, sampleTexts,
                                                              settings.batchSize, forward("features"));
                if (official) {  // one MAUVE per sample index k: the k-th sample of every prefix
                    double sum = 0.0;
                    for (size_t k = 0; k < perSample; ++k) {
                        std::vector<int64_t> rows;
                        for (size_t p = 0; p < prefixCount; ++p)
                            rows.push_back(static_cast<int64_t>(p * perSample + k));
                        const auto q = sampleFeatures.index_select(0, torch::tensor(rows, torch::kLong));
                        const auto mauve = computeMauve(referenceFeatures, q, settings.mauve, forward("mauve"));
                        sum += mauve.score;
                        units["mauve"].push_back(mauve.score);
                        if (s == 0 && k == 0) {
                            report.hasMauve = true;
                            report.mauve = mauve;
                        }
                    }
                    values["mauve"].push_back(sum / static_cast<double>(perSample));
                } else {
                    const auto mauve = computeMauve(referenceFeatures, sampleFeatures, settings.mauve, forward("mauve"));
                    values["mauve"].push_back(mauve.score);
                    units["mauve"].push_back(mauve.score);
                    if (s == 0) {
                        report.hasMauve = true;
                        report.mauve = mauve;
                    }
                }
            }
        }
        step("seed", settings.seeds, settings.seeds);
    }
    // In the order the metrics were asked for.
    for (const auto& metric : settings.metrics) {
        for (const MetricInfo* info : metricsOfRequest(metric)) {
            const std::string name = info->name;
            const bool listed = std::any_of(report.metrics.begin(), report.metrics.end(),
                                            [&](const MetricValue& v) { return v.name == name; });
            if (!listed && values.count(name)) {
                MetricValue value = summarizeMetric(name, values[name]);
                if (units.count(name)) {
                    value.units = units[name];
                    value.unit = name == "mauve" ? (settings.protocol == ContinuationProtocol::Official ? "sample-index" : "seed")
                                                 : "prefix";
                }
                report.metrics.push_back(std::move(value));
            }
        }
    }
    return report;
}

} // namespace emo::eval
