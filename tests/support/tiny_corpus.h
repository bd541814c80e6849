#pragma once
#include <string>

namespace emo::test {

// Sixty short documents made of three English sentences, separated by blank lines: enough blocks for the
// tiny training runs of the CLI tests. `numbered` ends each with its index, so no two documents are equal.
std::string repetitiveCorpus(bool numbered = false);

} // namespace emo::test
