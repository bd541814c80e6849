#include "io/safetensors.h"

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/read_only_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <vector>

namespace emo::io {

namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors is little-endian; this reader copies bytes as they are");

// The reference implementation refuses headers above 100 MB; a real header is a few hundred KB at most.
constexpr uint64_t kMaxHeaderSize = 100'000'000;

struct DTypeName {
    SafetensorsDType dtype;
    const char* name;
    std::size_t size;
    torch::ScalarType scalarType;
};

constexpr DTypeName kDTypes[] = {
    {SafetensorsDType::F32, "F32", 4, torch::kFloat32},   {SafetensorsDType::F16, "F16", 2, torch::kFloat16},
    {SafetensorsDType::BF16, "BF16", 2, torch::kBFloat16}, {SafetensorsDType::F64, "F64", 8, torch::kFloat64},
    {SafetensorsDType::I64, "I64", 8, torch::kInt64},     {SafetensorsDType::I32, "I32", 4, torch::kInt32},
    {SafetensorsDType::I16, "I16", 2, torch::kInt16},     {SafetensorsDType::I8, "I8", 1, torch::kInt8},
    {SafetensorsDType::U8, "U8", 1, torch::kUInt8},       {SafetensorsDType::BOOL, "BOOL", 1, torch::kBool},
};

const DTypeName& entry(SafetensorsDType dtype)
{
    for (const auto& e : kDTypes)
        if (e.dtype == dtype)
            return e;
    throw Error::runtime("unknown safetensors dtype value " + std::to_string(static_cast<int>(dtype)));
}

// nlohmann keeps the last of two equal keys without a word; the format allows each name once. `duplicate`
// receives the first key seen twice in any object of the header.
nlohmann::json parseRefusingDuplicateKeys(const std::string& text, std::string* duplicate)
{
    std::vector<std::set<std::string>> keysOfOpenObjects;
    using Event = nlohmann::json::parse_event_t;
    return nlohmann::json::parse(text, [&](int, Event event, nlohmann::json& parsed) {
        if (event == Event::object_start)
            keysOfOpenObjects.emplace_back();
        else if (event == Event::object_end && !keysOfOpenObjects.empty())
            keysOfOpenObjects.pop_back();
        else if (event == Event::key && !keysOfOpenObjects.empty() &&
                 !keysOfOpenObjects.back().insert(parsed.get<std::string>()).second && duplicate->empty())
            *duplicate = parsed.get<std::string>();
        return true;
    });
}

uint64_t readLittleEndianU64(const unsigned char* bytes)
{
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i)
        value = (value << 8) | bytes[i];
    return value;
}

// Parses one header entry; `where` is "<file>: tensor 'name'" for messages.
SafetensorsTensorInfo parseTensorEntry(const std::string& name, const nlohmann::json& entryJson,
                                       uint64_t dataSize, const std::string& where)
{
    if (!entryJson.is_object())
        throw Error::badInput(where + ": header entry is not a JSON object");
    for (auto it = entryJson.begin(); it != entryJson.end(); ++it)
        if (it.key() != "dtype" && it.key() != "shape" && it.key() != "data_offsets")
            throw Error::badInput(where + ": unexpected field '" + it.key() + "'");

    SafetensorsTensorInfo info;
    info.name = name;

    auto dtypeIt = entryJson.find("dtype");
    if (dtypeIt == entryJson.end())
        throw Error::badInput(where + ": missing field 'dtype'");
    if (!dtypeIt->is_string())
        throw Error::badInput(where + ": field 'dtype' is not a string");
    const std::string dtypeName = dtypeIt->get<std::string>();
    const DTypeName* found = nullptr;
    for (const auto& e : kDTypes)
        if (dtypeName == e.name)
            found = &e;
    if (!found)
        throw Error::badInput(where + ": unsupported dtype '" + dtypeName +
                              "' (expected F32, F16, BF16, F64, I64, I32, I16, I8, U8 or BOOL)");
    info.dtype = found->dtype;

    auto shapeIt = entryJson.find("shape");
    if (shapeIt == entryJson.end())
        throw Error::badInput(where + ": missing field 'shape'");
    if (!shapeIt->is_array())
        throw Error::badInput(where + ": field 'shape' is not an array");
    uint64_t elements = 1;
    bool overflow = false;
    for (const auto& dim : *shapeIt) {
        if (!dim.is_number_integer())
            throw Error::badInput(where + ": field 'shape' holds " + dim.dump() + ", not a non-negative integer");
        if (dim.is_number_unsigned() ? dim.get<uint64_t>() > uint64_t(INT64_MAX) : dim.get<int64_t>() < 0)
            throw Error::badInput(where + ": field 'shape' holds " + dim.dump() + ", not a non-negative integer");
        const int64_t size = dim.get<int64_t>();
        info.shape.push_back(size);
        overflow = overflow || __builtin_mul_overflow(elements, static_cast<uint64_t>(size), &elements);
    }

    auto offsetsIt = entryJson.find("data_offsets");
    if (offsetsIt == entryJson.end())
        throw Error::badInput(where + ": missing field 'data_offsets'");
    if (!offsetsIt->is_array() || offsetsIt->size() != 2 || !(*offsetsIt)[0].is_number_unsigned() ||
        !(*offsetsIt)[1].is_number_unsigned())
        throw Error::badInput(where + ": field 'data_offsets' must be two non-negative integers [begin, end], got " +
                              offsetsIt->dump());
    info.begin = (*offsetsIt)[0].get<uint64_t>();
    info.end = (*offsetsIt)[1].get<uint64_t>();
    if (info.end < info.begin)
        throw Error::badInput(where + ": data_offsets end " + std::to_string(info.end) + " is before begin " +
                              std::to_string(info.begin));

    uint64_t bytes = 0;
    overflow = overflow || __builtin_mul_overflow(elements, static_cast<uint64_t>(found->size), &bytes);
    if (overflow || bytes != info.end - info.begin)
        throw Error::badInput(where + ": shape " + shapeIt->dump() + " of " + found->name + " needs " +
                              (overflow ? std::string("more than 2^64") : std::to_string(bytes)) +
                              " bytes but data_offsets [" + std::to_string(info.begin) + ", " +
                              std::to_string(info.end) + ") hold " + std::to_string(info.end - info.begin));
    if (info.end > dataSize)
        throw Error::badInput(where + ": data_offsets [" + std::to_string(info.begin) + ", " +
                              std::to_string(info.end) + ") lie outside the data section of " +
                              std::to_string(dataSize) + " bytes");
    return info;
}

} // namespace

