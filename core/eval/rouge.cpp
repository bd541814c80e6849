#include "eval/rouge.h"

#include "eval/porter_stemmer.h"
#include "util/error.h"

#include <algorithm>
#include <map>

namespace emo::eval {
namespace {

double fmeasure(double precision, double recall)
{
    return precision + recall > 0.0 ? 2.0 * precision * recall / (precision + recall) : 0.0;
}

bool isTokenChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

} // namespace

std::vector<std::string> rougeTokenize(const std::string& text, bool useStemmer)
{
    // Lower-case, mapping every non-token character to a separator.
    std::string lowered;
    lowered.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            const char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
            lowered.push_back(isTokenChar(l) ? l : ' ');
        } else if (c == 0xC4 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xB0) {
            lowered += "i ";  // İ lower-cases to i + U+0307, and the combining dot is a separator
            i += 1;
        } else if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x84 &&
                   static_cast<unsigned char>(text[i + 2]) == 0xAA) {
            lowered.push_back('k');  // Kelvin sign
            i += 2;
        } else {
            lowered.push_back(' ');
        }
    }
    std::vector<std::string> tokens;
    const PorterStemmer stemmer;
    size_t start = 0;
    while (start < lowered.size()) {
        while (start < lowered.size() && lowered[start] == ' ')
            ++start;
        size_t end = start;
        while (end < lowered.size() && lowered[end] != ' ')
            ++end;
        if (end > start) {
            std::string token = lowered.substr(start, end - start);
            if (useStemmer && token.size() > 3)
                token = stemmer.stem(token);
            if (!token.empty())
                tokens.push_back(std::move(token));
        }
        start = end;
    }
    return tokens;
}

RougeScore rougeNScore(const std::vector<std::string>& target, const std::vector<std::string>& prediction, int n)
{
    if (n <= 0)
        throw Error::badInput("rouge: n of ROUGE-N must be positive, got " + std::to_string(n));
    const auto ngramCounts = [n](const std::vector<std::string>& tokens) {
        std::map<std::vector<std::string>, int64_t> counts;
        for (size_t i = 0; i + static_cast<size_t>(n) <= tokens.size(); ++i)
            ++counts[std::vector<std::string>(tokens.begin() + i, tokens.begin() + i + n)];
        return counts;
    };
    const auto targetCounts = ngramCounts(target);
    const auto predictionCounts = ngramCounts(prediction);
    int64_t overlap = 0, targetTotal = 0, predictionTotal = 0;
    for (const auto& [ngram, count] : targetCounts) {
        targetTotal += count;
        if (auto it = predictionCounts.find(ngram); it != predictionCounts.end())
            overlap += std::min(count, it->second);
    }
    for (const auto& entry : predictionCounts)
        predictionTotal += entry.second;
    RougeScore score;
    score.precision = static_cast<double>(overlap) / static_cast<double>(std::max<int64_t>(predictionTotal, 1));
    score.recall = static_cast<double>(overlap) / static_cast<double>(std::max<int64_t>(targetTotal, 1));
    score.fmeasure = fmeasure(score.precision, score.recall);
    return score;
}

RougeScore rougeLScore(const std::vector<std::string>& target, const std::vector<std::string>& prediction)
{
    if (target.empty() || prediction.empty())
        return {};
    // LCS length by dynamic programming, keeping one row.
    std::vector<int64_t> previous(prediction.size() + 1, 0), current(prediction.size() + 1, 0);
    for (size_t i = 1; i <= target.size(); ++i) {
        for (size_t j = 1; j <= prediction.size(); ++j)
            current[j] = target[i - 1] == prediction[j - 1] ? previous[j - 1] + 1
                                                            : std::max(previous[j], current[j - 1]);
        std::swap(previous, current);
    }
    const double lcs = static_cast<double>(previous.back());
    RougeScore score;
    score.precision = lcs / static_cast<double>(prediction.size());
    score.recall = lcs / static_cast<double>(target.size());
    score.fmeasure = fmeasure(score.precision, score.recall);
    return score;
}

RougeScores scoreRouge(const std::string& target, const std::string& prediction, bool useStemmer)
{
    const auto targetTokens = rougeTokenize(target, useStemmer);
    const auto predictionTokens = rougeTokenize(prediction, useStemmer);
    return {rougeNScore(targetTokens, predictionTokens, 1), rougeLScore(targetTokens, predictionTokens)};
}

RougeScores meanRouge(const std::vector<std::string>& targets, const std::vector<std::string>& predictions,
                      bool useStemmer)
{
    if (targets.size() != predictions.size())
        throw Error::badInput("rouge: " + std::to_string(targets.size()) + " targets but " +
                              std::to_string(predictions.size()) + " predictions");
    RougeScores mean;
    if (targets.empty())
        return mean;
    const auto add = [](RougeScore& sum, const RougeScore& s) {
        sum.precision += s.precision;
        sum.recall += s.recall;
        sum.fmeasure += s.fmeasure;
    };
    for (size_t i = 0; i < targets.size(); ++i) {
        const RougeScores s = scoreRouge(targets[i], predictions[i], useStemmer);
        add(mean.rouge1, s.rouge1);
        add(mean.rougeL, s.rougeL);
    }
    const double n = static_cast<double>(targets.size());
    for (RougeScore* s : {&mean.rouge1, &mean.rougeL}) {
        s->precision /= n;
        s->recall /= n;
        s->fmeasure /= n;
    }
    return mean;
}

} // namespace emo::eval
