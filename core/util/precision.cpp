#include "util/precision.h"

#include "util/error.h"

#include <ATen/autocast_mode.h>

namespace emo::util {

torch::ScalarType parsePrecision(const std::string& text, const torch::Device& device, const std::string& option)
{
    torch::ScalarType type;
    if (text == "fp32" || text == "float32")
        type = torch::kFloat32;
    else if (text == "bf16" || text == "bfloat16")
        type = torch::kBFloat16;
    else if (text == "fp16" || text == "float16")
        type = torch::kFloat16;
    else
        throw Error::badInput(option + " " + text + ": not a precision (fp32, bf16, fp16)");
    if (type == torch::kFloat16 && !device.is_cuda())
        throw Error::badInput(option + " " + text + ": float16 autocast needs a CUDA device; on " + device.str()
                              + " LibTorch's autocast computes in bfloat16 only (use bf16)");
    return type;
}

std::string precisionName(torch::ScalarType type)
{
    switch (type) {
    case torch::kBFloat16: return "bf16";
    case torch::kFloat16: return "fp16";
    default: return "fp32";
    }
}

AutocastScope::AutocastScope(const torch::Device& device, torch::ScalarType type)
{
    if (type != torch::kBFloat16 && type != torch::kFloat16)
        return;
    m_active = true;
    m_cuda = device.is_cuda();
    if (m_cuda) {
        m_wasEnabled = at::autocast::is_enabled();
        m_previousType = at::autocast::get_autocast_gpu_dtype();
        at::autocast::set_autocast_gpu_dtype(type);
        at::autocast::set_enabled(true);
    } else {
        m_wasEnabled = at::autocast::is_cpu_enabled();
        m_previousType = at::autocast::get_autocast_cpu_dtype();
        at::autocast::set_autocast_cpu_dtype(type);
        at::autocast::set_cpu_enabled(true);
    }
    at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope()
{
    if (!m_active)
        return;
    if (at::autocast::decrement_nesting() == 0)
        at::autocast::clear_cache();
    if (m_cuda) {
        at::autocast::set_enabled(m_wasEnabled);
        at::autocast::set_autocast_gpu_dtype(m_previousType);
    } else {
        at::autocast::set_cpu_enabled(m_wasEnabled);
        at::autocast::set_autocast_cpu_dtype(m_previousType);
    }
}

std::optional<torch::ScalarType> autocastType(const torch::Device& device)
{
    if (device.is_cuda())
        return at::autocast::is_enabled() ? std::optional(at::autocast::get_autocast_gpu_dtype()) : std::nullopt;
    if (device.is_cpu())
        return at::autocast::is_cpu_enabled() ? std::optional(at::autocast::get_autocast_cpu_dtype()) : std::nullopt;
    return std::nullopt;
}

int64_t headRowMultiple(const torch::Device& device) { return device.is_cuda() ? 64 : 1; }

torch::Tensor padRows(const torch::Tensor& matrix, int64_t multiple, torch::ScalarType type)
{
    const int64_t rows = matrix.size(0);
    const int64_t padded = (rows + multiple - 1) / multiple * multiple;
    if (padded == rows)
        return matrix.scalar_type() == type ? matrix : matrix.to(type);
    torch::Tensor out = torch::zeros({padded, matrix.size(1)}, matrix.options().dtype(type));
    out.narrow(0, 0, rows).copy_(matrix);
    return out;
}

} // namespace emo::util
