#include "train/trainer.h"

#include "io/dataset.h"
#include "io/documents.h"
#include "text/document_blocks.h"
#include "model/language_model.h"
#include "model/model_folder.h"
#include "objective/cost_embedding.h"
#include "objective/objective.h"
#include "text/tokenizer.h"
#include "train/batch_order.h"
#include "train/block_objective.h"
#include "train/data_parallel_group.h"
#include "train/blocked_adamw.h"
#include "train/gradients.h"
#include "train/loss_scaler.h"
#include "train/lr_schedule.h"
#include "train/run_files.h"
#include "train/trainer_state.h"
#include "util/atomic_file.h"
#include "util/device.h"
#include "util/error.h"
#include "util/precision.h"
#include "util/short_number.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <filesystem>
#include <mutex>
#include <set>

namespace emo::train {

namespace {

// Ê of a fresh run (TrainSettings::costEmbeddingFrom): the model's own head, another model's, or random.
objective::CostEmbedding costEmbeddingFor(const TrainSettings& s, model::LanguageModel& model, torch::Device device)
{
    torch::NoGradGuard noGrad;
    const std::string& from = s.costEmbeddingFrom;
    const int64_t vocab = model.config().vocabSize;
    if (from.empty())
        return objective::CostEmbedding(model.lmHeadWeight().detach());
    if (from.rfind("random:", 0) == 0) {
        uint64_t seed = 0;
        try {
            size_t used = 0;
            seed = std::stoull(from.substr(7), &used);
            if (used != from.size() - 7)
                throw std::invalid_argument("trailing text");
        } catch (const std::exception&) {
            throw Error::badInput("--cost-from " + from + ": expected random:SEED with a whole number");
        }
        auto generator = at::detail::createCPUGenerator(seed);
        const torch::Tensor random =
            at::normal(0.0, 1.0, {vocab, model.config().hiddenSize}, generator, torch::TensorOptions().dtype(torch::kFloat));
        return objective::CostEmbedding(random.to(device));
    }
    std::shared_ptr<model::LanguageModel> other;
    try {
        other = model::LanguageModel::load(from, device);
    } catch (const Error& e) {
        throw Error::badInput("--cost-from " + from + ": " + e.what());
    }
    if (other->config().vocabSize != vocab)
        throw Error::badInput("--cost-from " + from + ": its LM head has " + std::to_string(other->config().vocabSize) +
                              " rows but the model being trained has " + std::to_string(vocab) + " tokens");
    return objective::CostEmbedding(other->lmHeadWeight().detach().to(torch::kFloat));
}
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

using util::joinPath;

bool sameFolder(const std::string& a, const std::string& b)
{
    std::error_code ec;
    return fs::equivalent(a, b, ec);
}

// "NaN", "+inf" or "-inf": the non-finite values that stop a run.
std::string nonFiniteText(double value) { return std::isnan(value) ? "NaN" : value > 0 ? "+inf" : "-inf"; }

struct NamedParameter {
    std::string name;
    torch::Tensor tensor;
};

// Trainable parameters under their module names, each tensor once (a tied head may be registered twice;
// AdamW must not update it twice).
std::vector<NamedParameter> uniqueParameters(model::LanguageModel& lm)
{
    std::vector<NamedParameter> result;
    std::set<const void*> seen;
    for (const auto& item : lm.named_parameters(/*recurse=*/true)) {
        const auto& tensor = item.value();
        if (!tensor.requires_grad())
            continue;
        if (seen.insert(tensor.unsafeGetTensorImpl()).second)
            result.push_back({item.key(), tensor});
    }
    return result;
}

// The key under which torch::optim (1.13) keeps a parameter's state.
std::string optimizerKey(const torch::Tensor& parameter)
{
    return c10::guts::to_string(parameter.unsafeGetTensorImpl());
}

torch::Tensor cpuRngState()
{
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    return generator.get_state();
}

void setCpuRngState(const torch::Tensor& state)
{
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
}

// What one optimizer step measured (means over the step's tokens).
struct StepOutcome {
    double loss = 0.0;
    double mlePart = 0.0;
    double demdPart = TrainProgress::none;  // NaN when the objective does not compute DEMD
    double gradNorm = TrainProgress::none;  // NaN when clipping is off
    double learningRate = 0.0;
    int64_t blocks = 0;
    int64_t epoch = 0;                      // the epoch the step belongs to
    bool epochEnded = false;
    bool skipped = false;                   // float16: the gradients overflowed, no update (the scale halves)
};

// One run from start (or resume) to end: owns the model, optimizer, data and history. run() reads as the
// run goes: prepare (resume checks, folder, model, Ê, data, plan, optimizer, state), then per step
// trainStep() and, when due, validateAndCheckpoint().
class TrainingRun {
public:
    TrainingRun(const TrainSettings& settings, const TrainProgressCallback& callback, const Trainer::LossHook& hook)
        : m_settings(settings), m_callback(callback), m_lossHook(hook), m_device(torch::kCPU)
    {
    }

    TrainResult run();

private:
    // Preparation, in the order run() calls it.
    RunRecord checkResume();             // resume: the state exists; the settings fixing data and objective held
    void prepareOutputFolder();          // created, not the model folder, no other run overwritten
    void loadModel();                    // model + tokenizer (checked to fit), block size within the context
    void prepareCostEmbedding();         // Ê of a fresh run, or the one the resumed run saved
    void loadData();                     // training and validation blocks
    void planSteps();                    // steps per epoch and in total, the schedule
    void createOptimizer();              // AdamW, weight decay on matrices only
    void restoreOrStart(const RunRecord& previous);

