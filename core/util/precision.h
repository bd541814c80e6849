#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>

namespace emo::util {

// What a run computes in (`--dtype`): float32, or mixed precision (autocast) in bfloat16 / float16 with the
// weights and optimizer state kept in float32. "fp32" | "float32", "bf16" | "bfloat16", "fp16" | "float16".
// Throws emo::Error(BadInput) naming `option` for other names, and for float16 on a CPU (LibTorch's CPU
// autocast computes in bfloat16 only).
torch::ScalarType parsePrecision(const std::string& text, const torch::Device& device,
                                 const std::string& option = "--dtype");

// "fp32" | "bf16" | "fp16", as --dtype and run.json spell it.
std::string precisionName(torch::ScalarType type);

// Turns autocast on for `device`'s type in `type` for the scope's life (a no-op for float32), as Python's
// torch.autocast does: nested, the cast-weight cache cleared on leaving the outermost scope. Thread-local,
// like the autocast state itself: open it on the thread that runs the forward. The backward runs outside.
class AutocastScope {
public:
    AutocastScope(const torch::Device& device, torch::ScalarType type);
    ~AutocastScope();
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

private:
    bool m_active = false;
    bool m_cuda = false;
    bool m_wasEnabled = false;
    torch::ScalarType m_previousType = torch::kFloat32;
};

// The type autocast computes matrix products in on `device` right now, or nothing when it is off there.
std::optional<torch::ScalarType> autocastType(const torch::Device& device);

// Rows the LM head is padded to for its GEMM: 64 on CUDA (V 50257 → 50304 was 7× faster in bf16 on an
// H100, DESIGN.md), 1 (none) elsewhere.
int64_t headRowMultiple(const torch::Device& device);

// matrix [V,D] → [⌈V/multiple⌉·multiple, D] in `type`, the extra rows zero (their logits are dropped before
// any softmax by the callers). Returns the matrix itself when nothing changes.
torch::Tensor padRows(const torch::Tensor& matrix, int64_t multiple, torch::ScalarType type);

} // namespace emo::util
