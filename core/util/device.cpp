#include "util/device.h"

#include "util/error.h"

namespace emo::util {

torch::Device parseDevice(const std::string& text)
{
    if (text == "cpu")
        return torch::kCPU;
    if (text.rfind("cuda", 0) == 0) {
        if (!torch::cuda::is_available())
            throw Error::badInput("--device " + text + ": this build of LibTorch has no CUDA device (Debian's is CPU only; "
                                  "build against a CUDA LibTorch with -DCMAKE_PREFIX_PATH)");
        try {
            return torch::Device(text);
        } catch (const c10::Error&) {
            throw Error::badInput("--device " + text + ": not a device name (cpu, cuda, cuda:N)");
        }
    }
    throw Error::badInput("--device " + text + ": not a device name (cpu, cuda, cuda:N)");
}

std::string dtypeName(torch::ScalarType type)
{
    switch (type) {
    case torch::kFloat32: return "float32";
    case torch::kFloat16: return "float16";
    case torch::kBFloat16: return "bfloat16";
    case torch::kFloat64: return "float64";
    case torch::kInt64: return "int64";
    case torch::kInt32: return "int32";
    case torch::kInt16: return "int16";
    case torch::kInt8: return "int8";
    case torch::kUInt8: return "uint8";
    case torch::kBool: return "bool";
    default: return c10::toString(type);
    }
}

} // namespace emo::util
