#include "ddp_bench.h"

#include "sample_times.h"
#include "train/local_ranks.h"
#include "train/trainer.h"
#include "util/atomic_file.h"

#include <cstdio>
#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace emo::bench {

namespace fs = std::filesystem;

int ddpChild(int argc, char** argv)
{
    if (argc != 9)
        throw std::invalid_argument("--ddp-child MODEL DATA BATCH BLOCK STEPS WARMUP RESULT");
    train::TrainSettings s;
    s.objective.kind = objective::ObjectiveKind::Emo;
    s.modelPath = argv[2];
    s.dataPath = argv[3];
    s.batchSize = std::atoll(argv[4]);
    s.blockSize = std::atoll(argv[5]);
    s.maxSteps = std::atoll(argv[6]);
    const int64_t warmup = std::atoll(argv[7]);
    const std::string result = argv[8];
    s.validationFraction = 0.0;  // steps only: a validation pass would be timed as a step's neighbour
    s.outputDir = result + ".run";
    s.distributed = train::DistributedEnvironment::fromEnvironment();
    SampleTimes tokensPerSecond;  // holds tokens/s here, not seconds: the same median
    train::Trainer(s).run([&](const train::TrainProgress& p) {
        if (p.stage == "training" && p.step > warmup)
            tokensPerSecond.seconds.push_back(p.tokensPerSecond);
        return true;
    });
    if (s.distributed.writesFiles())
        util::writeTextFileAtomically(result, nlohmann::json{{"tokens_per_second", tokensPerSecond.median()},
                                                             {"steps_timed", tokensPerSecond.seconds.size()}}.dump());
    return 0;
}

nlohmann::json benchDataParallel(const DdpBenchOptions& o)
{
    const fs::path scratch = fs::temp_directory_path() / ("emo-bench-ddp-" + std::to_string(::getpid()));
    fs::create_directories(scratch);
    const std::string model = o.resources + "/models/" + o.model;
    const std::string data = o.resources + "/data/finetune/train.txt";
    ::setenv("OMP_NUM_THREADS", "1", 1);  // one thread per rank, the ranks inherit it
    nlohmann::json out{{"model", o.model}, {"objective", "emo"}, {"batch_per_rank", o.batch}, {"block", o.block},
                       {"steps", o.steps}, {"threads_per_rank", 1}};
    double single = 0.0;
    for (const int processes : {1, 2}) {
        const std::string result = (scratch / ("result-" + std::to_string(processes) + ".json")).string();
        const std::vector<std::string> arguments{"emo-bench", "--ddp-child", model, data, std::to_string(o.batch),
            std::to_string(o.block), std::to_string(o.steps), std::to_string(o.warmup), result};
        const int code = train::runLocalRanks(arguments, processes, train::freeLoopbackPort(), 1);
        if (code != 0)
            throw std::runtime_error("ddp: the run with " + std::to_string(processes) + " process(es) failed (exit "
                                     + std::to_string(code) + ")");
        const double tps = nlohmann::json::parse(util::readTextFile(result)).at("tokens_per_second").get<double>();
        out[processes == 1 ? "tokens_per_second_1" : "tokens_per_second_2"] = tps;
        if (processes == 1)
            single = tps;
    }
    const double efficiency = out["tokens_per_second_2"].get<double>() / (2.0 * single);
    out["scaling_efficiency"] = efficiency;
    std::error_code ignored;
    fs::remove_all(scratch, ignored);
    std::printf("ddp    %s EMO, %lld blocks x %lld tokens per rank, 1 thread each, Gloo over loopback:\n"
                "  1 process %.0f tok/s, 2 processes %.0f tok/s: scaling efficiency %.0f %% (tok/s(2) / 2 tok/s(1))\n",
                o.model.c_str(), (long long)o.batch, (long long)o.block, single,
                out["tokens_per_second_2"].get<double>(), 100.0 * efficiency);
    std::fflush(stdout);
    return out;
}

} // namespace emo::bench
