#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace emo::fuzz {

// A small deterministic mutator for the test suite's replay (libFuzzer brings its own, coverage-guided):
// bit flips, boundary bytes, inserted / deleted / duplicated ranges, truncation, dictionary tokens, numbers
// replaced by extreme ones, and splices of two inputs. The same seed gives the same inputs on every machine.
class InputMutator {
public:
    InputMutator(uint64_t seed, std::vector<std::string> dictionary);

    std::string mutate(const std::string& input, const std::string& other);  // `other`: a second input to splice

    // libFuzzer's dictionary format: one `"token"` or `name="token"` a line, \\, \" and \xNN escapes, # comments.
    static std::vector<std::string> readDictionary(const std::string& path);

private:
    uint64_t next();
    std::size_t below(std::size_t n);  // uniform in [0, n); 0 when n is 0

    uint64_t m_state;
    std::vector<std::string> m_dictionary;
};

} // namespace emo::fuzz
