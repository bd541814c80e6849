#pragma once
#include <string>

namespace emo::test {
// tests/data in the source tree (reference tensors, tokenizer fixtures, the scripts that made them).
inline std::string dataDir() { return EMO_TEST_DATA_DIR; }
inline std::string dataPath(const std::string& relative) { return std::string(EMO_TEST_DATA_DIR) + "/" + relative; }
inline std::string sourceDir() { return EMO_SOURCE_DIR; }
inline std::string binaryDir() { return EMO_BINARY_DIR; }
// Where tests may leave files worth looking at (screenshots, logs): <build>/tests/output.
std::string outputDir();
}