    // One optimizer step over the step's blocks: forward, objective, backward per micro-batch, clipping,
    // AdamW; then the data position advances (a new epoch gets its own order).
    StepOutcome trainStep();
    TrainProgress stepProgress(const StepOutcome& step, double stepSeconds, double processSeconds) const;
    bool validationDue(const StepOutcome& step) const;
    // Validation loss (and DEMD) on the held-out blocks; the model is saved when it is the best so far
    // (always, without validation data); trainer state and run.json follow. Returns the validation record.
    TrainProgress validateAndCheckpoint(const TrainProgress& stepRecord);
    void validate(TrainProgress* progress);

    bool report(const TrainProgress& progress);
    void reportOrCancel(const TrainProgress& progress);  // throws Error::cancelled when the callback says stop
    ProgressCallback loadingProgress(const std::string& what);
    TrainerState captureState() const;
    void restoreState(const TrainerState& state);
    void saveState(const std::string& status, const std::string& message = {});
    RunRecord runRecord(const std::string& status, const std::string& message) const;
    [[noreturn]] void failNonFinite(const std::string& what, double value, int64_t step);
    TrainResult result() const;
    bool writesFiles() const { return m_settings.distributed.writesFiles(); }
    void synchronize(const std::string& what) { if (m_group) m_group->barrier(what); }

    TrainSettings m_settings;
    TrainProgressCallback m_callback;
    Trainer::LossHook m_lossHook;
    torch::Device m_device;
    torch::ScalarType m_precision = torch::kFloat32;  // autocast type of the forwards (float32 = none)
    LossScaler m_scaler;                              // float16 only
    bool m_resuming = false;
    std::unique_ptr<DataParallelGroup> m_group;  // null in a single process

    std::shared_ptr<model::LanguageModel> m_model;
    std::unique_ptr<text::Tokenizer> m_tokenizer;
    objective::CostEmbedding m_cost;
    torch::Tensor m_trainBlocks;       // [N, T] int64, CPU
    torch::Tensor m_validationBlocks;  // [M, T] int64, CPU; undefined when no validation
    std::vector<NamedParameter> m_parameters;
    std::unique_ptr<torch::optim::AdamW> m_optimizer;
    std::unique_ptr<LearningRateSchedule> m_schedule;

    int64_t m_step = 0;
    int64_t m_epoch = 0;
    int64_t m_position = 0;
    int64_t m_totalSteps = 0;
    int64_t m_stepsPerEpoch = 0;
    int64_t m_stepsThisProcess = 0;
    std::vector<int64_t> m_order;
    double m_bestValidationLoss = TrainProgress::none;
    int64_t m_bestStep = 0;
    double m_elapsedBefore = 0.0;  // wall time of the run before this process resumed it
    Clock::time_point m_processStart = Clock::now();

