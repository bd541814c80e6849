// emo-bench: how fast and how lean the engine is, as ratios measured in one run on this machine.
//   gemm  — fp32 GEMM peak (the anchor every other number is compared with)
//   loss  — the loss alone, forward + backward: cross-entropy vs EMO (fused, plain autograd, official-style),
//           time and peak memory (each variant measured in a child process, so peaks do not mix)
//   step  — a whole training step (forward, loss, backward, AdamW) at the demo shape: EMO / MLE, and the MLE
//           step's FLOP rate as a fraction of the GEMM peak (PyTorch eager reaches 61–69 %, DESIGN.md)
#include "model/language_model.h"
#include "objective/cost_embedding.h"
#include "objective/objective.h"
#include "official_emo_loss.h"
#include "util/runtime.h"

#include <torch/torch.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double secondsOf(const std::function<void()>& work, int repeats)
{
    work();  // warm-up: first touch of buffers, lazy initialisation
    std::vector<double> times;
    for (int i = 0; i < repeats; ++i) {
        auto start = Clock::now();
        work();
        times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];  // median
}

long residentBytes()
{
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * sysconf(_SC_PAGESIZE);
}

struct LossShape { int64_t n, v, d; };

// Runs one loss variant forward + backward; used in the timing loop and in the memory child.
std::function<void()> lossVariant(const std::string& name, const LossShape& s, torch::Tensor& logits,
                                  torch::Tensor& labels, torch::Tensor& embedding, emo::objective::CostEmbedding& cost)
{
    using namespace emo::objective;
    ObjectiveSettings emo;
    emo.kind = ObjectiveKind::Emo;
    if (name == "ce")
        return [&] {
            logits.mutable_grad() = torch::Tensor();
            torch::nn::functional::cross_entropy(logits, labels).backward();
        };
    if (name == "emo-fused")
        return [&, emo] {
            logits.mutable_grad() = torch::Tensor();
            computeObjective(emo, logits, labels, &cost).loss.backward();
        };
    if (name == "emo-reference")
        return [&, emo] {
            logits.mutable_grad() = torch::Tensor();
            computeObjectiveReference(emo, logits, labels, &cost).loss.backward();
        };
    if (name == "emo-official")
        return [&] {
            logits.mutable_grad() = torch::Tensor();
            emo::bench::officialEmoLoss(logits, labels, embedding).backward();
        };
    (void)s;
    throw std::runtime_error("unknown loss variant " + name);
}

struct LossInputs {
    torch::Tensor logits, labels, embedding;
    emo::objective::CostEmbedding cost;
    explicit LossInputs(const LossShape& s)
    {
        torch::manual_seed(0);
        logits = torch::randn({s.n, s.v}).requires_grad_(true);
        labels = torch::randint(s.v, {s.n}, torch::kLong);
        embedding = torch::randn({s.v, s.d});
        cost = emo::objective::CostEmbedding(embedding);
    }
};

// Child process: allocate inputs, run the variant twice, print the peak resident growth in bytes.
int lossMemoryChild(const std::string& variant, const LossShape& s)
{
    LossInputs in(s);
    in.logits.mutable_grad() = torch::zeros_like(in.logits);  // the gradient buffer every variant needs
    long base = residentBytes();
    auto run = lossVariant(variant, s, in.logits, in.labels, in.embedding, in.cost);
    run();
    run();
    struct rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("%ld\n", usage.ru_maxrss * 1024L - base);
    return 0;
}

