// emo-bench: how fast and how lean the engine is, as ratios measured in one run on this machine.
//   gemm  — fp32 GEMM peak (the anchor every other number is compared with)
//   loss  — the loss alone, forward + backward: cross-entropy vs EMO (fused, plain autograd, official-style),
//           time and peak memory (each variant measured in a child process, so peaks do not mix)
//   step  — a whole training step (forward, objective, backward, AdamW) per objective, the engine against a
//           PyTorch-eager twin (eager_twin.py) on the same weights and batch, interleaved; peak memory of each;
//           greedy sampling tokens/s at batch 1, 8, 32 (step_bench.h)
//   eval  — `emo eval --metrics mauve` on the bundled demo models, seconds per stage (eval_bench.h)
//   ddp   — data-parallel scaling 1 → 2 processes, one thread each (ddp_bench.h)
//   growth — the step as V and T grow (only when asked for)
#include "bench_objective.h"
#include "bench_shape.h"
#include "ddp_bench.h"
#include "eval_bench.h"
#include "sample_times.h"
#include "step_bench.h"
#include "step_server.h"
#include "objective/cost_embedding.h"
#include "objective/objective.h"
#include "official_emo_loss.h"
#include "util/resources_dir.h"
#include "util/runtime.h"

#include <torch/torch.h>

#include <sys/wait.h>
#include <unistd.h>

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
    emo::bench::SampleTimes times;
    for (int i = 0; i < repeats; ++i) {
        auto start = Clock::now();
        work();
        times.seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    }
    return times.median();
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
    const int64_t base = emo::util::residentBytes();
    auto run = lossVariant(variant, s, in.logits, in.labels, in.embedding, in.cost);
    run();
    run();
    std::printf("%lld\n", static_cast<long long>(emo::util::peakResidentBytes() - base));
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

// The engine's MLE and EMO step as V grows (the demo body, 8 × 256 tokens) and as the sequence grows at a
// constant 2048 tokens per batch (V 8000): one line per point, the fastest of the repetitions and peak memory.
nlohmann::json growthTable(emo::bench::StepBenchOptions step, bool quick)
{
    using emo::bench::customShape;
    step.objectives = {"mle", "emo"};
    step.twinScript.clear();
    step.sampleRows.clear();
    step.repeats = quick ? 1 : 3;
    std::vector<std::pair<std::string, emo::bench::BenchShape>> points;
    for (const int64_t vocab : quick ? std::vector<int64_t>{2000, 8000} : std::vector<int64_t>{8000, 50257, 128256})
        points.emplace_back("V " + std::to_string(vocab), customShape("llama", 4, 256, 4, 4, vocab, 256, 8));
    for (const int64_t seq : quick ? std::vector<int64_t>{64, 128} : std::vector<int64_t>{128, 256, 512, 1024})
        points.emplace_back("T " + std::to_string(seq), customShape("llama", 4, 256, 4, 4, 8000, seq, 2048 / seq));
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [label, shape] : points) {
        const nlohmann::json r = emo::bench::benchStepAgainstEager(shape, step);
        const auto& mle = r["objectives"]["mle"];
        const auto& emo = r["objectives"]["emo"];
        rows.push_back({{"point", label}, {"describe", r["describe"]},
                        {"mle_ms", mle["engine_ms"]["min"]}, {"emo_ms", emo["engine_ms"]["min"]},
                        {"mle_peak_mib", mle["engine_peak_mib"]}, {"emo_peak_mib", emo["engine_peak_mib"]},
                        {"mle_gemm_share", mle["engine_gemm_share"].get<double>() * mle["engine_ms"]["median"].get<double>()
                                               / mle["engine_ms"]["min"].get<double>()}});
    }
    std::printf("growth (engine, best of %d: the machine's noise only ever adds time):\n  %-8s %-40s %9s %9s %8s %9s %9s %6s\n", step.repeats, "point",
                "shape", "mle ms", "emo ms", "emo/mle", "mle MiB", "emo MiB", "GEMM");
    for (const auto& row : rows)
        std::printf("  %-8s %-40s %9.0f %9.0f %7.2fx %9.0f %9.0f %4.0f %%\n", row["point"].get<std::string>().c_str(),
                    row["describe"].get<std::string>().c_str(), row["mle_ms"].get<double>(), row["emo_ms"].get<double>(),
                    row["emo_ms"].get<double>() / row["mle_ms"].get<double>(), row["mle_peak_mib"].get<double>(),
                    row["emo_peak_mib"].get<double>(), 100 * row["mle_gemm_share"].get<double>());
    return rows;
}

