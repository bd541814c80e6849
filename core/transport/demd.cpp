#include "transport/demd.h"

#include "util/error.h"

#include <string>

namespace emo::transport {

// q [n], p [m], cost [n×m] → Σ_i Σ_j q_i p_j C(i,j)
double demd(const std::vector<double>& q, const std::vector<double>& p, const std::vector<double>& cost)
{
    const std::size_t n = q.size();
    const std::size_t m = p.size();
    if (cost.size() != n * m)
        throw Error::badInput("DEMD: the cost matrix has " + std::to_string(cost.size()) + " entries, expected "
                              + std::to_string(n) + "×" + std::to_string(m));
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        double row = 0.0;
        for (std::size_t j = 0; j < m; ++j)
            row += p[j] * cost[i * m + j];
        total += q[i] * row;
    }
    return total;
}

// q [n], gold, cost [n×n] → Σ_j q_j C(j, gold)
double demdOneHot(const std::vector<double>& q, int64_t gold, const std::vector<double>& cost)
{
    const int64_t n = static_cast<int64_t>(q.size());
    if (static_cast<int64_t>(cost.size()) != n * n)
        throw Error::badInput("DEMD: the cost matrix must be " + std::to_string(n) + "×" + std::to_string(n));
    if (gold < 0 || gold >= n)
        throw Error::badInput("DEMD: gold index " + std::to_string(gold) + " outside [0, " + std::to_string(n) + ")");
    double total = 0.0;
    for (int64_t j = 0; j < n; ++j)
        total += q[j] * cost[j * n + gold];
    return total;
}

} // namespace emo::transport
