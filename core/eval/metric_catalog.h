#pragma once
#include <string>
#include <vector>

// The one table of evaluation metrics: the name a report gives each value, the request that computes it
// (what `--metrics` and ModelEvaluationSettings::metrics take), which way is better, what it needs besides
// a model and a data file, and how it is shown. Every place that names, checks, orders or labels metrics
// reads it (eval, the CLI, the Evaluate and Compare views, the experiments' tables). Plain C++.
namespace emo::eval {

// What the metric reads.
enum class MetricInput {
    Data,           // the model scores the data's text (ppl, fwd-ce)
    Samples,        // the model's continuations against the human ones (mauve, rouge-1, rouge-l)
    OracleScored,   // the model's continuations scored by an oracle model (oracle-ppl, rev-ce)
    LabelledData,   // a JSONL of {text, label} (fewshot-acc)
};

// What a value is, for its number format: a perplexity (≥ 1, unbounded), nats per token, or a fraction in [0, 1].
enum class MetricScale { Perplexity, Nats, Fraction };

struct MetricInfo {
    const char* name;          // as reports name it (MetricValue::name): "ppl", "rouge-1", "fewshot-acc", …
    const char* request;       // what asks for it: "ppl", "rouge" (→ rouge-1 and rouge-l), "fewshot", …
    bool lowerIsBetter;
    MetricInput input;
    MetricScale scale;
    const char* label;         // "Perplexity", "ROUGE-1", …
    const char* shortLabel;    // a column heading without the arrow: "PPL", "Oracle PPL", …
    const char* description;   // one line: what it measures (the direction is added by metricTooltip)
};

// Report order (the Evaluate view's column order): ppl, oracle-ppl, fwd-ce, rev-ce, mauve, rouge-1, rouge-l,
// fewshot-acc.
const std::vector<MetricInfo>& metricCatalog();
// By report name; nullptr when it is none of the catalog's.
const MetricInfo* findMetric(const std::string& name);

// The requests in catalog order (ppl, oracle-ppl, fwd-ce, rev-ce, mauve, rouge, fewshot), each once.
const std::vector<std::string>& metricRequests();
bool isMetricRequest(const std::string& request);
// The values a request reports, in catalog order ("rouge" → rouge-1, rouge-l); empty when unknown.
std::vector<const MetricInfo*> metricsOfRequest(const std::string& request);
// Whether computing `request` needs an oracle model / sampled continuations.
bool requestNeedsOracle(const std::string& request);
bool requestNeedsSamples(const std::string& request);
// "ppl, oracle-ppl, …" for messages that list what can be asked.
std::string metricRequestList();

// "PPL ↓" / "MAUVE ↑": shortLabel with the direction's arrow. Unknown names come back as they are.
std::string metricHeader(const std::string& name);
// The metric's description with "(lower is better)" or "(higher is better)".
std::string metricTooltip(const std::string& name);

} // namespace emo::eval
