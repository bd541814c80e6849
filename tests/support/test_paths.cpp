#include "support/test_paths.h"

#include <cstdlib>
#include <filesystem>

namespace emo::test {
std::string outputDir()
{
    const char* fromEnv = std::getenv("EMO_TEST_OUTPUT_DIR");
    std::string dir = fromEnv ? fromEnv : std::string(EMO_BINARY_DIR) + "/tests/output";
    std::filesystem::create_directories(dir);
    return dir;
}
}