const char* const kUsage =
    "usage: emo-bench [--quick] [--only gemm|loss|step|eval|ddp|growth] [--shape demo|gpt2-small|quick ...]\n"
    "                 [--arch llama|gpt2 --layers L --d D --heads H --kv-heads K --vocab V --seq T --batch B]\n"
    "                 [--objectives mle,emo,tailr,mixce,mle+logits,...] [--repeats N] [--chunk ROWS] [--twin PATH|none]\n"
    "                 [--sample-rows 1,8,32|none] [--json FILE]\n"
    "  default: gemm, loss, the step at the demo and GPT-2-small shapes against the eager twin, eval and ddp\n"
    "  ddp: an EMO fine-tune of demo-base as 1 process and as 2 (Gloo, loopback), one thread each: scaling efficiency\n"
    "  eval: emo eval's MAUVE job on the bundled demo models (sampling, features, clustering), seconds per stage\n"
    "  growth: the engine's MLE and EMO step as V grows (8000, 50257, 128256) and as T grows (128 to 1024)\n"
    "  --quick: small shapes, one repetition (a smoke test; it checks that engine and twin agree, not speed)\n"
    "  shape flags define one more shape, starting from the demo shape's values\n"
    "  OBJECTIVE+logits: the engine computes [N,V] logits, then the objective (the path before the LM head was\n"
    "  fused with it), for before/after figures in one run\n";

std::vector<std::string> splitList(const std::string& text)
{
    std::vector<std::string> out;
    size_t begin = 0;
    while (begin <= text.size()) {
        const size_t comma = text.find(',', begin);
        const std::string item = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
        if (!item.empty())
            out.push_back(item);
        if (comma == std::string::npos)
            break;
        begin = comma + 1;
    }
    return out;
}

int64_t number(const std::string& flag, const char* text)
{
    char* end = nullptr;
    const long long value = std::strtoll(text, &end, 10);
    if (!end || *end != '\0' || value < 0)
        throw std::invalid_argument(flag + " needs a whole number, not " + text);
    return value;
}

} // namespace