    std::vector<TrainProgress> m_stepHistory;
    std::vector<TrainProgress> m_validationHistory;
    nlohmann::json m_modelInfo = nlohmann::json::object();
    nlohmann::json m_dataInfo = nlohmann::json::object();
};

bool TrainingRun::report(const TrainProgress& progress)
{
    return !m_callback || m_callback(progress);
}

void TrainingRun::reportOrCancel(const TrainProgress& progress)
{
    if (!report(progress))
        throw Error::cancelled("training cancelled while " + progress.message + "; nothing to resume yet");
}

// Forwards a loading step's progress as a "loading" record; a false from the callback cancels the load.
ProgressCallback TrainingRun::loadingProgress(const std::string& what)
{
    return [this, what](const Progress& p) {
        TrainProgress tp;
        tp.stage = "loading";
        tp.message = what + (p.total > 0 ? " " + std::to_string(p.done) + "/" + std::to_string(p.total) : "");
        if (!report(tp))
            throw Error::cancelled("training cancelled while " + what + "; nothing to resume yet");
        return true;
    };
}

TrainResult TrainingRun::result() const
{
    TrainResult r;
    r.steps = m_step;
    r.totalSteps = m_totalSteps;
    if (!m_stepHistory.empty())
        r.lastLoss = m_stepHistory.back().loss;
    r.bestValidationLoss = m_bestValidationLoss;
    r.bestStep = m_bestStep;
    r.outputDir = m_settings.outputDir;
    r.stepHistory = m_stepHistory;
    r.validationHistory = m_validationHistory;
    return r;
}

RunRecord TrainingRun::checkResume()
{
    auto& s = m_settings;
    RunRecord previous;
    if (s.resumeDir.empty())
        return previous;
    m_resuming = true;
    std::error_code ec;
    if (!fs::is_regular_file(joinPath(s.resumeDir, kTrainerStateFile), ec))
        throw Error::badInput("resume: " + joinPath(s.resumeDir, kTrainerStateFile) + " is missing; nothing to resume");
    previous = readRunJson(joinPath(s.resumeDir, kRunJson));
    if (s.modelPath.empty())
        s.modelPath = previous.settings.modelPath;
    const auto before = settingsToJson(previous.settings);
    const auto now = settingsToJson(s);
    for (const char* key : {"batch_size", "block_size", "gradient_accumulation", "seed", "data_path",
                            "extra_data_paths", "validation_path", "validation_fraction", "objective"}) {
        if (before.at(key) != now.at(key))
            throw Error::badInput(std::string("resume: setting '") + key + "' differs from the run in " + s.resumeDir +
                                  " (was " + before.at(key).dump() + ", now " + now.at(key).dump() + ")");
    }
    // Another world size would change the blocks each step sees, so the run would not continue exactly.
    if (previous.settings.distributed.worldSize != s.distributed.worldSize)
        throw Error::badInput("resume: the run in " + s.resumeDir + " was trained by "
                              + std::to_string(previous.settings.distributed.worldSize) + " process(es) (world size), "
                              + "this one has " + std::to_string(s.distributed.worldSize) + "; resume it with --nproc "
                              + std::to_string(previous.settings.distributed.worldSize));
    return previous;
}

void TrainingRun::prepareOutputFolder()
{
    const auto& s = m_settings;
    std::error_code ec;
    if (s.modelPath.empty())
        throw Error::badInput("model_path: no model folder given");
    if (!fs::is_directory(s.modelPath, ec))
        throw Error::badInput("model_path: " + s.modelPath + " is not a folder");
    if (!writesFiles()) {  // rank 0 prepares the folder; the others read it once it has
        synchronize("waiting for rank 0 to prepare " + s.outputDir);
        return;
    }
    fs::create_directories(s.outputDir, ec);
    if (!fs::is_directory(s.outputDir, ec))
        throw Error::runtime("output_dir: cannot create " + s.outputDir);
    if (sameFolder(s.modelPath, s.outputDir))
        throw Error::badInput("output_dir: " + s.outputDir + " is the model folder; the run would overwrite it");
    if (m_resuming && !sameFolder(s.resumeDir, s.outputDir)) {
        // Continue the run in a new folder: carry its files over, then resume there.
        for (const auto& entry : fs::directory_iterator(s.resumeDir)) {
            if (entry.is_regular_file() && entry.path().filename().string().find(".tmp-") == std::string::npos)
                copyFileAtomically(entry.path().string(), (fs::path(s.outputDir) / entry.path().filename()).string());
        }
    } else if (!m_resuming && fs::exists(joinPath(s.outputDir, kRunJson), ec)) {
        throw Error::badInput("output_dir: " + s.outputDir +
                              " already holds a run (run.json); resume it or choose another folder");
    }
    synchronize("preparing " + s.outputDir);
}

void TrainingRun::loadModel()
{
    const auto& s = m_settings;
    TrainProgress loading;
    loading.stage = "loading";
    loading.message = "loading model " + s.modelPath;
    reportOrCancel(loading);
    auto folder = model::loadModelFolder(s.modelPath, m_device, loadingProgress("loading model"));
    m_model = std::move(folder.model);
    m_tokenizer = std::move(folder.tokenizer);
    const auto& config = m_model->config();
    if (config.maxPositions > 0 && s.blockSize > config.maxPositions)
        throw Error::badInput("block_size: " + std::to_string(s.blockSize) + " exceeds the model's " +
                              std::to_string(config.maxPositions) + " positions");
    m_modelInfo = {{"model_type", config.modelType},  {"vocab_size", config.vocabSize},
                   {"hidden_size", config.hiddenSize}, {"layers", config.numLayers},
                   {"heads", config.numHeads},         {"parameters", m_model->parameterCount()},
                   {"tokenizer", m_tokenizer->kind()}, {"model_path", s.modelPath}};
}

// Ê from the LM head as loaded; on resume the saved one (never recomputed from trained weights).
void TrainingRun::prepareCostEmbedding()
{
    const auto& s = m_settings;
    const std::string costPath = joinPath(s.outputDir, kCostEmbeddingFile);
    const int64_t vocab = m_model->config().vocabSize;
    if (m_resuming) {
        m_cost = objective::CostEmbedding::load(costPath, m_device);
        if (m_cost.vocabSize() != vocab)
            throw Error::badInput(costPath + ": " + std::to_string(m_cost.vocabSize()) + " rows but the model has " +
                                  std::to_string(vocab) + " tokens");
    } else {
        m_cost = costEmbeddingFor(s, *m_model, m_device);
        if (writesFiles())
            m_cost.save(costPath);
    }
    if (writesFiles())
        copyTokenizerFiles(s.modelPath, s.outputDir);
}

void TrainingRun::loadData()
{
    const auto& s = m_settings;
    TrainProgress loading;
    loading.stage = "loading";
    loading.message = "reading data";
    reportOrCancel(loading);
    std::vector<std::string> documents = io::readDocuments(s.dataPath);
    for (const auto& path : s.extraDataPaths) {
        auto more = io::readDocuments(path);
        documents.insert(documents.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
    if (documents.empty())
        throw Error::badInput("data: " + s.dataPath + " holds no documents");

    // tokenizeIntoBlocks does not know the file: name it in its errors.
    auto blocksOf = [&](const std::vector<std::string>& docs, const std::string& path, const std::string& what,
                        const ProgressCallback& progress) {
        try {
            return text::tokenizeIntoBlocks(docs, *m_tokenizer, s.blockSize, progress);
        } catch (const Error& e) {
            if (e.kind() != Error::Kind::BadInput)
                throw;
            throw Error::badInput(what + " " + path + ": " + e.what());
        }
    };
    torch::Tensor blocks = blocksOf(documents, s.dataPath, "data", loadingProgress("tokenizing"));
    if (!blocks.defined() || blocks.size(0) == 0)
        throw Error::badInput("data: " + s.dataPath + " has fewer than " + std::to_string(s.blockSize) +
                              " tokens, not one block");

    if (!s.validationPath.empty()) {
        m_trainBlocks = blocks;
        m_validationBlocks = blocksOf(io::readDocuments(s.validationPath), s.validationPath, "validation data",
                                      loadingProgress("tokenizing validation"));
        if (m_validationBlocks.size(0) == 0)
            throw Error::badInput("validation data: " + s.validationPath + " has not one block of " +
                                  std::to_string(s.blockSize) + " tokens");
    } else if (s.validationFraction > 0.0) {
        if (blocks.size(0) < 2)
            throw Error::badInput("data: " + s.dataPath + " gives only " + std::to_string(blocks.size(0)) +
                                  " block of " + std::to_string(s.blockSize) +
                                  " tokens; a validation split needs at least 2 (or give a validation file)");
        auto split = io::splitBlocks(blocks, s.validationFraction, s.seed);
        m_trainBlocks = split.train;
        m_validationBlocks = split.validation;
    } else {
        m_trainBlocks = blocks;
    }
    m_trainBlocks = m_trainBlocks.to(torch::kCPU, torch::kInt64).contiguous();
    if (m_validationBlocks.defined())
        m_validationBlocks = m_validationBlocks.to(torch::kCPU, torch::kInt64).contiguous();
    if (m_trainBlocks.size(0) == 0)
        throw Error::badInput("data: no training blocks left after the validation split");
    const int64_t vocab = m_model->config().vocabSize;
    for (const auto* t : {&m_trainBlocks, &m_validationBlocks}) {
        if (t->defined() && t->numel() > 0 && (t->max().item<int64_t>() >= vocab || t->min().item<int64_t>() < 0))
            throw Error::badInput("data: token ids outside the model's vocabulary of " + std::to_string(vocab));
    }
}

void TrainingRun::planSteps()
{
    const auto& s = m_settings;
    const int64_t blocksPerStep = s.batchSize * s.gradientAccumulation;
    const int64_t trainCount = m_trainBlocks.size(0);
    m_stepsPerEpoch = (trainCount + blocksPerStep - 1) / blocksPerStep;
    m_totalSteps = s.maxSteps > 0 ? s.maxSteps : s.epochs * m_stepsPerEpoch;
    m_schedule = std::make_unique<LearningRateSchedule>(s.schedule, s.learningRate, s.warmupSteps, m_totalSteps);
    m_dataInfo = {{"train_blocks", trainCount},
                  {"validation_blocks", m_validationBlocks.defined() ? m_validationBlocks.size(0) : 0},
                  {"block_size", s.blockSize},
                  {"train_tokens", trainCount * s.blockSize},
                  {"steps_per_epoch", m_stepsPerEpoch}};
}

void TrainingRun::createOptimizer()
{
    const auto& s = m_settings;
    m_parameters = uniqueParameters(*m_model);
    if (m_parameters.empty())
        throw Error::runtime("model: no trainable parameters");
    std::vector<torch::Tensor> decay, noDecay;
    for (const auto& p : m_parameters)
        (p.tensor.dim() >= 2 ? decay : noDecay).push_back(p.tensor);
    auto options = torch::optim::AdamWOptions(s.learningRate)
                       .betas(std::make_tuple(s.adamBeta1, s.adamBeta2))
                       .eps(s.adamEps)
                       .weight_decay(s.weightDecay);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    if (!decay.empty())
        groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(options));
    if (!noDecay.empty()) {
        auto noDecayOptions = options;
        noDecayOptions.weight_decay(0.0);
        groups.emplace_back(noDecay, std::make_unique<torch::optim::AdamWOptions>(noDecayOptions));
    }
    m_optimizer = std::make_unique<BlockedAdamW>(std::move(groups), options);
    m_model->train();
}

// A resumed run takes the saved state and the history up to its step; a fresh one seeds, orders the first
// epoch and records itself as running.
void TrainingRun::restoreOrStart(const RunRecord& previous)
{
    const auto& s = m_settings;
    const int64_t trainCount = m_trainBlocks.size(0);
    if (m_resuming) {
        const auto state = TrainerState::load(joinPath(s.outputDir, kTrainerStateFile));
        if (state.trainBlocks != trainCount)
            throw Error::badInput("resume: the data now gives " + std::to_string(trainCount) +
                                  " training blocks, the saved run had " + std::to_string(state.trainBlocks));
        restoreState(state);
        if (writesFiles())
            truncateMetrics(joinPath(s.outputDir, kMetricsJsonl), m_step);
        for (const auto& p : previous.steps)
            if (p.step <= m_step)
                m_stepHistory.push_back(p);
        for (const auto& p : previous.validations)
            if (p.step <= m_step)
                m_validationHistory.push_back(p);
        if (!m_stepHistory.empty())
            m_elapsedBefore = m_stepHistory.back().elapsedSeconds;
    } else {
        torch::manual_seed(s.seed);
        m_order = epochOrder(trainCount, s.seed, 0);
        if (writesFiles())
            std::remove(joinPath(s.outputDir, kMetricsJsonl).c_str());
        saveState("running");
    }
    if (m_group) {  // every rank starts from rank 0's parameters, whatever it loaded
        std::vector<torch::Tensor> tensors;
        for (const auto& p : m_parameters)
            tensors.push_back(p.tensor);
        m_group->broadcastInPlace(tensors, "sharing the parameters of rank 0");
    }
}

void TrainingRun::restoreState(const TrainerState& state)
{
    const std::string path = joinPath(m_settings.outputDir, kTrainerStateFile);
    std::map<std::string, torch::Tensor> saved(state.parameters.begin(), state.parameters.end());
    std::map<std::string, torch::Tensor> expAvg(state.expAvg.begin(), state.expAvg.end());
    std::map<std::string, torch::Tensor> expAvgSq(state.expAvgSq.begin(), state.expAvgSq.end());
    std::map<std::string, int64_t> steps(state.adamSteps.begin(), state.adamSteps.end());
    if (saved.size() != m_parameters.size())
        throw Error::badInput(path + ": holds " + std::to_string(saved.size()) + " parameters, the model has " +
                              std::to_string(m_parameters.size()));
    torch::NoGradGuard noGrad;
    auto& optimizerState = m_optimizer->state();
    for (const auto& p : m_parameters) {
        auto it = saved.find(p.name);
        if (it == saved.end())
            throw Error::badInput(path + ": parameter '" + p.name + "' is missing");
        if (it->second.sizes() != p.tensor.sizes())
            throw Error::badInput(path + ": parameter '" + p.name + "' has another shape than the model's");
        p.tensor.copy_(it->second);
        auto avg = expAvg.find(p.name);
        if (avg == expAvg.end())
            continue;
        auto moment = std::make_unique<torch::optim::AdamWParamState>();
        moment->step(steps.count(p.name) ? steps[p.name] : state.step);
        moment->exp_avg(avg->second.to(p.tensor.device(), p.tensor.scalar_type()).clone());
        moment->exp_avg_sq(expAvgSq.at(p.name).to(p.tensor.device(), p.tensor.scalar_type()).clone());
        optimizerState[optimizerKey(p.tensor)] = std::move(moment);
    }
    m_step = state.step;
    m_epoch = state.epoch;
    m_position = state.position;
    m_order = state.order;
    if (int64_t(m_order.size()) != m_trainBlocks.size(0))
        throw Error::badInput(path + ": the saved block order does not match the data");
    m_bestValidationLoss = state.bestValidationLoss;
    m_bestStep = state.bestStep;
    if (state.rngState.defined())
        setCpuRngState(state.rngState);
    if (m_scaler.enabled() && state.lossScale > 0.0)
        m_scaler.restore(state.lossScale, state.lossScaleFiniteSteps);
}

TrainerState TrainingRun::captureState() const
{
    TrainerState state;
    state.step = m_step;
    state.epoch = m_epoch;
    state.position = m_position;
    state.totalSteps = m_totalSteps;
    state.trainBlocks = m_trainBlocks.size(0);
    state.bestValidationLoss = m_bestValidationLoss;
    state.bestStep = m_bestStep;
    state.order = m_order;
    state.rngState = cpuRngState();
    if (m_scaler.enabled()) {
        state.lossScale = m_scaler.scale();
        state.lossScaleFiniteSteps = m_scaler.finiteSteps();
    }
    const auto& optimizerState = m_optimizer->state();
    for (const auto& p : m_parameters) {
        state.parameters.emplace_back(p.name, p.tensor.detach());
        auto it = optimizerState.find(optimizerKey(p.tensor));
        if (it == optimizerState.end())
            continue;
        const auto& moment = static_cast<const torch::optim::AdamWParamState&>(*it->second);
        state.expAvg.emplace_back(p.name, moment.exp_avg());
        state.expAvgSq.emplace_back(p.name, moment.exp_avg_sq());
        state.adamSteps.emplace_back(p.name, moment.step());
    }
    return state;
}

// run.json as of now: the settings, the data and model, and the whole history.
RunRecord TrainingRun::runRecord(const std::string& status, const std::string& message) const
{
    RunRecord record;
    record.status = status;
    record.message = message;
    record.settings = m_settings;
    record.model = m_modelInfo;
    record.data = m_dataInfo;
    record.step = m_step;
    record.totalSteps = m_totalSteps;
    record.bestStep = m_bestStep;
    record.bestValidationLoss = m_bestValidationLoss;
    record.steps = m_stepHistory;
    record.validations = m_validationHistory;
    return record;
}

void TrainingRun::saveState(const std::string& status, const std::string& message)
{
    if (!writesFiles())
        return;
    // run.json first: resuming needs both, and trusts the trainer state's step (run.json's history is cut to
    // it). So a kill between the two leaves either an older state (resumed from there) or no state yet
    // (nothing to resume), never a state without its run.json (found by tst_crash_consistency).
    writeRunJson(joinPath(m_settings.outputDir, kRunJson), runRecord(status, message));
    captureState().save(joinPath(m_settings.outputDir, kTrainerStateFile));
}

void TrainingRun::failNonFinite(const std::string& what, double value, int64_t step)
{
    std::string message = "training stopped: " + what + " is " + nonFiniteText(value) + " at step " +
                          std::to_string(step) + " of " + std::to_string(m_totalSteps);
    if (m_bestStep > 0)
        message += "; the checkpoint of step " + std::to_string(m_bestStep) + " in " + m_settings.outputDir +
                   " is kept";
    else
        message += "; no checkpoint had been saved yet";
    // run.json records the failure; model, state and cost files stay those of the last good save.
    const RunRecord record = runRecord("failed", message);
    try {
        if (writesFiles())
            writeRunJson(joinPath(m_settings.outputDir, kRunJson), record);
    } catch (const std::exception&) {
        // the training error matters more than the record of it
    }
    throw Error::runtime(message);
}

StepOutcome TrainingRun::trainStep()
{
    const auto& s = m_settings;
    const int64_t trainCount = m_trainBlocks.size(0);
    const bool needsCost = s.objective.kind == objective::ObjectiveKind::Emo;
    StepOutcome out;
    out.learningRate = m_schedule->rateAt(m_step);
    for (auto& group : m_optimizer->param_groups())
        group.options().set_lr(out.learningRate);

    // The step's blocks are those a single process would see at worldSize × the batch; rank r takes the
    // r-th run of batchSize × gradientAccumulation of them (the last, partial step may leave a rank none).
    const int64_t perRank = s.batchSize * s.gradientAccumulation;
    const int64_t world = s.distributed.worldSize;
    out.blocks = std::min(perRank * world, trainCount - m_position);
    const int64_t rankBegin = std::min(out.blocks, perRank * s.distributed.rank);
    const int64_t rankBlocks = std::min(perRank, out.blocks - rankBegin);
    const auto indices = torch::tensor(std::vector<int64_t>(m_order.begin() + m_position + rankBegin,
                                                            m_order.begin() + m_position + rankBegin + rankBlocks),
                                       torch::kInt64);
    dropGradients(*m_optimizer);  // freed, not zeroed: no gradient buffers live through the forward
    double demdPart = 0.0;
    bool haveDemd = false;
    double nonFinite = 0.0;  // a non-finite loss seen by this rank (all ranks stop together, after the sums)
    for (int64_t begin = 0; begin < rankBlocks; begin += s.batchSize) {
        const int64_t n = std::min(s.batchSize, rankBlocks - begin);
        const auto ids = m_trainBlocks.index_select(0, indices.narrow(0, begin, n)).to(m_device);  // [n,T]
        objective::ObjectiveResult r;
        {
            util::AutocastScope autocast(m_device, m_precision);  // the backward runs outside, as in PyTorch
            r = blockObjective(*m_model, s.objective, ids, needsCost ? &m_cost : nullptr);
        }
        torch::Tensor microLoss = r.loss;
        if (m_lossHook)
            microLoss = m_lossHook(m_step + 1, microLoss);
        const double value = microLoss.item<double>();
        if (!std::isfinite(value)) {
            if (!m_group)
                failNonFinite("the loss", value, m_step + 1);
            nonFinite = value;
            out.loss = value;
            continue;
        }
        // Every block has T−1 predicted tokens, so weighting by blocks gives the mean over the step's tokens
        // (over all ranks': their gradients are summed below).
        const double weight = double(n) / double(out.blocks);
        (microLoss * (weight * m_scaler.scale())).backward();
        out.loss += value * weight;
        out.mlePart += r.mlePart * weight;
        if (r.demd.defined()) {
            demdPart += r.demdPart * weight;
            haveDemd = true;
        }
    }
    if (m_group) {
        const std::vector<double> sums = m_group->sum(
            {out.loss, out.mlePart, demdPart, haveDemd ? 1.0 : 0.0, std::isnan(nonFinite) ? 1.0 : 0.0,
             std::isinf(nonFinite) ? nonFinite : 0.0},
            "summing the losses of step " + std::to_string(m_step + 1));
        if (sums[4] > 0.0 || sums[5] != 0.0)
            failNonFinite("the loss", sums[4] > 0.0 ? std::nan("") : sums[5], m_step + 1);
        out.loss = sums[0];
        out.mlePart = sums[1];
        demdPart = sums[2];
        haveDemd = sums[3] > 0.0;
        // A parameter this rank's blocks gave no gradient still takes part, as zeros.
        std::vector<torch::Tensor> gradients;
        for (auto& p : m_parameters) {
            if (!p.tensor.grad().defined())
                p.tensor.mutable_grad() = torch::zeros_like(p.tensor);
            gradients.push_back(p.tensor.grad());
        }
        m_group->sumInPlace(gradients, "summing the gradients of step " + std::to_string(m_step + 1));
    }
    if (haveDemd)
        out.demdPart = demdPart;
    if (m_scaler.enabled()) {  // after the sum, so every rank sees the same gradients and skips together
        std::vector<torch::Tensor> gradients;
        for (const auto& p : m_parameters)
            gradients.push_back(p.tensor.grad());
        const bool finite = m_scaler.unscale(gradients);
        m_scaler.update(finite);
        out.skipped = !finite;
    }
    if (out.skipped) {
        dropGradients(*m_optimizer);  // no update this step; the data still moves on, as with GradScaler
    } else {
        if (s.clipNorm > 0.0) {
            std::vector<torch::Tensor> tensors;
            for (const auto& p : m_parameters)
                tensors.push_back(p.tensor);
            out.gradNorm = torch::nn::utils::clip_grad_norm_(tensors, s.clipNorm);
            if (!std::isfinite(out.gradNorm))
                failNonFinite("the gradient norm", out.gradNorm, m_step + 1);
        }
        m_optimizer->step();
        if (m_resuming && m_stepsThisProcess == 0 && m_optimizer->state().size() != m_parameters.size())
            throw Error::runtime("resume: the optimizer state did not attach to the model's parameters");
    }

    // Advance the data position; a new epoch gets its own order.
    out.epoch = m_epoch;
    m_position += out.blocks;
    ++m_step;
    ++m_stepsThisProcess;
    if (m_position >= trainCount) {
        ++m_epoch;
        m_position = 0;
        m_order = epochOrder(trainCount, s.seed, m_epoch);
        out.epochEnded = true;
    }
    return out;
}

TrainProgress TrainingRun::stepProgress(const StepOutcome& step, double stepSeconds, double processSeconds) const
{
    TrainProgress progress;
    progress.stage = "training";
    progress.step = m_step;
    progress.totalSteps = m_totalSteps;
    progress.epoch = step.epoch;
    progress.loss = step.loss;
    progress.mlePart = step.mlePart;
    progress.demdPart = step.demdPart;
    progress.gradNorm = step.gradNorm;
    progress.learningRate = step.learningRate;
    progress.tokensPerSecond =
        stepSeconds > 0 ? double(step.blocks * m_trainBlocks.size(1)) / stepSeconds : TrainProgress::none;
    progress.elapsedSeconds = m_elapsedBefore + processSeconds;
    progress.etaSeconds = processSeconds / double(m_stepsThisProcess) * double(m_totalSteps - m_step);
    progress.bestValidationLoss = m_bestValidationLoss;
    progress.bestStep = m_bestStep;
    if (step.skipped)
        progress.message = "float16 gradients overflowed: step skipped, loss scale now " + std::to_string(m_scaler.scale());
    return progress;
}

bool TrainingRun::validationDue(const StepOutcome& step) const
{
    const int64_t every = m_settings.validateEvery;
    return (every > 0 && m_step % every == 0) || (every <= 0 && step.epochEnded) || m_step == m_totalSteps;
}

// Mean cross-entropy (the validation loss) and mean DEMD over every validation token.
void TrainingRun::validate(TrainProgress* progress)
{
    torch::NoGradGuard noGrad;
    m_model->eval();
    objective::ObjectiveSettings mle;
    mle.kind = objective::ObjectiveKind::Mle;
    double ceSum = 0.0, demdSum = 0.0;
    int64_t tokens = 0;
    const int64_t count = m_validationBlocks.size(0);
    const int64_t world = m_settings.distributed.worldSize;
    for (int64_t begin = m_settings.batchSize * m_settings.distributed.rank; begin < count;
         begin += m_settings.batchSize * world) {  // rank r takes every world-th batch; the sums are shared below
        const int64_t n = std::min(m_settings.batchSize, count - begin);
        const auto ids = m_validationBlocks.narrow(0, begin, n).to(m_device);
        util::AutocastScope autocast(m_device, m_precision);
        const auto r = blockObjective(*m_model, mle, ids, &m_cost);
        ceSum += r.mlePart * double(r.validCount);
        demdSum += r.demdPart * double(r.validCount);
        tokens += r.validCount;
    }
    m_model->train();
    if (m_group) {
        const auto sums = m_group->sum({ceSum, demdSum, double(tokens)}, "summing the validation at step " + std::to_string(m_step));
        ceSum = sums[0];
        demdSum = sums[1];
        tokens = int64_t(sums[2]);
    }
    progress->validationLoss = tokens > 0 ? ceSum / double(tokens) : TrainProgress::none;
    progress->validationDemd = tokens > 0 ? demdSum / double(tokens) : TrainProgress::none;
}

TrainProgress TrainingRun::validateAndCheckpoint(const TrainProgress& stepRecord)
{
    TrainProgress v = stepRecord;
    v.stage = "validating";
    if (m_validationBlocks.defined()) {
        validate(&v);
        if (!std::isfinite(v.validationLoss))
            failNonFinite("the validation loss", v.validationLoss, m_step);
    }
    const bool better = !m_validationBlocks.defined() || !std::isfinite(m_bestValidationLoss) ||
                        v.validationLoss < m_bestValidationLoss;
    if (better) {
        if (writesFiles())
            m_model->save(m_settings.outputDir);
        m_bestValidationLoss = v.validationLoss;
        m_bestStep = m_step;
    }
    v.bestValidationLoss = m_bestValidationLoss;
    v.bestStep = m_bestStep;
    v.elapsedSeconds = m_elapsedBefore + std::chrono::duration<double>(Clock::now() - m_processStart).count();
    m_validationHistory.push_back(v);
    if (writesFiles())
        appendMetricsLine(joinPath(m_settings.outputDir, kMetricsJsonl), progressToJson(v, "validation"));
    saveState(m_step == m_totalSteps ? "completed" : "running");
    return v;
}

TrainResult TrainingRun::run()
{
    m_device = util::parseDevice(m_settings.device);
    // Data parallel on CUDA without an index: each process takes the GPU of its local rank, as torchrun expects.
    if (m_device.is_cuda() && !m_device.has_index() && m_settings.distributed.distributed())
        m_device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(m_settings.distributed.localRank));
    m_precision = util::parsePrecision(m_settings.precision, m_device);
    m_scaler = LossScaler(m_precision == torch::kFloat16);
    if (m_settings.distributed.distributed())
        m_group = std::make_unique<DataParallelGroup>(m_settings.distributed, m_device);
    const RunRecord previous = checkResume();
    prepareOutputFolder();
    loadModel();
    prepareCostEmbedding();
    loadData();
    planSteps();
    createOptimizer();
    restoreOrStart(previous);

    const std::string metricsPath = joinPath(m_settings.outputDir, kMetricsJsonl);
    m_processStart = Clock::now();
    while (m_step < m_totalSteps) {
        const auto stepStart = Clock::now();
        const StepOutcome step = trainStep();
        const auto now = Clock::now();
        const TrainProgress record = stepProgress(step, std::chrono::duration<double>(now - stepStart).count(),
                                                  std::chrono::duration<double>(now - m_processStart).count());
        m_stepHistory.push_back(record);
        if (writesFiles())
            appendMetricsLine(metricsPath, progressToJson(record, "step"));
        // A stop asked for during the step still lets a due validation finish, so nothing of it is lost.
        bool keepGoing = report(record);
        if (validationDue(step))
            keepGoing = report(validateAndCheckpoint(record)) && keepGoing;
        if (m_group)  // a stop on any rank (Ctrl-C there) stops them all at the same step
            keepGoing = m_group->sum({keepGoing ? 0.0 : 1.0}, "agreeing whether to go on after step " + std::to_string(m_step))[0] == 0.0;
        if (!keepGoing) {
            const std::string message = "cancelled after step " + std::to_string(m_step) + " of " +
                                        std::to_string(m_totalSteps);
            saveState("cancelled", message);
            throw Error::cancelled(message + "; the state is saved in " + m_settings.outputDir +
                                   ", and resuming it (--resume) continues exactly");
        }
    }

    // Resuming a finished run (or one whose new step budget is already reached) changes nothing on disk
    // except the record.
    saveState("completed");
    TrainProgress done;
    done.stage = "done";
    done.step = m_step;
    done.totalSteps = m_totalSteps;
    done.epoch = m_epoch;
    done.bestValidationLoss = m_bestValidationLoss;
    done.bestStep = m_bestStep;
    done.message = "finished " + std::to_string(m_step) + " steps";
    report(done);
    return result();
}

} // namespace

Trainer::Trainer(TrainSettings settings) : m_settings(std::move(settings)) {}

// Messages name the run.json field: the CLI refuses its options by name before this runs, so what reaches
// here comes from the app's widgets or from a run.json edited by hand (read on --resume).
void Trainer::validateSettings(const TrainSettings& s)
{
    auto atLeast = [](int64_t value, int64_t min, const char* field) {
        if (value < min)
            throw Error::badInput(std::string(field) + ": must be at least " + std::to_string(min) + " (got " +
                                  std::to_string(value) + ")");
    };
    auto finiteIn = [](double value, double min, double max, bool maxOpen, const char* field) {
        if (!std::isfinite(value) || value < min || value > max || (maxOpen && value == max))
            throw Error::badInput(std::string(field) + ": must be a finite number in [" + util::shortNumber(min) + ", " +
                                  (std::isinf(max) ? std::string("∞") : util::shortNumber(max)) + (maxOpen ? ")" : "]") +
                                  " (got " + util::shortNumber(value) + ")");
    };
    constexpr double kInfinity = std::numeric_limits<double>::infinity();
    atLeast(s.batchSize, 1, "batch_size");
    util::parsePrecision(s.precision, util::parseDevice(s.device));  // device and dtype, named
    if (s.distributed.worldSize < 1 || s.distributed.rank < 0 || s.distributed.rank >= s.distributed.worldSize)
        throw Error::badInput("distributed: rank " + std::to_string(s.distributed.rank) + " outside world size "
                              + std::to_string(s.distributed.worldSize));
    atLeast(s.gradientAccumulation, 1, "gradient_accumulation");
    atLeast(s.blockSize, 2, "block_size");
    atLeast(s.maxSteps, 0, "max_steps");
    if (s.maxSteps == 0)
        atLeast(s.epochs, 1, "epochs");
    finiteIn(s.learningRate, 0.0, kInfinity, true, "learning_rate");
    finiteIn(s.weightDecay, 0.0, kInfinity, true, "weight_decay");
    finiteIn(s.adamBeta1, 0.0, 1.0, true, "adam_beta1");
    finiteIn(s.adamBeta2, 0.0, 1.0, true, "adam_beta2");
    finiteIn(s.adamEps, 0.0, kInfinity, true, "adam_eps");
    if (!LearningRateSchedule::isKnown(s.schedule))
        throw Error::badInput("schedule: unknown learning-rate schedule '" + s.schedule +
                              "' (expected linear, constant or cosine)");
    atLeast(s.warmupSteps, 0, "warmup_steps");
    finiteIn(s.clipNorm, 0.0, kInfinity, true, "clip_norm");
    atLeast(s.validateEvery, 0, "validate_every");
    finiteIn(s.validationFraction, 0.0, 1.0, true, "validation_fraction");
    objective::checkObjectiveSettings(s.objective);
    if (s.dataPath.empty())
        throw Error::badInput("data_path: no training data given");
    if (s.outputDir.empty())
        throw Error::badInput("output_dir: no output folder given");
    if (s.modelPath.empty() && s.resumeDir.empty())
        throw Error::badInput("model_path: no model folder given");
}

namespace {

// Fault injection for the tests that drive the CLI or the app as a user does (unit tests set a hook):
// EMO_FAULT_NAN_LOSS_AT_STEP=N makes the loss of step N NaN.
Trainer::LossHook faultInjectionHook()
{
    const char* text = std::getenv("EMO_FAULT_NAN_LOSS_AT_STEP");
    if (!text)
        return {};
    const int64_t at = std::atoll(text);
    return [at](int64_t step, const torch::Tensor& loss) {
        return step == at ? loss * std::numeric_limits<double>::quiet_NaN() : loss;
    };
}

} // namespace

TrainResult Trainer::run(const TrainProgressCallback& progress)
{
    validateSettings(m_settings);
    TrainingRun run(m_settings, progress, m_lossHook ? m_lossHook : faultInjectionHook());
    return run.run();
}

} // namespace emo::train
