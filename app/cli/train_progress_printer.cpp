#include "train_progress_printer.h"
#include "option_checks.h"

#include "format.h"
#include "interrupt.h"
#include "train/trainer.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>
#include <iostream>

namespace emo::cli {

void TrainProgressPrinter::print(const train::TrainProgress& p)
{
    if (p.stage == "training") {
        if (!m_bar)
            m_bar = std::make_unique<TerminalProgress>("train");
        std::string detail = "loss " + formatNumber(p.loss) + " (ce " + formatNumber(p.mlePart);
        if (!std::isnan(p.demdPart))
            detail += ", demd " + formatNumber(p.demdPart);
        detail += ")  lr " + formatNumber(p.learningRate, 3) + "  " + formatNumber(p.tokensPerSecond, 4) + " tok/s  ETA "
                + formatDuration(p.etaSeconds);
        m_bar->update(p.step, p.totalSteps, detail);
    } else if (p.stage == "validating" && !std::isnan(p.validationLoss)) {
        std::cerr << (m_bar ? "\n" : "") << "validation at step " << p.step << ": ce " << formatNumber(p.validationLoss)
                  << (std::isnan(p.validationDemd) ? "" : ", demd " + formatNumber(p.validationDemd)) << "  (best "
                  << formatNumber(p.bestValidationLoss) << " at step " << p.bestStep << ")\n";
    } else if (!p.message.empty()) {
        // "loading model 3/21" and its siblings: one line per kind of work, not one per item.
        const auto counter = p.message.find_last_of(' ');
        const bool counted = counter != std::string::npos && p.message.find('/', counter) != std::string::npos
                             && std::isdigit(static_cast<unsigned char>(p.message[counter + 1]));
        const std::string kind = counted ? p.message.substr(0, counter) : p.message;
        if (kind != m_lastMessageKind)
            std::cerr << (kind == p.message ? p.message : kind + " ...") << "\n";
        m_lastMessageKind = kind;
    }
}

void TrainProgressPrinter::finish()
{
    if (m_bar)
        m_bar->finish();
}

namespace {

// Core names a setting by its run.json field; a CLI user typed the option. Next to the declarations below so
// that a renamed option is renamed here too.
constexpr std::pair<const char*, const char*> kOptionOfField[] = {
    {"batch_size", "--batch"},         {"block_size", "--block"},       {"learning_rate", "--lr"},
    {"weight_decay", "--weight-decay"}, {"warmup_steps", "--warmup"},   {"gradient_accumulation", "--accumulate"},
    {"clip_norm", "--clip"},           {"validate_every", "--validate-every"},
    {"validation_fraction", "--val-fraction"}, {"max_steps", "--steps"}, {"epochs", "--epochs"},
    {"output_dir", "--out"},           {"model_path", "--model"},       {"data_path", "--data"},
    {"objective.emo_ratio_cap", "--emo-ratio-cap"}, {"objective.tailr_gamma", "--gamma"},
    {"objective.tailr_min_weight", "--tailr-min-weight"}, {"objective.tailr_mix", "--tailr-mix"},
    {"objective.mixce_eta", "--eta"},
};

// "block_size: 100000 exceeds ..." → "--block: 100000 exceeds ..."; other messages unchanged.
Error namedByOption(const Error& error)
{
    const std::string message = error.what();
    for (const auto& [field, option] : kOptionOfField) {
        const std::string prefix = std::string(field) + ": ";
        if (message.rfind(prefix, 0) == 0)
            return Error(option + (": " + message.substr(prefix.size())), error.kind());
    }
    return error;
}

} // namespace

void declareTrainerOptions(CLI::App& command, train::TrainSettings& t)
{
    command.add_option("--val", t.validationPath, "Validation text (default: a held-out share of the data)");
    auto epochs = command.add_option("--epochs", t.epochs, "Passes over the data")
        ->check(countIn(1, 1'000'000))->capture_default_str();
    auto steps = command.add_option("--steps", t.maxSteps, "Optimizer steps (overrides --epochs)")
        ->check(countIn(1, kMaxSteps));
    epochs->excludes(steps);
    command.add_option("--batch", t.batchSize, "Blocks per step")->check(countIn(1, kMaxRows))->capture_default_str();
    command.add_option("--block", t.blockSize, "Tokens per block")->check(countIn(2, kMaxRows))->capture_default_str();
    command.add_option("--lr", t.learningRate, "Peak learning rate")->check(finiteAtLeast(0.0))->capture_default_str();
    command.add_option("--weight-decay", t.weightDecay, "AdamW weight decay")->check(finiteAtLeast(0.0))->capture_default_str();
    command.add_option("--schedule", t.schedule, "linear | constant | cosine")
        ->check(CLI::IsMember({"linear", "constant", "cosine"}))->capture_default_str();
    command.add_option("--warmup", t.warmupSteps, "Warm-up steps")->check(countIn(0, kMaxSteps))->capture_default_str();
    command.add_option("--accumulate", t.gradientAccumulation, "Micro-batches per optimizer step")
        ->check(countIn(1, kMaxRows))->capture_default_str();
    command.add_option("--clip", t.clipNorm, "Clip the global gradient norm (0 = off)")
        ->check(finiteAtLeast(0.0))->capture_default_str();
    command.add_option("--validate-every", t.validateEvery, "Validate every K steps (0 = each epoch)")
        ->check(countIn(0, kMaxSteps))->capture_default_str();
    command.add_option("--val-fraction", t.validationFraction, "Held-out share when there is no --val")
        ->check(finiteIn(0.0, 1.0, OpenEnd::Max))->capture_default_str();
    command.add_option("--seed", t.seed, "Random seed")->capture_default_str();
    command.add_option("--device", t.device, "cpu | cuda | cuda:N")->capture_default_str();
    command.add_option("--dtype", t.precision,
                       "fp32 | bf16 | fp16: autocast precision of the forward (weights and optimizer stay fp32)")
        ->capture_default_str();
    command.add_option("--resume", t.resumeDir, "Run folder to continue exactly");
}

int runTraining(const train::TrainSettings& settings, bool json)
{
    train::Trainer trainer(settings);
    if (settings.distributed.rank > 0) {  // rank 0 prints; the others only stop when asked, and say why they fail
        installInterruptHandler();
        try {
            trainer.run([](const train::TrainProgress&) { return !interruptRequested(); });
        } catch (const Error& e) {
            if (e.kind() != Error::Kind::Cancelled)
                throw;
            return 130;
        }
        return 0;
    }
    return runTrainingWith([&](const train::TrainProgressCallback& progress) { return trainer.run(progress); }, json);
}

int runTrainingWith(const std::function<train::TrainResult(const train::TrainProgressCallback&)>& train, bool json)
{
    installInterruptHandler();
    TrainProgressPrinter printer;
    const auto callback = [&](const train::TrainProgress& p) {
        printer.print(p);
        return !interruptRequested();
    };
    train::TrainResult result;
    try {
        result = train(callback);
    } catch (const Error& e) {
        printer.finish();
        if (e.kind() != Error::Kind::Cancelled)
            throw namedByOption(e);
        if (json)
            std::cout << nlohmann::json{{"status", "cancelled"}, {"message", e.what()}}.dump(2) << "\n";
        std::cerr << "emo: " << e.what() << "\n";  // where the state is saved, if anything was
        return 130;
    }
    printer.finish();
    if (json) {
        nlohmann::json out{{"status", "completed"},
                           {"steps", result.steps}, {"total_steps", result.totalSteps},
                           {"last_loss", result.lastLoss}, {"best_validation_loss", result.bestValidationLoss},
                           {"best_step", result.bestStep}, {"out", result.outputDir}};
        std::cout << out.dump(2) << "\n";
    }
    std::cerr << "emo: " << result.steps << " steps; best validation loss "
              << formatNumber(result.bestValidationLoss) << " at step " << result.bestStep << "; run in "
              << result.outputDir << "\n";
    return 0;
}

} // namespace emo::cli
