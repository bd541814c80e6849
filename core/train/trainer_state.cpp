#include "train/trainer_state.h"

#include "io/safetensors.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>

namespace emo::train {

namespace {
const char* const kMetadataKey = "emo.trainer_state";

nlohmann::json numberOrNull(double value)
{
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}
} // namespace

void TrainerState::save(const std::string& path) const
{
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    tensors.reserve(parameters.size() * 3 + 2);
    for (const auto& [name, tensor] : parameters)
        tensors.emplace_back("param." + name, tensor.detach());
    for (const auto& [name, tensor] : expAvg)
        tensors.emplace_back("exp_avg." + name, tensor.detach());
    for (const auto& [name, tensor] : expAvgSq)
        tensors.emplace_back("exp_avg_sq." + name, tensor.detach());
    tensors.emplace_back("order", torch::tensor(order, torch::kInt64));
    if (rngState.defined())
        tensors.emplace_back("rng_cpu", rngState);

    nlohmann::json scalars;
    scalars["format"] = 1;
    scalars["step"] = step;
    scalars["epoch"] = epoch;
    scalars["position"] = position;
    scalars["total_steps"] = totalSteps;
    scalars["train_blocks"] = trainBlocks;
    scalars["best_validation_loss"] = numberOrNull(bestValidationLoss);
    scalars["best_step"] = bestStep;
    nlohmann::json steps = nlohmann::json::object();
    for (const auto& [name, count] : adamSteps)
        steps[name] = count;
    scalars["adam_steps"] = steps;
    if (lossScale > 0.0) {
        scalars["loss_scale"] = lossScale;
        scalars["loss_scale_finite_steps"] = lossScaleFiniteSteps;
    }
    nlohmann::json names = nlohmann::json::array();
    for (const auto& entry : parameters)
        names.push_back(entry.first);
    scalars["parameters"] = names;  // keeps the parameter order, which safetensors (sorted) loses

    io::writeSafetensors(path, tensors, {{kMetadataKey, scalars.dump()}});
}

TrainerState TrainerState::load(const std::string& path)
{
    const auto file = io::SafetensorsFile::open(path);
    auto found = file.metadata().find(kMetadataKey);
    if (found == file.metadata().end())
        throw Error::badInput(path + ": not a trainer state (metadata '" + std::string(kMetadataKey) + "' missing)");
    nlohmann::json scalars;
    try {
        scalars = nlohmann::json::parse(found->second);
    } catch (const std::exception& e) {
        throw Error::badInput(path + ": metadata '" + std::string(kMetadataKey) + "' is not JSON: " + e.what());
    }

    TrainerState state;
    try {
        state.step = scalars.at("step").get<int64_t>();
        state.epoch = scalars.at("epoch").get<int64_t>();
        state.position = scalars.at("position").get<int64_t>();
        state.totalSteps = scalars.at("total_steps").get<int64_t>();
        state.trainBlocks = scalars.at("train_blocks").get<int64_t>();
        const auto& best = scalars.at("best_validation_loss");
        state.bestValidationLoss = best.is_null() ? std::numeric_limits<double>::quiet_NaN() : best.get<double>();
        state.bestStep = scalars.at("best_step").get<int64_t>();
        state.lossScale = scalars.value("loss_scale", 0.0);
        state.lossScaleFiniteSteps = scalars.value("loss_scale_finite_steps", int64_t(0));
        for (const auto& [name, count] : scalars.at("adam_steps").items())
            state.adamSteps.emplace_back(name, count.get<int64_t>());
        for (const auto& name : scalars.at("parameters")) {
            const auto n = name.get<std::string>();
            state.parameters.emplace_back(n, file.load("param." + n));
            if (file.find("exp_avg." + n)) {
                state.expAvg.emplace_back(n, file.load("exp_avg." + n));
                state.expAvgSq.emplace_back(n, file.load("exp_avg_sq." + n));
            }
        }
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error::badInput(path + ": trainer state is incomplete: " + e.what());
    }

    const auto order = file.load("order").to(torch::kInt64).contiguous();
    state.order.assign(order.data_ptr<int64_t>(), order.data_ptr<int64_t>() + order.numel());
    if (file.find("rng_cpu"))
        state.rngState = file.load("rng_cpu");
    if (state.position < 0 || state.position > int64_t(state.order.size()))
        throw Error::badInput(path + ": position " + std::to_string(state.position) + " lies outside the block order");
    return state;
}

} // namespace emo::train
