#pragma once
#include "io/model_config.h"

#include <string>

namespace emo::bench {

// A model shape and a training batch to time: the architecture (config) and batch × seq tokens.
struct BenchShape {
    std::string name;
    io::ModelConfig config;
    int64_t batch = 0;
    int64_t seq = 0;
};

// "demo" (LLaMA L4 d256 V8000, 8×256), "gpt2-small" (L12 d768 V50257, 4×128), "quick" (LLaMA L2 d128 V2000,
// 2×64). Throws std::invalid_argument naming the shape for any other name.
BenchShape namedShape(const std::string& name);

// A shape of the given family with every size given (heads must divide d; GPT-2 ignores kvHeads).
BenchShape customShape(const std::string& arch, int64_t layers, int64_t d, int64_t heads, int64_t kvHeads,
                       int64_t vocab, int64_t seq, int64_t batch);

// Matmul FLOPs of one training step ≈ 3 × forward (backward is two GEMMs per forward GEMM), attention included.
double trainingStepFlops(const BenchShape& shape);

std::string describe(const BenchShape& shape);  // "llama L4 d256 V8000, 8 x 256 tokens"

} // namespace emo::bench
