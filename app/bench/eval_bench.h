#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace emo::bench {

struct EvalBenchOptions {
    std::string resources;          // the bundled models and corpora (resources/)
    int64_t prefixes = 32;          // documents of finetune/test.txt
    int64_t samplesPerPrefix = 5;
    int64_t continuationWords = 80;
};

// `emo eval --metrics mauve` as a user runs it on the bundled models: demo-mle evaluated, demo-base as MAUVE's
// feature model, the paper's pooled protocol on finetune/test.txt. Prints seconds per stage (sampling,
// features, MAUVE's clustering) and throughput; returns the same as JSON.
nlohmann::json benchMauveEval(const EvalBenchOptions& options);

} // namespace emo::bench
