#pragma once
#include <cstdint>
#include <vector>

namespace emo::transport {

// An optimal transport plan between two distributions over small supports (plain data: the GUI includes this).
// plan[i*cols + j] is the mass moved from source point i to target point j; rows sum to the source
// distribution, columns to the target one.
struct TransportPlan {
    int64_t rows = 0;
    int64_t cols = 0;
    std::vector<double> plan;   // rows × cols, row-major
    double totalCost = 0.0;     // Σ_ij plan_ij · C_ij: the exact EMD
    int64_t augmentations = 0;  // shortest-path augmentations the solver needed
};

} // namespace emo::transport
