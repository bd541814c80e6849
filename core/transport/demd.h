#pragma once
#include <cstdint>
#include <vector>

namespace emo::transport {

// DEMD as the EMO paper defines it: the cost of the independent coupling T_ij = q_i·p_j,
//   demd(q, p) = Σ_i Σ_j q_i p_j C(i,j)  (= 1 − (Êᵀq)·(Êᵀp) for the cosine cost of unit rows),
// an upper bound of the exact EMD for every p, and equal to it when p is one-hot (then every plan is the
// independent one). q [n], p [m], cost [n×m] row-major (C(i,j): from q's point i to p's point j).
double demd(const std::vector<double>& q, const std::vector<double>& p, const std::vector<double>& cost);

// The one-hot case the objective uses: Σ_j q_j C(j, gold); cost [n×n] row-major.
double demdOneHot(const std::vector<double>& q, int64_t gold, const std::vector<double>& cost);

} // namespace emo::transport