int main(int argc, char** argv)
{
    emo::util::keepFreedMemory();
    emo::util::initThreads();
    if (argc == 6 && std::strcmp(argv[1], "--memory-child") == 0)
        return lossMemoryChild(argv[2], {std::atoll(argv[3]), std::atoll(argv[4]), std::atoll(argv[5])});
    try {
        if (argc > 1 && std::strcmp(argv[1], "--ddp-child") == 0)
            return emo::bench::ddpChild(argc, argv);
        if (argc > 1 && std::strcmp(argv[1], "--serve-step") == 0) {
            emo::bench::StepServerOptions server;
            for (int i = 2; i + 1 < argc; i += 2) {
                const std::string flag = argv[i];
                if (flag == "--model") server.modelDir = argv[i + 1];
                else if (flag == "--batch") server.batchFile = argv[i + 1];
                else if (flag == "--rows") server.rows = number(flag, argv[i + 1]);
                else if (flag == "--cols") server.cols = number(flag, argv[i + 1]);
                else if (flag == "--objective") server.objective = argv[i + 1];
                else if (flag == "--chunk") server.chunkRows = number(flag, argv[i + 1]);
            }
            return emo::bench::serveSteps(server);
        }

        bool quick = false;
        std::string only, jsonPath, twin = EMO_EAGER_TWIN;
        std::vector<std::string> shapeNames, objectives;
        int repeats = 0;
        int64_t chunk = 0;
        std::vector<int64_t> sampleRows;
        bool haveSampleRows = false;
        emo::bench::BenchShape custom = emo::bench::namedShape("demo");
        bool haveCustom = false;
        std::string arch = custom.config.modelType;
        int64_t layers = custom.config.numLayers, d = custom.config.hiddenSize, heads = custom.config.numHeads,
                kvHeads = custom.config.numKeyValueHeads, vocab = custom.config.vocabSize, seq = custom.seq,
                batch = custom.batch;
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            const bool hasValue = i + 1 < argc;
            auto value = [&]() -> const char* {
                if (!hasValue)
                    throw std::invalid_argument(arg + " needs a value");
                return argv[++i];
            };
            if (arg == "--quick") quick = true;
            else if (arg == "--only") only = value();
            else if (arg == "--json") jsonPath = value();
            else if (arg == "--twin") twin = value();
            else if (arg == "--shape") shapeNames.push_back(value());
            else if (arg == "--objectives") objectives = splitList(value());
            else if (arg == "--repeats") repeats = int(number(arg, value()));
            else if (arg == "--chunk") chunk = number(arg, value());
            else if (arg == "--sample-rows") {
                sampleRows.clear();
                for (const auto& item : splitList(value()))
                    if (item != "none")
                        sampleRows.push_back(number(arg, item.c_str()));
                haveSampleRows = true;
            }
            else if (arg == "--arch") arch = value(), haveCustom = true;
            else if (arg == "--layers") layers = number(arg, value()), haveCustom = true;
            else if (arg == "--d") d = number(arg, value()), haveCustom = true;
            else if (arg == "--heads") heads = number(arg, value()), haveCustom = true;
            else if (arg == "--kv-heads") kvHeads = number(arg, value()), haveCustom = true;
            else if (arg == "--vocab") vocab = number(arg, value()), haveCustom = true;
            else if (arg == "--seq") seq = number(arg, value()), haveCustom = true;
            else if (arg == "--batch") batch = number(arg, value()), haveCustom = true;
            else if (arg == "--help" || arg == "-h") {
                std::printf("%s", kUsage);
                return 0;
            } else {
                std::fprintf(stderr, "emo-bench: unknown argument %s\n%s", arg.c_str(), kUsage);
                return 2;
            }
        }
        if (!only.empty() && only != "gemm" && only != "loss" && only != "step" && only != "eval" && only != "ddp"
            && only != "growth")
            throw std::invalid_argument("--only must be gemm, loss, step, eval, ddp or growth, not " + only);
        std::vector<emo::bench::BenchShape> shapes;
        for (const auto& name : shapeNames)
            shapes.push_back(emo::bench::namedShape(name));
        if (haveCustom)
            shapes.push_back(emo::bench::customShape(arch, layers, d, heads, kvHeads, vocab, seq, batch));
        if (shapes.empty()) {
            shapes.push_back(emo::bench::namedShape(quick ? "quick" : "demo"));
            if (!quick)
                shapes.push_back(emo::bench::namedShape("gpt2-small"));
        }
        emo::bench::StepBenchOptions step;
        step.self = "/proc/self/exe";
        step.repeats = repeats > 0 ? repeats : quick ? 1 : 3;
        step.chunkRows = chunk;
        step.threads = at::get_num_threads();
        step.twinScript = twin == "none" ? std::string() : twin;
        if (!objectives.empty())
            step.objectives = objectives;
        for (const auto& objective : step.objectives) {
            emo::bench::BenchObjective parsed;
            if (!emo::bench::parseBenchObjective(objective, &parsed))
                throw std::invalid_argument("--objectives: unknown objective " + objective);
        }
        if (quick) {
            step.sampleRows = {1, 4};
            step.sampleTokens = 8;
        }
        if (haveSampleRows)
            step.sampleRows = sampleRows;
        if (!step.twinScript.empty() && access(step.twinScript.c_str(), R_OK) != 0)
            throw std::invalid_argument("--twin: cannot read " + step.twinScript + " (pass --twin none for the engine alone)");

        const auto blas = emo::util::detectBlas();
        std::printf("emo-bench: %d threads, BLAS %s, LibTorch %s%s\n", at::get_num_threads(), blas.name.c_str(),
                    TORCH_VERSION, quick ? ", quick shapes" : "");
        nlohmann::json report{{"threads", at::get_num_threads()}, {"blas", blas.name}, {"quick", quick}};
        double peak = 1;
        if (only.empty() || only == "gemm" || only == "step" || only == "growth") {
            peak = benchGemm(quick ? 512 : 2048);
            report["gemm_peak_gflops"] = peak;
        }
        if (only.empty() || only == "loss")
            benchLoss(argv[0], quick ? LossShape{512, 2000, 128} : LossShape{4096, 50257, 768});
        bool ok = true;
        if (only.empty() || only == "step") {
            step.gemmPeak = peak;
            report["steps"] = nlohmann::json::array();
            for (const auto& shape : shapes) {
                report["steps"].push_back(emo::bench::benchStepAgainstEager(shape, step));
                ok = ok && report["steps"].back()["ok"].get<bool>();
            }
        }
        if (only.empty() || only == "eval") {
            emo::bench::EvalBenchOptions eval;
            eval.resources = emo::util::resourcesDir(EMO_RESOURCES_DIR);
            if (quick) {
                eval.prefixes = 4;
                eval.samplesPerPrefix = 2;
                eval.continuationWords = 20;
            }
            report["eval"] = emo::bench::benchMauveEval(eval);
        }
        if (only.empty() || only == "ddp") {
            emo::bench::DdpBenchOptions ddp;
            ddp.resources = emo::util::resourcesDir(EMO_RESOURCES_DIR);
            if (quick) {
                ddp.model = "demo-tiny";
                ddp.steps = 4;
                ddp.warmup = 1;
            }
            report["ddp"] = emo::bench::benchDataParallel(ddp);
        }
        if (only == "growth") {
            step.gemmPeak = peak;
            report["growth"] = growthTable(step, quick);
        }
        if (!jsonPath.empty()) {
            std::ofstream out(jsonPath);
            out << report.dump(2) << "\n";
            if (!out)
                throw std::runtime_error("cannot write " + jsonPath);
        }
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "emo-bench: %s\n", e.what());
        return 2;
    }
}
