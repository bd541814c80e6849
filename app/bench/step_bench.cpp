#include "step_bench.h"

#include "bench_objective.h"
#include "line_process.h"
#include "sample_times.h"
#include "model/language_model.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

namespace emo::bench {

namespace {

// A fresh directory holding the model and the batch both sides load; removed with the object.
struct SharedInputs {
    std::filesystem::path dir;
    std::string modelDir, batchFile;
    explicit SharedInputs(const BenchShape& shape)
    {
        char pattern[] = "/tmp/emo-bench-XXXXXX";
        if (!mkdtemp(pattern))
            throw std::runtime_error("emo-bench: cannot make a temporary directory under /tmp");
        dir = pattern;
        modelDir = (dir / "model").string();
        batchFile = (dir / "batch.bin").string();
        model::LanguageModel::create(shape.config, 0)->save(modelDir);
        torch::manual_seed(1);
        const torch::Tensor ids = torch::randint(shape.config.vocabSize, {shape.batch, shape.seq + 1}, torch::kLong);
        std::ofstream out(batchFile, std::ios::binary);
        out.write(static_cast<const char*>(ids.data_ptr()), std::streamsize(ids.numel() * sizeof(int64_t)));
    }
    ~SharedInputs()
    {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
};

std::vector<std::string> serverFlags(const SharedInputs& in, const BenchShape& shape, const std::string& objective)
{
    return {"--model", in.modelDir, "--batch", in.batchFile, "--rows", std::to_string(shape.batch), "--cols",
            std::to_string(shape.seq + 1), "--objective", objective};
}

std::unique_ptr<LineProcess> startEngine(const StepBenchOptions& o, const SharedInputs& in, const BenchShape& shape,
                                         const std::string& objective)
{
    std::vector<std::string> argv{o.self, "--serve-step"};
    for (const auto& f : serverFlags(in, shape, objective))
        argv.push_back(f);
    argv.push_back("--chunk");
    argv.push_back(std::to_string(o.chunkRows));
    return std::make_unique<LineProcess>("the engine's step server", argv);
}

std::unique_ptr<LineProcess> startTwin(const StepBenchOptions& o, const SharedInputs& in, const BenchShape& shape,
                                       const std::string& objective)
{
    std::vector<std::string> argv{"/usr/bin/python3", o.twinScript};
    // The twin has one path per objective: "emo+logits" is an engine variant of "emo".
    BenchObjective parsed;
    if (!parseBenchObjective(objective, &parsed))
        throw std::invalid_argument("unknown objective " + objective);
    for (const auto& f : serverFlags(in, shape, objective::toString(parsed.kind)))
        argv.push_back(f);
    argv.push_back("--threads");
    argv.push_back(std::to_string(o.threads));
    return std::make_unique<LineProcess>("the eager twin (" + o.twinScript + ")", argv);
}

double mib(double bytes) { return bytes / 1048576.0; }

} // namespace

nlohmann::json benchStepAgainstEager(const BenchShape& shape, const StepBenchOptions& o)
{
    using nlohmann::json;
    const bool twin = !o.twinScript.empty();
    const double flops = trainingStepFlops(shape);
    SharedInputs inputs(shape);
    std::printf("step   %s, AdamW; %s; %d interleaved repetitions after a warm-up, min / median:\n",
                describe(shape).c_str(), twin ? "engine vs PyTorch eager on the same weights and batch" : "engine only",
                o.repeats);
    std::printf("  %-11s %17s %17s %8s %12s %12s %19s %10s\n", "", "engine ms", "eager ms", "speed-up", "engine GEMM",
                "eager GEMM", "peak MiB eng/eager", "loss check");
    json report{{"shape", shape.name}, {"describe", describe(shape)}, {"gflop_per_step", flops / 1e9},
                {"gemm_peak_gflops", o.gemmPeak}, {"objectives", json::object()}, {"ok", true}};
    double engineMle = 0;
    for (const std::string& objective : o.objectives) {
        auto engine = startEngine(o, inputs, shape, objective);
        std::unique_ptr<LineProcess> eager = twin ? startTwin(o, inputs, shape, objective) : nullptr;
        const double engineLoss = LineProcess::field(engine->request("check"), "loss");
        double eagerLoss = NAN;
        bool agree = true;
        if (eager) {
            eagerLoss = LineProcess::field(eager->request("check"), "loss");
            agree = std::abs(engineLoss - eagerLoss) <= 1e-4 * std::max(1.0, std::abs(eagerLoss));
        }
        engine->request("step");  // warm-up: first touch of buffers, the optimizer's state
        if (eager)
            eager->request("step");
        SampleTimes engineTimes, eagerTimes;
        for (int r = 0; r < o.repeats; ++r) {
            // Alternate who goes first, so that neither always runs on a machine the other just warmed.
            const bool engineFirst = r % 2 == 0;
            for (int side = 0; side < 2; ++side) {
                const bool engineTurn = (side == 0) == engineFirst;
                if (engineTurn)
                    engineTimes.seconds.push_back(LineProcess::field(engine->request("step"), "seconds"));
                else if (eager)
                    eagerTimes.seconds.push_back(LineProcess::field(eager->request("step"), "seconds"));
            }
        }
        const double enginePeak = LineProcess::field(engine->request("memory"), "peak");
        const double eagerPeak = eager ? LineProcess::field(eager->request("memory"), "peak") : NAN;
        if (objective == "mle")
            engineMle = engineTimes.median();
        const double engineShare = flops / engineTimes.median() / 1e9 / o.gemmPeak;
        char eagerText[32] = "-", speedText[16] = "-", eagerShareText[16] = "-", peakText[32];
        if (eager) {
            std::snprintf(eagerText, sizeof eagerText, "%.0f / %.0f", eagerTimes.min() * 1e3, eagerTimes.median() * 1e3);
            std::snprintf(speedText, sizeof speedText, "%.2fx", eagerTimes.median() / engineTimes.median());
            std::snprintf(eagerShareText, sizeof eagerShareText, "%.0f %%",
                          100 * flops / eagerTimes.median() / 1e9 / o.gemmPeak);
        }
        std::snprintf(peakText, sizeof peakText, "%.0f / %s", mib(enginePeak),
                      eager ? std::to_string(int(mib(eagerPeak))).c_str() : "-");
        char engineText[32];
        std::snprintf(engineText, sizeof engineText, "%.0f / %.0f", engineTimes.min() * 1e3, engineTimes.median() * 1e3);
        char checkText[40];
        if (eager)
            std::snprintf(checkText, sizeof checkText, "%s %.6g", agree ? "same" : "DIFFERS", engineLoss);
        else
            std::snprintf(checkText, sizeof checkText, "%.6g", engineLoss);
        std::printf("  %-11s %17s %17s %8s %10.0f %% %12s %19s %10s\n", objective.c_str(), engineText, eagerText,
                    speedText, 100 * engineShare, eagerShareText, peakText, checkText);
        json row{{"engine_ms", {{"min", engineTimes.min() * 1e3}, {"median", engineTimes.median() * 1e3}}},
                 {"engine_gemm_share", engineShare}, {"engine_peak_mib", mib(enginePeak)},
                 {"engine_loss", engineLoss}};
        if (engineMle > 0)
            row["engine_vs_mle"] = engineTimes.median() / engineMle;
        if (eager) {
            row["eager_ms"] = {{"min", eagerTimes.min() * 1e3}, {"median", eagerTimes.median() * 1e3}};
            row["eager_peak_mib"] = mib(eagerPeak);
            row["eager_loss"] = eagerLoss;
            row["speedup_vs_eager"] = eagerTimes.median() / engineTimes.median();
            row["loss_agrees"] = agree;
            if (!agree) {
                report["ok"] = false;
                std::fprintf(stderr, "emo-bench: %s loss differs: engine %.9g, eager twin %.9g\n", objective.c_str(),
                             engineLoss, eagerLoss);
            }
        }
        if (objective == "mle" && !o.sampleRows.empty()) {
            json sampling = json::array();
            for (const int64_t rows : o.sampleRows) {
                const std::string command = "sample " + std::to_string(rows) + " " + std::to_string(o.sampleTokens);
                // Alternating repetitions, as for the step; decode tokens/s counts every row's tokens.
                SampleTimes engineDecode, eagerDecode, enginePrefill, eagerPrefill;
                for (int r = 0; r < o.repeats; ++r) {
                    const std::string a = engine->request(command);
                    enginePrefill.seconds.push_back(LineProcess::field(a, "prefill"));
                    engineDecode.seconds.push_back(LineProcess::field(a, "decode"));
                    if (eager) {
                        const std::string b = eager->request(command);
                        eagerPrefill.seconds.push_back(LineProcess::field(b, "prefill"));
                        eagerDecode.seconds.push_back(LineProcess::field(b, "decode"));
                    }
                }
                const double tokens = double(rows * (o.sampleTokens - 1));
                json entry{{"rows", rows}, {"engine_prefill_ms", enginePrefill.median() * 1e3},
                           {"engine_decode_tokens_per_s", tokens / engineDecode.median()}};
                if (eager) {
                    entry["eager_prefill_ms"] = eagerPrefill.median() * 1e3;
                    entry["eager_decode_tokens_per_s"] = tokens / eagerDecode.median();
                }
                sampling.push_back(entry);
            }
            report["sampling"] = sampling;
        }
        report["objectives"][objective] = row;
    }
    // EMO, TaiLr and MixCE against the engine's own MLE step.
    if (engineMle > 0) {
        std::printf("  engine step / engine MLE step:");
        for (const std::string& objective : o.objectives)
            std::printf("  %s %.2fx", objective.c_str(),
                        report["objectives"][objective]["engine_ms"]["median"].get<double>() / 1e3 / engineMle);
        std::printf("\n");
    }
    if (report.contains("sampling")) {
        std::printf("sample greedy with the KV cache, 16-token prompt, %lld new tokens, decode tokens/s (prefill ms):\n",
                    (long long)o.sampleTokens);
        for (const auto& e : report["sampling"]) {
            std::printf("  batch %-3lld engine %8.1f tok/s (%6.1f ms)", (long long)e["rows"].get<int64_t>(),
                        e["engine_decode_tokens_per_s"].get<double>(), e["engine_prefill_ms"].get<double>());
            if (e.contains("eager_decode_tokens_per_s"))
                std::printf("   eager %8.1f tok/s (%6.1f ms)   %.2fx", e["eager_decode_tokens_per_s"].get<double>(),
                            e["eager_prefill_ms"].get<double>(),
                            e["engine_decode_tokens_per_s"].get<double>() / e["eager_decode_tokens_per_s"].get<double>());
            std::printf("\n");
        }
    }
    return report;
}

} // namespace emo::bench
