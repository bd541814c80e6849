#pragma once
#include "eval/continuation_eval.h"
#include "eval/eval_types.h"
#include "eval/few_shot.h"
#include "util/progress.h"

#include <string>
#include <vector>

namespace emo::eval {

// Every metric of `emo eval` and the Evaluate view on one model and one data file, in the order asked
// (the requests of eval/metric_catalog.h):
//   "ppl"      perplexity of the data (documents + EOS, concatenated, blocks of pplBlock tokens)
//   "fewshot"  few-shot accuracy on a JSONL of {text, label} ("fewshot-acc")
//   "mauve", "rouge" (→ "rouge-1", "rouge-l"), "oracle-ppl", "fwd-ce", "rev-ce": evaluateContinuations.
// Unknown metric, a block past the model's context, a missing oracle: emo::Error(BadInput) naming it.
struct ModelEvaluationSettings {
    std::vector<std::string> metrics = {"ppl"};
    int64_t pplBlock = 0;                 // 0 = min(256, the model's context)
    int64_t batchSize = 8;
    uint64_t seed = 0;                    // sampling (first seed) and few-shot demonstrations
    ContinuationEvalSettings continuation;
    FewShotSettings fewShot;
};

struct ModelEvaluation {
    EvalReport report;                    // model and data fields left to the caller
    bool hasFewShot = false;
    FewShotResult fewShot;
};

ModelEvaluation evaluateModel(const ContinuationModels& models, const std::string& dataPath,
                              ModelEvaluationSettings settings, const ProgressCallback& progress = {});

} // namespace emo::eval
