#include "transport/exact_emd.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

namespace emo::transport {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

void checkMasses(const std::vector<double>& masses, const char* name)
{
    if (masses.empty())
        throw Error::badInput(std::string("exact EMD: the ") + name + " distribution is empty");
    for (double mass : masses) {
        if (!std::isfinite(mass) || mass < 0.0)
            throw Error::badInput(std::string("exact EMD: the ") + name + " distribution has a negative or non-finite mass");
    }
}

} // namespace

// source [n], target [m], cost [n×m] → TransportPlan (n×m)
TransportPlan exactEmd(const std::vector<double>& source, const std::vector<double>& target,
                       const std::vector<double>& cost, const ProgressCallback& progress)
{
    checkMasses(source, "source");
    checkMasses(target, "target");
    const int64_t n = static_cast<int64_t>(source.size());
    const int64_t m = static_cast<int64_t>(target.size());
    if (static_cast<int64_t>(cost.size()) != n * m)
        throw Error::badInput("exact EMD: the cost matrix has " + std::to_string(cost.size()) + " entries, expected "
                              + std::to_string(n) + "×" + std::to_string(m));
    for (double c : cost) {
        if (!std::isfinite(c))
            throw Error::badInput("exact EMD: the cost matrix has a non-finite entry");
    }
    const double sourceTotal = std::accumulate(source.begin(), source.end(), 0.0);
    const double targetTotal = std::accumulate(target.begin(), target.end(), 0.0);
    if (sourceTotal <= 0.0 || std::abs(sourceTotal - targetTotal) > 1e-9 * std::max(sourceTotal, targetTotal))
        throw Error::badInput("exact EMD: the two distributions must have the same positive total mass");

    // Remaining supply / demand; masses below `tolerance` count as moved (floating-point leftovers).
    const double tolerance = 1e-14 * sourceTotal;
    std::vector<double> supply = source;
    std::vector<double> demand(target.size());
    for (int64_t j = 0; j < m; ++j)
        demand[j] = target[j] * (sourceTotal / targetTotal);

    TransportPlan result;
    result.rows = n;
    result.cols = m;
    result.plan.assign(static_cast<std::size_t>(n * m), 0.0);
    std::vector<double>& flow = result.plan;

    // Nodes 0..n-1 are sources, n..n+m-1 targets. Reduced costs c + π(from) − π(to) stay ≥ 0. Every source with
    // supply left keeps π = 0 (its Dijkstra distance is 0), so the multi-source search is a single-source one
    // from a super-source with zero-cost arcs.
    const int64_t nodes = n + m;
    std::vector<double> potential(static_cast<std::size_t>(nodes), 0.0);
    for (int64_t j = 0; j < m; ++j) {
        double lowest = kInfinity;
        for (int64_t i = 0; i < n; ++i)
            lowest = std::min(lowest, cost[i * m + j]);
        potential[n + j] = lowest;
    }
    std::vector<double> distance(static_cast<std::size_t>(nodes));
    std::vector<int64_t> parent(static_cast<std::size_t>(nodes));
    std::vector<char> done(static_cast<std::size_t>(nodes));

    double remaining = sourceTotal;
    const int64_t maxAugmentations = 20 * nodes * nodes + 100;  // a guard against a floating-point cycle
    while (remaining > tolerance * static_cast<double>(nodes)) {
        if (result.augmentations >= maxAugmentations)
            throw Error::runtime("exact EMD: no convergence after " + std::to_string(maxAugmentations) + " augmentations");
        if (progress && !progress(Progress{"transport", static_cast<int64_t>((1.0 - remaining / sourceTotal) * 1000.0), 1000}))
            throw Error::cancelled();

        std::fill(distance.begin(), distance.end(), kInfinity);
        std::fill(parent.begin(), parent.end(), -1);
        std::fill(done.begin(), done.end(), 0);
        for (int64_t i = 0; i < n; ++i) {
            if (supply[i] > tolerance)
                distance[i] = 0.0;
        }
        // Dense Dijkstra: O(nodes²) per augmentation.
        for (;;) {
            int64_t u = -1;
            for (int64_t v = 0; v < nodes; ++v) {
                if (!done[v] && distance[v] < kInfinity && (u < 0 || distance[v] < distance[u]))
                    u = v;
            }
            if (u < 0)
                break;
            done[u] = 1;
            if (u < n) {  // forward arcs source u → every target (uncapacitated)
                for (int64_t j = 0; j < m; ++j) {
                    const int64_t v = n + j;
                    if (done[v])
                        continue;
                    const double reduced = std::max(0.0, cost[u * m + j] + potential[u] - potential[v]);
                    if (distance[u] + reduced < distance[v]) {
                        distance[v] = distance[u] + reduced;
                        parent[v] = u;
                    }
                }
            } else {  // backward arcs target → source, where flow can be undone
                const int64_t j = u - n;
                for (int64_t i = 0; i < n; ++i) {
                    if (done[i] || flow[i * m + j] <= tolerance)
                        continue;
                    const double reduced = std::max(0.0, -cost[i * m + j] + potential[u] - potential[i]);
                    if (distance[u] + reduced < distance[i]) {
                        distance[i] = distance[u] + reduced;
                        parent[i] = u;
                    }
                }
            }
        }
        // The nearest target that still wants mass.
        int64_t sink = -1;
        for (int64_t j = 0; j < m; ++j) {
            if (demand[j] > tolerance && distance[n + j] < kInfinity
                && (sink < 0 || distance[n + j] < distance[sink]))
                sink = n + j;
        }
        if (sink < 0)
            throw Error::runtime("exact EMD: no augmenting path although mass is left (numerical trouble)");

        // Bottleneck along the path: demand at the end, supply at the start, undoable flow on backward arcs.
        double amount = demand[sink - n];
        int64_t start = sink;
        for (int64_t v = sink; parent[v] >= 0; v = parent[v]) {
            const int64_t u = parent[v];
            if (u >= n)  // backward arc target u → source v
                amount = std::min(amount, flow[v * m + (u - n)]);
            start = u;
        }
        amount = std::min(amount, supply[start]);

        for (int64_t v = sink; parent[v] >= 0; v = parent[v]) {
            const int64_t u = parent[v];
            if (u < n) {
                flow[u * m + (v - n)] += amount;
            } else {
                double& undone = flow[v * m + (u - n)];
                undone -= amount;
                if (undone <= tolerance)
                    undone = 0.0;
            }
        }
        supply[start] -= amount;
        if (supply[start] <= tolerance)
            supply[start] = 0.0;
        demand[sink - n] -= amount;
        if (demand[sink - n] <= tolerance)
            demand[sink - n] = 0.0;
        remaining -= amount;

        const double reach = distance[sink];
        for (int64_t v = 0; v < nodes; ++v)
            potential[v] += std::min(distance[v], reach);
        ++result.augmentations;
        // Stop when every target is served: the leftovers are rounding.
        if (std::all_of(demand.begin(), demand.end(), [](double d) { return d == 0.0; }))
            break;
    }

    double total = 0.0;
    for (int64_t k = 0; k < n * m; ++k)
        total += flow[k] * cost[k];
    result.totalCost = total;
    return result;
}

} // namespace emo::transport
