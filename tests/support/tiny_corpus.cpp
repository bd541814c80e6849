#include "support/tiny_corpus.h"

namespace emo::test {

std::string repetitiveCorpus(bool numbered)
{
    std::string text;
    const char* lines[] = {"the cat sat on the mat and the dog sat on the log.",
                           "a bird sang in the tree while the sun rose over the hill.",
                           "the river ran past the mill and the miller sang along."};
    for (int i = 0; i < 60; ++i)
        text += std::string(lines[i % 3]) + (numbered ? " " + std::to_string(i) : std::string()) + "\n\n";
    return text;
}

} // namespace emo::test
