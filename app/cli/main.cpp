// emo: the headless command-line twin of EMO Studio. Thin: parses options, calls core, maps errors.
#include "cli_command.h"
#include "util/error.h"
#include "util/error_text.h"
#include "util/runtime.h"

#include <iostream>
#include <vector>

int main(int argc, char** argv)
{
    CLI::App app{"emo: Earth Mover distance Optimization for language models, from the command line"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "emo 0.1.0");

    std::vector<std::unique_ptr<emo::cli::CliCommand>> commands;
    commands.push_back(emo::cli::makeInfoCommand());
    commands.push_back(emo::cli::makeTokenizeCommand());
    commands.push_back(emo::cli::makePretrainCommand());
    commands.push_back(emo::cli::makeTrainCommand());
    commands.push_back(emo::cli::makeSampleCommand());
    commands.push_back(emo::cli::makeInspectCommand());
    commands.push_back(emo::cli::makeEvalCommand());
    commands.push_back(emo::cli::makeExportCommand());
    commands.push_back(emo::cli::makeExperimentCommand());

    std::vector<std::pair<CLI::App*, emo::cli::CliCommand*>> registered;
    for (auto& command : commands) {
        CLI::App* sub = app.add_subcommand(command->name(), command->summary());
        command->declareOptions(*sub);
        registered.emplace_back(sub, command.get());
    }

    // CLI11 reports an unknown command as a missing one; name it instead.
    if (argc > 1 && argv[1][0] != '-') {
        bool known = false;
        std::string names;
        for (auto& [sub, command] : registered) {
            known = known || sub->get_name() == argv[1];
            names += (names.empty() ? "" : ", ") + sub->get_name();
        }
        if (!known) {
            std::cerr << "emo: unknown command '" << argv[1] << "' (commands: " << names << "; see emo --help)\n";
            return 2;
        }
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0)
            return app.exit(e);  // --help, --version
        std::cerr << "emo: " << e.what() << "\n";
        return 2;
    }

    emo::util::keepFreedMemory();
    emo::util::initThreads();
    for (auto& [sub, command] : registered) {
        if (!sub->parsed())
            continue;
        try {
            return command->run();
        } catch (const emo::Error& e) {
            std::cerr << "emo " << command->name() << ": " << e.what() << "\n";
            switch (e.kind()) {
            case emo::Error::Kind::BadInput: return 2;
            case emo::Error::Kind::Cancelled: return 130;
            case emo::Error::Kind::Runtime: return 1;
            }
        } catch (const std::exception& e) {  // a LibTorch error among them, without its backtrace
            std::cerr << "emo " << command->name() << ": " << emo::util::errorText(e) << "\n";
            return 1;
        }
    }
    return 2;
}
