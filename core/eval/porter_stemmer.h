#pragma once
#include <string>

namespace emo::eval {

// The Porter stemmer (Porter 1980, "An algorithm for suffix stripping") with the departures of NLTK's
// PorterStemmer in its default mode NLTK_EXTENSIONS, because that is the stemmer rouge-score uses:
// a table of irregular forms (sky/skies, dying, news, ...), words of ≤ 2 letters left alone, "ies"/"ied"
// of 4-letter words → "ie", the (*c and not c) condition of step 1c, "bli"→"ble", recursive "alli",
// "fulli", "logi", and the two-letter vowel-consonant form of *o. Input is lower-case ASCII.
class PorterStemmer {
public:
    std::string stem(const std::string& word) const;

private:
    std::string step1a(const std::string& word) const;
    std::string step1b(const std::string& word) const;
    std::string step1c(const std::string& word) const;
    std::string step2(const std::string& word) const;
    std::string step3(const std::string& word) const;
    std::string step4(const std::string& word) const;
    std::string step5a(const std::string& word) const;
    std::string step5b(const std::string& word) const;
};

} // namespace emo::eval
