#include "eval_bench.h"

#include "eval/model_evaluation.h"
#include "model/language_model.h"
#include "model/model_folder.h"

#include <chrono>
#include <cstdio>
#include <map>

namespace emo::bench {

nlohmann::json benchMauveEval(const EvalBenchOptions& options)
{
    using Clock = std::chrono::steady_clock;
    const std::string models = options.resources + "/models/";
    const std::string data = options.resources + "/data/finetune/test.txt";
    auto evaluated = model::loadModelFolder(models + "demo-mle");
    auto features = model::loadModelFolder(models + "demo-base");

    eval::ModelEvaluationSettings settings;
    settings.metrics = {"mauve"};
    settings.continuation.maxPrefixes = options.prefixes;
    settings.continuation.samplesPerPrefix = options.samplesPerPrefix;
    settings.continuation.continuationWords = options.continuationWords;

    // Each progress report closes an interval of work of its stage: time is charged to the stage reported.
    std::map<std::string, double> stageSeconds;
    std::vector<std::string> stageOrder;
    auto last = Clock::now();
    const auto start = last;
    auto progress = [&](const Progress& p) {
        const auto now = Clock::now();
        if (!stageSeconds.count(p.stage))
            stageOrder.push_back(p.stage);
        stageSeconds[p.stage] += std::chrono::duration<double>(now - last).count();
        last = now;
        return true;
    };
    const auto evaluation = eval::evaluateModel({evaluated.model.get(), evaluated.tokenizer.get(), features.model.get(),
                                                 features.tokenizer.get()}, data, settings, progress);
    const double total = std::chrono::duration<double>(Clock::now() - start).count();
    stageSeconds["rest"] += std::chrono::duration<double>(Clock::now() - last).count();
    stageOrder.push_back("rest");

    const int64_t samples = options.prefixes * options.samplesPerPrefix;
    const double score = evaluation.report.hasMauve ? evaluation.report.mauve.score : 0.0;
    std::printf("eval   emo eval --metrics mauve: demo-mle, features of demo-base, %lld prefixes x %lld samples of %lld words\n"
                "  %.1f s in all, %.1f samples/s, MAUVE %.4f;", (long long)options.prefixes,
                (long long)options.samplesPerPrefix, (long long)options.continuationWords, total, samples / total, score);
    nlohmann::json stages = nlohmann::json::object();
    for (const auto& stage : stageOrder) {
        std::printf(" %s %.2f s", stage.c_str(), stageSeconds[stage]);
        stages[stage] = stageSeconds[stage];
    }
    std::printf("\n");
    std::fflush(stdout);
    return {{"prefixes", options.prefixes}, {"samples", samples}, {"seconds", total},
            {"samples_per_second", samples / total}, {"mauve", score}, {"stage_seconds", stages}};
}

} // namespace emo::bench
