#pragma once
#include "objective/objective_types.h"

#include <CLI/CLI.hpp>

#include <string>

namespace emo::cli {

// --objective and its options (--emo-mode, --emo-ratio-cap, --gamma, --tailr-min-weight, --eta), shared by
// the commands that pick an objective.
class ObjectiveOptions {
public:
    void declareObjective(CLI::App& command);   // --objective (required)
    void declareParameters(CLI::App& command);  // the options of every objective
    objective::ObjectiveSettings settings() const;  // throws emo::Error(BadInput) naming the option

    std::string objectiveName = "emo";
    std::string emoMode = "paper";
    std::string tailrForm = "paper";
    objective::ObjectiveSettings defaults;
};

} // namespace emo::cli