long measureInChild(const char* self, const std::string& variant, const LossShape& s)
{
    int pipeFds[2];
    if (pipe(pipeFds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipeFds[1], STDOUT_FILENO);
        close(pipeFds[0]);
        std::string n = std::to_string(s.n), v = std::to_string(s.v), d = std::to_string(s.d);
        execl("/proc/self/exe", self, "--memory-child", variant.c_str(), n.c_str(), v.c_str(), d.c_str(), (char*)nullptr);
        _exit(127);
    }
    close(pipeFds[1]);
    char buffer[64] = {};
    ssize_t got = read(pipeFds[0], buffer, sizeof buffer - 1);
    close(pipeFds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return got > 0 ? std::atol(buffer) : -1;
}

double benchGemm(int64_t n)
{
    auto a = torch::randn({n, n}), b = torch::randn({n, n}), c = torch::empty({n, n});
    double t = secondsOf([&] { torch::mm_out(c, a, b); }, 5);
    double gflops = 2.0 * n * n * n / t / 1e9;
    std::printf("gemm   %lldx%lldx%lld fp32: %.1f GFLOPS (%.3f s)\n", (long long)n, (long long)n, (long long)n, gflops, t);
    return gflops;
}

void benchLoss(const char* self, const LossShape& s)
{
    std::printf("loss   N=%lld V=%lld D=%lld, forward + backward, median of 3:\n", (long long)s.n, (long long)s.v, (long long)s.d);
    LossInputs in(s);
    double ceTime = 0;
    long ceMemory = 0;
    for (const std::string variant : {"ce", "emo-fused", "emo-reference", "emo-official"}) {
        double t = secondsOf(lossVariant(variant, s, in.logits, in.labels, in.embedding, in.cost), 3);
        long memory = measureInChild(self, variant, s);
        if (variant == "ce") {
            ceTime = t;
            ceMemory = memory;
        }
        std::printf("  %-14s %8.1f ms  %5.2fx time of ce   peak +%7.1f MiB  %5.2fx memory of ce\n", variant.c_str(),
                    t * 1e3, t / ceTime, memory / 1048576.0, ceMemory > 0 ? double(memory) / ceMemory : 0.0);
    }
}

void benchStep(const emo::io::ModelConfig& config, int64_t batch, int64_t block, double gemmPeak)
{
    using namespace emo::objective;
    auto model = emo::model::LanguageModel::create(config, 0);
    CostEmbedding cost(model->lmHeadWeight().detach());
    torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(5e-5).weight_decay(0));
    auto ids = torch::randint(config.vocabSize, {batch, block + 1}, torch::kLong);
    auto inputs = ids.slice(1, 0, block), labels = ids.slice(1, 1, block + 1).reshape({-1});
    const int64_t params = model->parameterCount();
    std::printf("step   %s L=%lld d=%lld V=%lld (%.2f M params), batch %lld x %lld tokens, median of 5:\n",
                config.modelType.c_str(), (long long)config.numLayers, (long long)config.hiddenSize,
                (long long)config.vocabSize, params / 1e6, (long long)batch, (long long)block);

    auto stepWith = [&](const std::function<torch::Tensor(const torch::Tensor&)>& loss) {
        return [&, loss] {
            optimizer.zero_grad();
            auto logits = model->forward(inputs).reshape({-1, config.vocabSize});
            loss(logits).backward();
            optimizer.step();
        };
    };
    ObjectiveSettings mle, emo;
    emo.kind = ObjectiveKind::Emo;
    double tMle = secondsOf(stepWith([&](const torch::Tensor& z) { return computeObjective(mle, z, labels, nullptr).loss; }), 5);
    double tEmo = secondsOf(stepWith([&](const torch::Tensor& z) { return computeObjective(emo, z, labels, &cost).loss; }), 5);
    double tOfficial = secondsOf(stepWith([&](const torch::Tensor& z) {
        return emo::bench::officialEmoLoss(z, labels, model->lmHeadWeight().detach()); }), 5);

    // Matmul FLOPs of a training step ≈ 3 × forward (backward is two GEMMs per forward GEMM).
    const double tokens = double(batch * block);
    const double d = config.hiddenSize, f = config.intermediateSize, L = config.numLayers, V = config.vocabSize;
    const double kv = double(config.numKeyValueHeads * config.headDim());
    const bool llama = config.modelType == "llama";
    const double perLayer = 2 * tokens * (d * d + 2 * d * kv + d * d + (llama ? 3 : 2) * d * f) + 2 * 2 * tokens * block * d;
    const double forward = L * perLayer + 2 * tokens * d * V;
    const double gflops = 3 * forward / tMle / 1e9;
    std::printf("  mle            %8.1f ms  %6.1f GFLOPS = %4.0f %% of the GEMM peak\n", tMle * 1e3, gflops, 100 * gflops / gemmPeak);
    std::printf("  emo (fused)    %8.1f ms  %5.2fx the MLE step\n", tEmo * 1e3, tEmo / tMle);
    std::printf("  emo (official) %8.1f ms  %5.2fx the MLE step\n", tOfficial * 1e3, tOfficial / tMle);
}

emo::io::ModelConfig demoConfig(bool quick)
{
    emo::io::ModelConfig c;
    c.modelType = "llama";
    c.vocabSize = quick ? 2000 : 8000;
    c.hiddenSize = quick ? 128 : 256;
    c.numLayers = quick ? 2 : 4;
    c.numHeads = 4;
    c.numKeyValueHeads = 4;
    c.intermediateSize = quick ? 344 : 688;
    c.maxPositions = 512;
    c.normEps = 1e-5;
    c.tieWordEmbeddings = true;
    c.activation = "silu";
    c.raw = nlohmann::json::object();
    return c;
}

} // namespace

int main(int argc, char** argv)
{
    emo::util::keepFreedMemory();
    emo::util::initThreads();
    if (argc == 6 && std::strcmp(argv[1], "--memory-child") == 0)
        return lossMemoryChild(argv[2], {std::atoll(argv[3]), std::atoll(argv[4]), std::atoll(argv[5])});

    bool quick = false;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--quick") quick = true;
        else if (arg == "--only" && i + 1 < argc) only = argv[++i];
        else if (arg == "--help" || arg == "-h") {
            std::printf("usage: emo-bench [--quick] [--only gemm|loss|step]\n");
            return 0;
        } else {
            std::fprintf(stderr, "emo-bench: unknown argument %s\n", arg.c_str());
            return 2;
        }
    }
    const auto blas = emo::util::detectBlas();
    std::printf("emo-bench: %d threads, BLAS %s, LibTorch %s%s\n", at::get_num_threads(), blas.name.c_str(), TORCH_VERSION,
                quick ? ", quick shapes" : "");
    double peak = 1;
    if (only.empty() || only == "gemm" || only == "step")
        peak = benchGemm(quick ? 512 : 2048);
    if (only.empty() || only == "loss")
        benchLoss(argv[0], quick ? LossShape{512, 2000, 128} : LossShape{4096, 50257, 768});
    if (only.empty() || only == "step")
        benchStep(demoConfig(quick), quick ? 2 : 8, quick ? 64 : 256, peak);
    return 0;
}
