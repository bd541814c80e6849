#include "eval/model_evaluation.h"

#include "eval/metric_catalog.h"
#include "eval/perplexity.h"
#include "io/documents.h"
#include "text/document_blocks.h"
#include "model/language_model.h"
#include "util/error.h"

#include <algorithm>

namespace emo::eval {

ModelEvaluation evaluateModel(const ContinuationModels& models, const std::string& dataPath,
                              ModelEvaluationSettings settings, const ProgressCallback& progress)
{
    if (!models.model || !models.tokenizer)
        throw Error::badInput("evaluate: no model");
    for (const auto& metric : settings.metrics)
        if (!isMetricRequest(metric))
            throw Error::badInput("metrics: unknown metric '" + metric + "' (available: " + metricRequestList() + ")");
    model::LanguageModel& model = *models.model;

    ModelEvaluation out;
    std::vector<std::string> continuationMetrics;
    for (const auto& metric : settings.metrics)  // ppl and fewshot are computed here, the others on continuations
        if (metric != "ppl" && metric != "fewshot")
            continuationMetrics.push_back(metric);
    EvalReport continuation;
    if (!continuationMetrics.empty()) {
        settings.continuation.metrics = continuationMetrics;
        settings.continuation.batchSize = settings.batchSize;
        settings.continuation.firstSeed = settings.seed;
        continuation = evaluateContinuations(models, io::readDocuments(dataPath), settings.continuation, progress);
        out.report.hasMauve = continuation.hasMauve;
        out.report.mauve = continuation.mauve;
    }

    for (const auto& metric : settings.metrics) {
        if (metric == "ppl") {
            const int64_t block = settings.pplBlock > 0 ? settings.pplBlock : std::min<int64_t>(256, model.config().maxPositions);
            if (block > model.config().maxPositions)
                throw Error::badInput("block: " + std::to_string(block) + " exceeds the model's context of "
                                      + std::to_string(model.config().maxPositions) + " tokens");
            const auto blocks = text::tokenizeIntoBlocks(io::readDocuments(dataPath), *models.tokenizer, block);
            SequenceScores perBlock;
            MetricValue ppl = summarizeMetric(
                "ppl", {computePerplexity(model, blocks, settings.batchSize, progress, &perBlock).perplexity});
            for (size_t i = 0; i < perBlock.nll.size(); ++i)  // paired units: mean −log p per block
                ppl.units.push_back(perBlock.nll[i] / static_cast<double>(std::max<int64_t>(1, perBlock.tokens[i])));
            ppl.unit = "block";
            out.report.metrics.push_back(std::move(ppl));
        } else if (metric == "fewshot") {
            settings.fewShot.seed = settings.seed;
            settings.fewShot.batchSize = settings.batchSize;
            out.fewShot = evaluateFewShot(model, *models.tokenizer, readLabelledJsonl(dataPath), settings.fewShot, progress);
            out.hasFewShot = true;
            out.report.metrics.push_back(summarizeMetric("fewshot-acc", {out.fewShot.accuracy}));
        } else {
            for (const auto& value : continuation.metrics)
                if (const MetricInfo* info = findMetric(value.name); info && metric == info->request)
                    out.report.metrics.push_back(value);
        }
    }
    return out;
}

} // namespace emo::eval
