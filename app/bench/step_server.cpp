#include "step_server.h"

#include "bench_objective.h"
#include "model/kv_cache.h"
#include "model/language_model.h"
#include "objective/cost_embedding.h"
#include "objective/objective.h"
#include "train/block_objective.h"
#include "train/blocked_adamw.h"
#include "train/gradients.h"
#include "util/runtime.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <vector>

namespace emo::bench {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

torch::Tensor readBatch(const StepServerOptions& o)
{
    std::ifstream in(o.batchFile, std::ios::binary);
    std::vector<int64_t> ids(size_t(o.rows * o.cols));
    in.read(reinterpret_cast<char*>(ids.data()), std::streamsize(ids.size() * sizeof(int64_t)));
    if (!in)
        throw std::runtime_error("step server: " + o.batchFile + " holds fewer than rows × cols ids");
    return torch::tensor(ids, torch::kLong).view({o.rows, o.cols});
}

// ids [B,P] → prefill and decode seconds of greedy decoding of `fresh` tokens with the KV cache.
std::pair<double, double> greedy(model::LanguageModel& model, const torch::Tensor& prompt, int64_t fresh)
{
    c10::InferenceMode inference;
    model::KVCache cache;
    auto start = Clock::now();
    torch::Tensor token = model.forward(prompt, &cache).select(1, -1).argmax(-1, true);  // [B,1]
    const double prefill = since(start);
    start = Clock::now();
    for (int64_t i = 1; i < fresh; ++i)
        token = model.forward(token, &cache).select(1, -1).argmax(-1, true);
    return {prefill, since(start)};
}

} // namespace

int serveSteps(const StepServerOptions& o)
{
    objective::ObjectiveSettings settings;
    BenchObjective parsed;
    if (!parseBenchObjective(o.objective, &parsed)) {
        std::printf("error unknown objective %s\n", o.objective.c_str());
        return 2;
    }
    settings.kind = parsed.kind;
    auto model = model::LanguageModel::load(o.modelDir);
    model->train();
    const torch::Tensor ids = readBatch(o);  // [rows,cols]
    std::optional<objective::CostEmbedding> cost;
    if (settings.kind == objective::ObjectiveKind::Emo)
        cost.emplace(model->lmHeadWeight().detach());
    const objective::CostEmbedding* costIfUsed = cost ? &*cost : nullptr;
    train::BlockedAdamW optimizer(model->parameters(), torch::optim::AdamWOptions(5e-5).weight_decay(0));
    auto loss = [&] {
        if (parsed.viaLogits) {
            const torch::Tensor logits = model->forward(ids);  // [rows,cols,V]
            return objective::computeObjective(settings, logits.reshape({-1, logits.size(-1)}),
                                               train::shiftedLabels(ids).reshape({-1}), costIfUsed)
                .loss;
        }
        return train::blockObjective(*model, settings, ids, costIfUsed, o.chunkRows).loss;
    };
    const int64_t ready = util::residentBytes();
    std::printf("ready\n");
    std::fflush(stdout);
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream words(line);
        std::string command;
        words >> command;
        if (command == "quit")
            break;
        try {
            if (command == "check") {
                torch::NoGradGuard noGrad;
                std::printf("loss %.9g\n", loss().item<double>());
            } else if (command == "step") {
                const auto start = Clock::now();
                train::dropGradients(optimizer);
                const torch::Tensor value = loss();
                value.backward();
                optimizer.step();
                std::printf("seconds %.6f loss %.9g\n", since(start), value.item<double>());
            } else if (command == "sample") {
                int64_t rows = 1, fresh = 1;
                words >> rows >> fresh;
                const auto prompt = ids.slice(1, 0, 16).narrow(0, 0, 1).expand({rows, 16}).contiguous();
                const auto [prefill, decode] = greedy(*model, prompt, fresh);
                std::printf("prefill %.6f decode %.6f\n", prefill, decode);
            } else if (command == "memory") {
                std::printf("peak %lld\n", static_cast<long long>(util::peakResidentBytes() - ready));
            } else {
                std::printf("error unknown command %s\n", command.c_str());
            }
        } catch (const std::exception& e) {
            std::string what = e.what();
            what = what.substr(0, what.find('\n'));
            std::printf("error %s\n", what.c_str());
        }
        std::fflush(stdout);
    }
    return 0;
}

} // namespace emo::bench
