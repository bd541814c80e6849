#include "eval/metric_catalog.h"

#include <algorithm>

namespace emo::eval {

const std::vector<MetricInfo>& metricCatalog()
{
    using I = MetricInput;
    using S = MetricScale;
    static const std::vector<MetricInfo> catalog = {
        {"ppl", "ppl", true, I::Data, S::Perplexity, "Perplexity", "PPL",
         "exp(mean −log p) of the data under the model"},
        {"oracle-ppl", "oracle-ppl", true, I::OracleScored, S::Perplexity, "Oracle perplexity", "Oracle PPL",
         "Perplexity of the model's continuations under the oracle model: precision"},
        {"fwd-ce", "fwd-ce", true, I::Data, S::Nats, "Forward CE", "Fwd CE",
         "Cross-entropy of the reference continuations under the model, nats per token: recall / coverage"},
        {"rev-ce", "rev-ce", true, I::OracleScored, S::Nats, "Reverse CE", "Rev CE",
         "Cross-entropy of the model's continuations under the oracle, nats per token: precision"},
        {"mauve", "mauve", false, I::Samples, S::Fraction, "MAUVE", "MAUVE",
         "Area under the divergence curve of model vs human continuations in feature space, in [0, 1]"},
        {"rouge-1", "rouge", false, I::Samples, S::Fraction, "ROUGE-1", "ROUGE-1",
         "F1 overlap of unigrams with the reference continuation"},
        {"rouge-l", "rouge", false, I::Samples, S::Fraction, "ROUGE-L", "ROUGE-L",
         "F1 of the longest common subsequence with the reference continuation"},
        {"fewshot-acc", "fewshot", false, I::LabelledData, S::Fraction, "Few-shot accuracy", "Few-shot acc.",
         "Accuracy of in-context classification with a few labelled examples in the prompt"},
    };
    return catalog;
}

const MetricInfo* findMetric(const std::string& name)
{
    for (const auto& m : metricCatalog())
        if (name == m.name)
            return &m;
    return nullptr;
}

const std::vector<std::string>& metricRequests()
{
    static const std::vector<std::string> requests = [] {
        std::vector<std::string> out;
        for (const auto& m : metricCatalog())
            if (std::find(out.begin(), out.end(), m.request) == out.end())
                out.push_back(m.request);
        return out;
    }();
    return requests;
}

bool isMetricRequest(const std::string& request)
{
    const auto& all = metricRequests();
    return std::find(all.begin(), all.end(), request) != all.end();
}

std::vector<const MetricInfo*> metricsOfRequest(const std::string& request)
{
    std::vector<const MetricInfo*> out;
    for (const auto& m : metricCatalog())
        if (request == m.request)
            out.push_back(&m);
    return out;
}

bool requestNeedsOracle(const std::string& request)
{
    const auto metrics = metricsOfRequest(request);
    return std::any_of(metrics.begin(), metrics.end(), [](const MetricInfo* m) { return m->input == MetricInput::OracleScored; });
}

bool requestNeedsSamples(const std::string& request)
{
    const auto metrics = metricsOfRequest(request);
    return std::any_of(metrics.begin(), metrics.end(), [](const MetricInfo* m) {
        return m->input == MetricInput::Samples || m->input == MetricInput::OracleScored;
    });
}

std::string metricRequestList()
{
    std::string out;
    for (const auto& request : metricRequests())
        out += (out.empty() ? "" : ", ") + request;
    return out;
}

std::string metricHeader(const std::string& name)
{
    const MetricInfo* m = findMetric(name);
    return m ? std::string(m->shortLabel) + (m->lowerIsBetter ? " ↓" : " ↑") : name;
}

std::string metricTooltip(const std::string& name)
{
    const MetricInfo* m = findMetric(name);
    return m ? std::string(m->description) + (m->lowerIsBetter ? " (lower is better)" : " (higher is better)") : name;
}

} // namespace emo::eval
