#pragma once
#include <cstdint>
#include <vector>

namespace emo::eval {

// The divergence frontier of MAUVE (krishnap25/mauve, get_divergence_curve_for_multinomials and the area
// computed in compute_mauve), on plain histograms.

// KL(p‖q) = Σ p_i log(p_i/q_i) over i with p_i, q_i ≠ 0; +∞ if some p_i ≠ 0 where q_i = 0.
double klMultinomial(const std::vector<double>& p, const std::vector<double>& q);

struct DivergenceCurve {
    std::vector<double> x;  // exp(−c·KL(q‖R_λ))
    std::vector<double> y;  // exp(−c·KL(p‖R_λ))
};

// p, q: histograms of equal length (sum 1) → points + 2: first the end point exp(−c·(0, ∞)) = (1, 0), then
// R_λ = λp + (1−λ)q for λ in linspace(1e-6, 1 − 1e-6, points) ascending, last exp(−c·(∞, 0)) = (0, 1).
DivergenceCurve divergenceCurve(const std::vector<double>& p, const std::vector<double>& q, int64_t points,
                                double scalingFactor);

// MAUVE = ½·(trapezoid area of y over x with points sorted by x + area of x over y sorted by y), as
// compute_mauve does with sklearn's auc. Among points with equal sort key the higher other coordinate goes
// first, so exact ties (p = q) give the upper envelope, as numpy's ordering does on real curves.
double mauveArea(const DivergenceCurve& curve);

} // namespace emo::eval
