#pragma once
#include "io/tensor_archive.h"
#include "io/torch_pickle.h"
#include "io/zip_archive.h"

namespace emo::io {

// A state dict written by torch.save (the zip format of PyTorch ≥ 1.6: <name>/data.pkl holds the pickled
// dict, <name>/data/<key> the raw little-endian storages), read without Python. open() parses the pickle
// and checks every tensor's view lies inside its storage; load() reads only the bytes that view covers.
class TorchCheckpointFile : public TensorArchive {
public:
    static std::unique_ptr<TorchCheckpointFile> open(const std::string& path);

    const std::string& path() const override { return m_zip.path(); }
    const std::vector<ArchivedTensor>& tensors() const override { return m_tensors; }
    torch::Tensor load(const std::string& name) const override;

private:
    explicit TorchCheckpointFile(ZipArchive zip) : m_zip(std::move(zip)) {}
    ZipArchive m_zip;
    std::vector<ArchivedTensor> m_tensors;
    std::vector<PickledTensor> m_pickled;   // same order as m_tensors
    std::vector<const ZipEntry*> m_storage; // the data/<key> entry of each
};

} // namespace emo::io