const char* toString(SafetensorsDType dtype) { return entry(dtype).name; }
std::size_t elementSize(SafetensorsDType dtype) { return entry(dtype).size; }
torch::ScalarType toScalarType(SafetensorsDType dtype) { return entry(dtype).scalarType; }

SafetensorsDType fromScalarType(torch::ScalarType type)
{
    for (const auto& e : kDTypes)
        if (e.scalarType == type)
            return e.dtype;
    throw Error::badInput(std::string("safetensors cannot hold tensors of type ") + c10::toString(type));
}

SafetensorsFile SafetensorsFile::open(const std::string& path)
{
    const util::ReadOnlyFile input = util::ReadOnlyFile::open(path, "safetensors file");
    const uint64_t fileSize = input.size();
    if (fileSize < 8)
        throw Error::badInput(path + ": truncated safetensors file (" + std::to_string(fileSize) +
                              " bytes, shorter than the 8-byte header length)");

    unsigned char lengthBytes[8];
    if (!input.readAt(lengthBytes, 8, 0))
        throw Error::badInput(path + ": truncated safetensors file");
    const uint64_t headerSize = readLittleEndianU64(lengthBytes);
    if (headerSize < 2)
        throw Error::badInput(path + ": header length " + std::to_string(headerSize) +
                              " is too small for a JSON object");
    if (headerSize > kMaxHeaderSize)
        throw Error::badInput(path + ": header length " + std::to_string(headerSize) + " is larger than the " +
                              std::to_string(kMaxHeaderSize) + "-byte limit; not a safetensors file?");
    if (headerSize > fileSize - 8)
        throw Error::badInput(path + ": header length " + std::to_string(headerSize) +
                              " runs past the end of the file (" + std::to_string(fileSize) +
                              " bytes); truncated or not a safetensors file");

    std::string headerText(static_cast<std::size_t>(headerSize), '\0');
    if (!input.readAt(headerText.data(), headerSize, 8))
        throw Error::badInput(path + ": truncated safetensors file");

    // The reference reader refuses a header that does not open with '{' (no leading blanks either).
    if (headerText[0] != '{')
        throw Error::badInput(path + ": header does not start with '{'; not a safetensors file?");
    nlohmann::json header;
    std::string duplicate;
    try {
        header = parseRefusingDuplicateKeys(headerText, &duplicate);
    } catch (const nlohmann::json::exception& e) {
        throw Error::badInput(path + ": header is not valid JSON: " + e.what());
    }
    if (!duplicate.empty())
        throw Error::badInput(path + ": header names '" + duplicate + "' twice");
    if (!header.is_object())
        throw Error::badInput(path + ": header is not a JSON object");

    SafetensorsFile file;
    file.m_path = path;
    file.m_dataOffset = 8 + headerSize;
    const uint64_t dataSize = fileSize - file.m_dataOffset;

    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it.value().is_object())
                throw Error::badInput(path + ": __metadata__ is not a JSON object");
            for (auto m = it.value().begin(); m != it.value().end(); ++m) {
                if (!m.value().is_string())
                    throw Error::badInput(path + ": __metadata__ field '" + m.key() + "' is not a string");
                file.m_metadata[m.key()] = m.value().get<std::string>();
            }
            continue;
        }
        file.m_tensors.push_back(parseTensorEntry(it.key(), it.value(), dataSize,
                                                  path + ": tensor '" + it.key() + "'"));
    }

    // In file order the ranges must tile the data section exactly, as the reference reader demands: no two
    // share a byte, and no byte belongs to no tensor (hidden bytes are a place to smuggle data, or a sign of
    // a file cut or patched by hand).
    std::sort(file.m_tensors.begin(), file.m_tensors.end(), [](const auto& a, const auto& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end != b.end ? a.end < b.end : a.name < b.name;
    });
    uint64_t covered = 0;
    const SafetensorsTensorInfo* previous = nullptr;
    for (const auto& info : file.m_tensors) {
        const std::string range = "data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) + ")";
        if (info.begin < covered)
            throw Error::badInput(path + ": tensor '" + info.name + "' " + range + " overlap tensor '" +
                                  previous->name + "' [" + std::to_string(previous->begin) + ", " +
                                  std::to_string(previous->end) + ")");
        if (info.begin > covered)
            throw Error::badInput(path + ": bytes [" + std::to_string(covered) + ", " + std::to_string(info.begin) +
                                  ") of the data section belong to no tensor (the next, tensor '" + info.name +
                                  "', has " + range + ")");
        covered = info.end;
        previous = &info;
    }
    if (covered != dataSize)
        throw Error::badInput(path + ": bytes [" + std::to_string(covered) + ", " + std::to_string(dataSize) +
                              ") at the end of the data section belong to no tensor");
    return file;
}

