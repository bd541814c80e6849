#pragma once
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

namespace emo::cli {

// One `emo` subcommand: declares its options on a CLI11 subcommand, then runs. Errors are thrown as
// emo::Error and turned into exit codes by main (BadInput → 2, Runtime → 1).
class CliCommand {
public:
    virtual ~CliCommand() = default;
    virtual const char* name() const = 0;
    virtual const char* summary() const = 0;
    virtual void declareOptions(CLI::App& command) = 0;
    virtual int run() = 0;
};

std::unique_ptr<CliCommand> makeInfoCommand();
std::unique_ptr<CliCommand> makeTokenizeCommand();
std::unique_ptr<CliCommand> makePretrainCommand();
std::unique_ptr<CliCommand> makeTrainCommand();
std::unique_ptr<CliCommand> makeSampleCommand();
std::unique_ptr<CliCommand> makeInspectCommand();
std::unique_ptr<CliCommand> makeExportCommand();
std::unique_ptr<CliCommand> makeEvalCommand();
std::unique_ptr<CliCommand> makeExperimentCommand();

} // namespace emo::cli
