#pragma once
#include "transport/transport_types.h"
#include "util/progress.h"

#include <vector>

namespace emo::transport {

// Exact earth mover's distance between `source` [n] and `target` [m] (non-negative masses with equal totals,
// within 1e-9 relative; the target is rescaled to the source total) under `cost` [n×m, row-major]:
// min Σ_ij T_ij C_ij over plans T ≥ 0 with row sums = source and column sums = target.
// Successive shortest paths (Dijkstra with potentials on the dense bipartite graph), in double:
// O(k·(n+m)²) for k augmentations, fine for supports up to a few hundred points.
// Throws emo::Error(BadInput) on mismatched sizes, negative or non-finite masses, unequal totals or
// non-finite costs; emo::Error(Cancelled) when `progress` returns false.
TransportPlan exactEmd(const std::vector<double>& source, const std::vector<double>& target,
                       const std::vector<double>& cost, const ProgressCallback& progress = {});

} // namespace emo::transport
