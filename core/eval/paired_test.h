#pragma once
#include <cstdint>
#include <vector>

namespace emo::eval {

// A paired two-sided test of "a and b have the same mean" (the paper's bold: better than MLE with p < 0.001),
// by sign flips of the differences d_i = a_i − b_i: under the null each d_i is as likely to be −d_i. The
// statistic is |mean d|; exact over all 2^n sign patterns when n ≤ exactLimit, else Monte Carlo with
// `draws` patterns from a fixed seed, p = (1 + #{|T*| ≥ |T|}) / (1 + draws). No normality assumed, so it
// holds for MAUVE and perplexity alike.
struct PairedTestResult {
    int64_t pairs = 0;
    double meanDifference = 0.0;  // mean of a − b
    double pValue = 1.0;          // 1 when there are no pairs or every difference is 0
    bool exact = false;
};

// a [n], b [n] (same n, else emo::Error(BadInput)) → result
PairedTestResult pairedSignFlipTest(const std::vector<double>& a, const std::vector<double>& b,
                                    int64_t exactLimit = 20, int64_t draws = 100000, uint64_t seed = 12345);

} // namespace emo::eval
