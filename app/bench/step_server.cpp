#include "step_server.h"

#include "model/kv_cache.h"
#include "model/language_model.h"
#include "objective/cost_embedding.h"
#include "objective/head_objective.h"
#include "objective/objective.h"
#include "objective/objective_types.h"
#include "train/blocked_adamw.h"
#include "train/gradients.h"

#include <torch/torch.h>

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

namespace emo::bench {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

long residentBytes()
{
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * sysconf(_SC_PAGESIZE);
}

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
    // "emo+logits": the objective on the materialised [N,V] logits (the path before the head was fused), to compare.
    const std::string suffix = "+logits";
    const bool viaLogits = o.objective.size() > suffix.size()
                           && o.objective.compare(o.objective.size() - suffix.size(), suffix.size(), suffix) == 0;
    const std::string kind = viaLogits ? o.objective.substr(0, o.objective.size() - suffix.size()) : o.objective;
    if (!objective::parseObjectiveKind(kind, &settings.kind)) {
        std::printf("error unknown objective %s\n", o.objective.c_str());
        return 2;
    }
    auto model = model::LanguageModel::load(o.modelDir);
    model->train();
    const torch::Tensor ids = readBatch(o);
    const torch::Tensor inputs = ids.slice(1, 0, o.cols - 1).contiguous();
    const torch::Tensor labels = ids.slice(1, 1, o.cols).reshape({-1}).contiguous();
    const objective::CostEmbedding cost(model->lmHeadWeight().detach());
    const objective::CostEmbedding* costIfUsed = settings.kind == objective::ObjectiveKind::Emo ? &cost : nullptr;
    train::BlockedAdamW optimizer(model->parameters(), torch::optim::AdamWOptions(5e-5).weight_decay(0));
    const int64_t d = model->config().hiddenSize;
    auto loss = [&] {
        if (viaLogits) {
            const torch::Tensor logits = model->forward(inputs);
            return objective::computeObjective(settings, logits.reshape({-1, logits.size(-1)}), labels, costIfUsed).loss;
        }
        const torch::Tensor hidden = model->hiddenStates(inputs).reshape({-1, d});
        return objective::computeHeadObjective(settings, hidden, model->lmHeadWeight(), labels, costIfUsed, o.chunkRows)
            .loss;
    };
    const long ready = residentBytes();
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
                struct rusage usage{};
                getrusage(RUSAGE_SELF, &usage);
                std::printf("peak %ld\n", usage.ru_maxrss * 1024L - ready);
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
