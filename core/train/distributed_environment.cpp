#include "train/distributed_environment.h"

#include "util/error.h"

#include <cstdlib>

namespace emo::train {

namespace {

// The integer in variable `name`, or `fallback` when it is unset.
long integerVariable(const char* name, long fallback, long minimum, long maximum)
{
    const char* text = std::getenv(name);
    if (!text || !*text)
        return fallback;
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (*end != '\0' || value < minimum || value > maximum)
        throw Error::badInput(std::string("environment variable ") + name + "=" + text + ": expected a whole number in ["
                              + std::to_string(minimum) + ", " + std::to_string(maximum) + "]");
    return value;
}

} // namespace

DistributedEnvironment DistributedEnvironment::fromEnvironment()
{
    DistributedEnvironment env;
    env.worldSize = int(integerVariable("WORLD_SIZE", 1, 1, 65536));
    if (!env.distributed())
        return env;
    if (!std::getenv("RANK"))
        throw Error::badInput("environment variable WORLD_SIZE=" + std::to_string(env.worldSize)
                              + " is set but RANK is not (launch with torchrun or emo train --nproc N)");
    env.rank = int(integerVariable("RANK", 0, 0, env.worldSize - 1));
    env.localRank = int(integerVariable("LOCAL_RANK", env.rank, 0, 65535));
    if (const char* address = std::getenv("MASTER_ADDR"); address && *address)
        env.masterAddress = address;
    env.masterPort = int(integerVariable("MASTER_PORT", env.masterPort, 1, 65535));
    env.timeout = std::chrono::seconds(integerVariable("EMO_DDP_TIMEOUT_SECONDS", env.timeout.count(), 1, 86400));
    return env;
}

} // namespace emo::train
