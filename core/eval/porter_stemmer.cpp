#include "eval/porter_stemmer.h"

#include <functional>
#include <map>
#include <vector>

namespace emo::eval {
namespace {

bool endsWith(const std::string& word, const std::string& suffix)
{
    return word.size() >= suffix.size() && word.compare(word.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string dropSuffix(const std::string& word, size_t length) { return word.substr(0, word.size() - length); }

bool isVowelLetter(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

// A consonant is a letter other than a, e, i, o, u, and other than y preceded by a consonant.
bool isConsonant(const std::string& word, size_t i)
{
    if (isVowelLetter(word[i]))
        return false;
    if (word[i] == 'y')
        return i == 0 ? true : !isConsonant(word, i - 1);
    return true;
}

// m of [C](VC){m}[V]: the number of vowel→consonant transitions.
int measure(const std::string& stem)
{
    int m = 0;
    for (size_t i = 1; i < stem.size(); ++i)
        if (!isConsonant(stem, i - 1) && isConsonant(stem, i))
            ++m;
    return m;
}

bool positiveMeasure(const std::string& stem) { return measure(stem) > 0; }
bool measureAboveOne(const std::string& stem) { return measure(stem) > 1; }

bool containsVowel(const std::string& stem)
{
    for (size_t i = 0; i < stem.size(); ++i)
        if (!isConsonant(stem, i))
            return true;
    return false;
}

// *d: ends with a double consonant.
bool endsDoubleConsonant(const std::string& word)
{
    const size_t n = word.size();
    return n >= 2 && word[n - 1] == word[n - 2] && isConsonant(word, n - 1);
}

// *o: ends consonant-vowel-consonant, the last not w, x or y; NLTK also accepts a two-letter
// vowel-consonant word.
bool endsCvc(const std::string& word)
{
    const size_t n = word.size();
    if (n >= 3 && isConsonant(word, n - 3) && !isConsonant(word, n - 2) && isConsonant(word, n - 1) &&
        word[n - 1] != 'w' && word[n - 1] != 'x' && word[n - 1] != 'y')
        return true;
    return n == 2 && !isConsonant(word, 0) && isConsonant(word, 1);
}

struct SuffixRule {
    const char* suffix;
    const char* replacement;
    std::function<bool(const std::string& stem)> condition;  // empty: unconditional
};

// The first rule whose suffix matches decides: it applies if its condition holds on the stem, else the
// word is returned unchanged (no later rule is tried), as in the paper's "longest match" reading.
std::string applyFirstMatchingRule(const std::string& word, const std::vector<SuffixRule>& rules)
{
    for (const auto& rule : rules) {
        const std::string suffix = rule.suffix;
        if (!endsWith(word, suffix))
            continue;
        const std::string stem = dropSuffix(word, suffix.size());
        if (!rule.condition || rule.condition(stem))
            return stem + rule.replacement;
        return word;
    }
    return word;
}

const std::map<std::string, std::string>& irregularForms()
{
    static const std::map<std::string, std::string> forms = {
        {"sky", "sky"},         {"skies", "sky"},     {"dying", "die"},       {"lying", "lie"},
        {"tying", "tie"},       {"news", "news"},     {"innings", "inning"},  {"inning", "inning"},
        {"outings", "outing"},  {"outing", "outing"}, {"cannings", "canning"}, {"canning", "canning"},
        {"howe", "howe"},       {"proceed", "proceed"}, {"exceed", "exceed"}, {"succeed", "succeed"},
    };
    return forms;
}

} // namespace

std::string PorterStemmer::stem(const std::string& word) const
{
    const auto& irregular = irregularForms();
    if (auto it = irregular.find(word); it != irregular.end())
        return it->second;
    if (word.size() <= 2)
        return word;
    std::string s = step1a(word);
    s = step1b(s);
    s = step1c(s);
    s = step2(s);
    s = step3(s);
    s = step4(s);
    s = step5a(s);
    return step5b(s);
}

// Plurals: sses → ss, ies → i (NLTK: a 4-letter "xies" → "xie"), ss → ss, s → "".
std::string PorterStemmer::step1a(const std::string& word) const
{
    if (word.size() == 4 && endsWith(word, "ies"))
        return dropSuffix(word, 3) + "ie";
    return applyFirstMatchingRule(word, {{"sses", "ss", {}}, {"ies", "i", {}}, {"ss", "ss", {}}, {"s", "", {}}});
}

// -eed, -ed, -ing, then the tidying of the stem (at→ate, bl→ble, iz→ize, undouble, add e after short cvc).
std::string PorterStemmer::step1b(const std::string& word) const
{
    if (endsWith(word, "ied"))  // NLTK: "died" → "die", "spied" → "spi"
        return dropSuffix(word, 3) + (word.size() == 4 ? "ie" : "i");
    if (endsWith(word, "eed")) {
        const std::string stem = dropSuffix(word, 3);
        return measure(stem) > 0 ? stem + "ee" : word;
    }
    std::string stem;
    bool removed = false;
    for (const char* suffix : {"ed", "ing"}) {
        if (endsWith(word, suffix)) {
            stem = dropSuffix(word, std::string(suffix).size());
            if (containsVowel(stem)) {
                removed = true;
                break;
            }
        }
    }
    if (!removed)
        return word;
    if (endsWith(stem, "at") || endsWith(stem, "bl") || endsWith(stem, "iz"))
        return stem + "e";
    if (endsDoubleConsonant(stem)) {
        const char last = stem.back();
        return (last == 'l' || last == 's' || last == 'z') ? stem : stem.substr(0, stem.size() - 1);
    }
    if (measure(stem) == 1 && endsCvc(stem))
        return stem + "e";
    return stem;
}

// y → i when preceded by a consonant that is not the whole stem (NLTK's condition, not the paper's *v*).
std::string PorterStemmer::step1c(const std::string& word) const
{
    if (!endsWith(word, "y"))
        return word;
    const std::string stem = dropSuffix(word, 1);
    if (stem.size() > 1 && isConsonant(stem, stem.size() - 1))
        return stem + "i";
    return word;
}

std::string PorterStemmer::step2(const std::string& word) const
{
    // NLTK: "alli" → "al" and step 2 again (so "-ationalli" can continue).
    if (endsWith(word, "alli") && positiveMeasure(dropSuffix(word, 4)))
        return step2(dropSuffix(word, 4) + "al");
    const auto logiCondition = [&word](const std::string&) { return positiveMeasure(dropSuffix(word, 3)); };
    return applyFirstMatchingRule(word, {
        {"ational", "ate", positiveMeasure}, {"tional", "tion", positiveMeasure},
        {"enci", "ence", positiveMeasure},   {"anci", "ance", positiveMeasure},
        {"izer", "ize", positiveMeasure},    {"bli", "ble", positiveMeasure},
        {"alli", "al", positiveMeasure},     {"entli", "ent", positiveMeasure},
        {"eli", "e", positiveMeasure},       {"ousli", "ous", positiveMeasure},
        {"ization", "ize", positiveMeasure}, {"ation", "ate", positiveMeasure},
        {"ator", "ate", positiveMeasure},    {"alism", "al", positiveMeasure},
        {"iveness", "ive", positiveMeasure}, {"fulness", "ful", positiveMeasure},
        {"ousness", "ous", positiveMeasure}, {"aliti", "al", positiveMeasure},
        {"iviti", "ive", positiveMeasure},   {"biliti", "ble", positiveMeasure},
        {"fulli", "ful", positiveMeasure},   {"logi", "log", logiCondition},
    });
}

std::string PorterStemmer::step3(const std::string& word) const
{
    return applyFirstMatchingRule(word, {
        {"icate", "ic", positiveMeasure}, {"ative", "", positiveMeasure}, {"alize", "al", positiveMeasure},
        {"iciti", "ic", positiveMeasure}, {"ical", "ic", positiveMeasure}, {"ful", "", positiveMeasure},
        {"ness", "", positiveMeasure},
    });
}

std::string PorterStemmer::step4(const std::string& word) const
{
    const auto ionCondition = [](const std::string& stem) {
        return measure(stem) > 1 && !stem.empty() && (stem.back() == 's' || stem.back() == 't');
    };
    return applyFirstMatchingRule(word, {
        {"al", "", measureAboveOne},   {"ance", "", measureAboveOne}, {"ence", "", measureAboveOne},
        {"er", "", measureAboveOne},   {"ic", "", measureAboveOne},   {"able", "", measureAboveOne},
        {"ible", "", measureAboveOne}, {"ant", "", measureAboveOne},  {"ement", "", measureAboveOne},
        {"ment", "", measureAboveOne}, {"ent", "", measureAboveOne},  {"ion", "", ionCondition},
        {"ou", "", measureAboveOne},   {"ism", "", measureAboveOne},  {"ate", "", measureAboveOne},
        {"iti", "", measureAboveOne},  {"ous", "", measureAboveOne},  {"ive", "", measureAboveOne},
        {"ize", "", measureAboveOne},
    });
}

// Final e: removed when m > 1, or m = 1 and the stem does not end cvc.
std::string PorterStemmer::step5a(const std::string& word) const
{
    if (!endsWith(word, "e"))
        return word;
    const std::string stem = dropSuffix(word, 1);
    const int m = measure(stem);
    if (m > 1 || (m == 1 && !endsCvc(stem)))
        return stem;
    return word;
}

// ll → l when m > 1 (measured on the word without its last letter).
std::string PorterStemmer::step5b(const std::string& word) const
{
    if (endsWith(word, "ll") && measure(dropSuffix(word, 1)) > 1)
        return dropSuffix(word, 1);
    return word;
}

} // namespace emo::eval
