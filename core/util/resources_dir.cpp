#include "util/resources_dir.h"

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace emo::util {

std::string resourcesDir(const std::string& builtIn)
{
    if (const char* fromEnv = std::getenv("EMO_RESOURCES_DIR"); fromEnv && *fromEnv)
        return fromEnv;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path installed = exe.parent_path() / "../share/emo-studio/resources";
        if (fs::is_directory(installed, ec))
            return fs::canonical(installed, ec).string();
    }
    return builtIn;
}

} // namespace emo::util
