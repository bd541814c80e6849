#include "model/stored_dtype.h"

#include "io/safetensors.h"
#include "util/device.h"

#include <filesystem>

namespace emo::model {

std::string storedWeightsDtype(const std::string& folder)
{
    namespace fs = std::filesystem;
    std::string file = folder + "/model.safetensors";
    if (!fs::exists(file)) {
        for (const auto& entry : fs::directory_iterator(folder))
            if (entry.path().extension() == ".safetensors" && entry.path().filename().string().rfind("model", 0) == 0) {
                file = entry.path().string();
                break;
            }
    }
    auto st = io::SafetensorsFile::open(file);
    for (const auto& info : st.tensors())
        if (info.dtype == io::SafetensorsDType::F32 || info.dtype == io::SafetensorsDType::F16
            || info.dtype == io::SafetensorsDType::BF16 || info.dtype == io::SafetensorsDType::F64)
            return util::dtypeName(io::toScalarType(info.dtype));
    return "unknown";
}

} // namespace emo::model
