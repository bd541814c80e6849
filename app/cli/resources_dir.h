#pragma once
#include <string>

namespace emo::cli {

// Where the bundled demo models and corpora are: $EMO_RESOURCES_DIR, else ../share/emo-studio/resources
// next to the installed binary, else the source tree's resources/ (a build that was not installed).
std::string resourcesDir();

} // namespace emo::cli
