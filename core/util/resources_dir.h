#pragma once
#include <string>

namespace emo::util {

// Where the bundled demo models and corpora are: $EMO_RESOURCES_DIR, else ../share/emo-studio/resources
// next to the running binary (an installed build), else `builtIn` (the source tree's resources/, which the
// app and the CLI are compiled with).
std::string resourcesDir(const std::string& builtIn);

} // namespace emo::util
