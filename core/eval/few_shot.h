#pragma once
#include "util/progress.h"

#include <cstdint>
#include <string>
#include <vector>

namespace emo::model { class LanguageModel; }
namespace emo::text { class Tokenizer; }

namespace emo::eval {

// One labelled example of a classification set.
struct LabelledExample {
    std::string text;
    std::string label;
};

// Reads a JSONL file of {"text": ..., "label": ...} objects (other fields ignored; blank lines skipped).
// A missing file, bad JSON, or a line without string "text"/"label" throws emo::Error(BadInput) naming the
// file and line.
std::vector<LabelledExample> readLabelledJsonl(const std::string& path);

// The paper's NLU protocol: score each label's filled template by the model's log-likelihood, pick the best.
struct FewShotSettings {
    std::string templateText = "{text}\nTopic: {label}";  // "{text}" and "{label}" are replaced (each, every time)
    int64_t shots = 0;                  // k in-context examples, with their gold labels
    uint64_t seed = 0;                  // chooses the demonstrations
    std::vector<std::string> labels;    // candidates; empty: the set's distinct labels in order of appearance
    std::string separator = "\n\n";     // between demonstrations and before the query
    int64_t maxExamples = 0;            // examples classified (the first ones; 0 = all); demos come from all
    int64_t batchSize = 8;
};

struct FewShotResult {
    double accuracy = 0.0;
    int64_t correct = 0;
    int64_t total = 0;
    std::vector<std::string> labels;              // the candidates, in scoring order
    std::vector<int64_t> predictions;             // per classified example: index into labels (argmax, first on ties)
    std::vector<int64_t> gold;                    // index into labels, −1 when the gold label is not a candidate
    std::vector<std::vector<double>> scores;      // [example][label] Σ log p of the query's tokens (natural log)
};

// fillTemplate("{text}\nTopic: {label}", "x", "law") = "x\nTopic: law".
std::string fillTemplate(const std::string& templateText, const std::string& text, const std::string& label);

// The k demonstrations of example `index`: k distinct indices of 0..n−1 other than `index`, drawn by a
// counter-based generator from (seed, index), so the same for every model and run. k must be < n.
std::vector<int64_t> fewShotDemonstrations(int64_t n, int64_t index, int64_t k, uint64_t seed);

// The context before the query of example `index`: its demonstrations filled with their gold labels, each
// followed by the separator ("" when shots = 0).
std::string fewShotContext(const std::vector<LabelledExample>& examples, int64_t index, const FewShotSettings& settings);

// For each example (up to maxExamples) and candidate label, the score is Σ log p(query tokens | context)
// where query = fillTemplate(text, label) is tokenized after the context (textSequence(context, query));
// the prediction is the argmax. Throws emo::Error(BadInput) for no examples, fewer than two labels,
// shots ≥ the number of examples, or a template without "{label}". Demonstrations that overflow the model's
// positions are cut from the left (the query must fit). `progress` false cancels.
FewShotResult evaluateFewShot(model::LanguageModel& model, const text::Tokenizer& tokenizer,
                              const std::vector<LabelledExample>& examples, const FewShotSettings& settings,
                              const ProgressCallback& progress = {});

} // namespace emo::eval
