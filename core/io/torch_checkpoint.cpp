#include "io/torch_checkpoint.h"

#include "util/error.h"

namespace emo::io {

namespace {

// Elements from the first to the last one a strided view touches (0 for an empty view).
int64_t viewExtent(const PickledTensor& tensor)
{
    int64_t last = 0;
    for (std::size_t d = 0; d < tensor.shape.size(); ++d) {
        if (tensor.shape[d] == 0)
            return 0;
        last += (tensor.shape[d] - 1) * tensor.stride[d];
    }
    return last + 1;
}

} // namespace

std::unique_ptr<TorchCheckpointFile> TorchCheckpointFile::open(const std::string& path)
{
    std::unique_ptr<TorchCheckpointFile> file(new TorchCheckpointFile(ZipArchive::open(path)));
    const ZipArchive& zip = file->m_zip;
    // The archive's top folder is whatever name torch.save chose ("archive", or the file's stem).
    const ZipEntry* pickle = nullptr;
    for (const ZipEntry& entry : zip.entries()) {
        const std::size_t slash = entry.name.find('/');
        if (slash != std::string::npos && entry.name.compare(slash, std::string::npos, "/data.pkl") == 0)
            pickle = &entry;
    }
    if (!pickle)
        throw Error::badInput(path + ": a zip without data.pkl, so not written by torch.save");
    const std::string root = pickle->name.substr(0, pickle->name.find('/') + 1);
    if (const ZipEntry* order = zip.find(root + "byteorder"); order && zip.read(*order) != "little")
        throw Error::badInput(path + ": stored big-endian; only little-endian checkpoints are read");

    file->m_pickled = readStateDictPickle(zip.read(*pickle), path);
    for (const PickledTensor& tensor : file->m_pickled) {
        const std::string where = path + ": tensor '" + tensor.name + "'";
        const ZipEntry* storage = zip.find(root + "data/" + tensor.storageKey);
        if (!storage)
            throw Error::badInput(where + ": its storage data/" + tensor.storageKey + " is missing from the archive");
        const uint64_t elementSize = c10::elementSize(tensor.dtype);
        if (storage->size / elementSize < uint64_t(tensor.storageElements))
            throw Error::badInput(where + ": storage data/" + tensor.storageKey + " holds " + std::to_string(storage->size)
                                  + " bytes, fewer than its " + std::to_string(tensor.storageElements) + " elements need");
        const int64_t extent = viewExtent(tensor);
        if (extent > 0 && (tensor.storageOffset > tensor.storageElements || extent > tensor.storageElements - tensor.storageOffset))
            throw Error::badInput(where + ": its view (offset " + std::to_string(tensor.storageOffset) + ", "
                                  + std::to_string(extent) + " elements) runs past its storage of "
                                  + std::to_string(tensor.storageElements) + " elements");
        file->m_tensors.push_back({tensor.name, tensor.dtype, tensor.shape});
        file->m_storage.push_back(storage);
    }
    return file;
}

torch::Tensor TorchCheckpointFile::load(const std::string& name) const
{
    for (std::size_t i = 0; i < m_pickled.size(); ++i) {
        const PickledTensor& tensor = m_pickled[i];
        if (tensor.name != name)
            continue;
        const int64_t extent = viewExtent(tensor);
        if (extent == 0)
            return torch::empty(tensor.shape, torch::TensorOptions().dtype(tensor.dtype));
        // Read only the span the view covers (a tied head's storage is read once per tensor, not per model).
        torch::Tensor span = torch::empty({extent}, torch::TensorOptions().dtype(tensor.dtype));
        const uint64_t elementSize = c10::elementSize(tensor.dtype);
        m_zip.readAt(*m_storage[i], span.data_ptr(), uint64_t(extent) * elementSize,
                     uint64_t(tensor.storageOffset) * elementSize);
        if (tensor.dtype == torch::kBool) {
            const auto* raw = static_cast<const unsigned char*>(span.data_ptr());
            for (int64_t b = 0; b < extent; ++b)
                if (raw[b] > 1)
                    throw Error::badInput(path() + ": tensor '" + name + "': bool byte holds " + std::to_string(raw[b]));
        }
        return span.as_strided(tensor.shape, tensor.stride).contiguous();
    }
    throw Error::badInput(path() + ": no tensor named '" + name + "'");
}

} // namespace emo::io
