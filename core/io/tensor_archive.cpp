#include "io/tensor_archive.h"

#include "io/safetensors.h"
#include "io/torch_checkpoint.h"

namespace emo::io {

namespace {

// SafetensorsFile seen through the archive interface.
class SafetensorsArchive : public TensorArchive {
public:
    explicit SafetensorsArchive(SafetensorsFile file) : m_file(std::move(file))
    {
        for (const auto& info : m_file.tensors())
            m_tensors.push_back({info.name, toScalarType(info.dtype), info.shape});
    }
    const std::string& path() const override { return m_file.path(); }
    const std::vector<ArchivedTensor>& tensors() const override { return m_tensors; }
    torch::Tensor load(const std::string& name) const override { return m_file.load(name); }

private:
    SafetensorsFile m_file;
    std::vector<ArchivedTensor> m_tensors;
};

bool endsWith(const std::string& text, const std::string& suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

std::unique_ptr<TensorArchive> openTensorArchive(const std::string& path)
{
    if (endsWith(path, ".safetensors"))
        return std::make_unique<SafetensorsArchive>(SafetensorsFile::open(path));
    return TorchCheckpointFile::open(path);
}

} // namespace emo::io