const SafetensorsTensorInfo* SafetensorsFile::find(const std::string& name) const
{
    for (const auto& info : m_tensors)
        if (info.name == name)
            return &info;
    return nullptr;
}

torch::Tensor SafetensorsFile::load(const std::string& name) const
{
    const SafetensorsTensorInfo* info = find(name);
    if (!info)
        throw Error::badInput(m_path + ": no tensor named '" + name + "'");
    torch::Tensor tensor = torch::empty(info->shape, torch::TensorOptions().dtype(toScalarType(info->dtype)));
    const uint64_t bytes = info->end - info->begin;
    if (bytes == 0)
        return tensor;
    const util::ReadOnlyFile input = util::ReadOnlyFile::open(m_path, "safetensors file");
    if (!input.readAt(tensor.data_ptr(), bytes, m_dataOffset + info->begin))
        throw Error::badInput(m_path + ": tensor '" + name + "': file ended before its data (changed since opened?)");
    if (info->dtype == SafetensorsDType::BOOL) {
        // torch assumes a bool byte is 0 or 1; anything else is undefined behaviour downstream.
        const auto* raw = static_cast<const unsigned char*>(tensor.data_ptr());
        for (uint64_t i = 0; i < bytes; ++i)
            if (raw[i] > 1)
                throw Error::badInput(m_path + ": tensor '" + name + "': BOOL byte " + std::to_string(i) +
                                      " holds " + std::to_string(raw[i]) + ", not 0 or 1");
    }
    return tensor;
}

void writeSafetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata)
{
    std::vector<std::pair<std::string, torch::Tensor>> sorted;
    sorted.reserve(tensors.size());
    std::set<std::string> names;
    for (const auto& [name, tensor] : tensors) {
        if (name == "__metadata__")
            throw Error::badInput(path + ": a tensor cannot be named __metadata__");
        if (!names.insert(name).second)
            throw Error::badInput(path + ": tensor '" + name + "' is given twice");
        if (!tensor.defined())
            throw Error::badInput(path + ": tensor '" + name + "' is undefined");
        try {
            fromScalarType(tensor.scalar_type());
        } catch (const Error& e) {
            throw Error::badInput(path + ": tensor '" + name + "': " + e.what());
        }
        sorted.emplace_back(name, tensor.detach().to(torch::kCPU).contiguous());
    }
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

    // ordered_json keeps __metadata__ first and tensors in name order, as the reference writer does.
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) {
        nlohmann::ordered_json meta = nlohmann::ordered_json::object();
        for (const auto& [key, value] : metadata)
            meta[key] = value;
        header["__metadata__"] = std::move(meta);
    }
    uint64_t offset = 0;
    for (const auto& [name, tensor] : sorted) {
        const uint64_t bytes = static_cast<uint64_t>(tensor.numel()) * tensor.element_size();
        nlohmann::ordered_json entryJson;
        entryJson["dtype"] = toString(fromScalarType(tensor.scalar_type()));
        entryJson["shape"] = tensor.sizes().vec();
        entryJson["data_offsets"] = {offset, offset + bytes};
        header[name] = std::move(entryJson);
        offset += bytes;
    }
    std::string headerText = header.dump();
    headerText.append((8 - headerText.size() % 8) % 8, ' ');  // data section starts 8-byte aligned

    unsigned char lengthBytes[8];
    uint64_t headerSize = headerText.size();
    for (int i = 0; i < 8; ++i)
        lengthBytes[i] = static_cast<unsigned char>((headerSize >> (8 * i)) & 0xff);

    util::writeFileAtomically(path, [&](const util::ByteSink& sink) {
        sink(lengthBytes, 8);
        sink(headerText.data(), headerText.size());
        for (const auto& [name, tensor] : sorted)
            if (tensor.numel() > 0)
                sink(tensor.data_ptr(), static_cast<std::size_t>(tensor.numel()) * tensor.element_size());
    });
}

} // namespace emo::io
