#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace emo::io {

// Element types of the safetensors format that EMO Studio reads and writes.
enum class SafetensorsDType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

struct SafetensorsTensorInfo {
    std::string name;
    SafetensorsDType dtype;
    std::vector<int64_t> shape;
    uint64_t begin = 0;  // byte offsets inside the data section, [begin, end)
    uint64_t end = 0;
};

// A parsed, validated safetensors file: 8-byte little-endian header length, JSON header, data section.
// open() validates everything before returning (header length vs file size, JSON, dtypes, shape × size =
// byte range, ranges inside the data section without overlap) and throws emo::Error(BadInput) naming the
// file and the tensor otherwise.
class SafetensorsFile {
public:
    static SafetensorsFile open(const std::string& path);

    const std::string& path() const { return m_path; }
    const std::vector<SafetensorsTensorInfo>& tensors() const { return m_tensors; }
    const SafetensorsTensorInfo* find(const std::string& name) const;  // nullptr when absent
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }

    // A CPU tensor holding a copy of the named tensor in its stored dtype; throws naming the tensor when absent.
    torch::Tensor load(const std::string& name) const;

private:
    std::string m_path;
    std::vector<SafetensorsTensorInfo> m_tensors;
    std::map<std::string, std::string> m_metadata;
    uint64_t m_dataOffset = 0;
};

// Writes tensors (any device, contiguous or not; stored as their dtype) in name order, atomically.
void writeSafetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

const char* toString(SafetensorsDType dtype);
std::size_t elementSize(SafetensorsDType dtype);
torch::ScalarType toScalarType(SafetensorsDType dtype);
SafetensorsDType fromScalarType(torch::ScalarType type);  // throws for types safetensors cannot hold

} // namespace emo::io
