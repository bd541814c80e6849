#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace emo::io {

struct ArchivedTensor {
    std::string name;
    torch::ScalarType dtype = torch::kFloat32;
    std::vector<int64_t> shape;
};

// One weight file of a checkpoint (model.safetensors, pytorch_model.bin or one shard of either), opened
// with its tensor table only: names, types and shapes are known without reading any tensor's data, so a
// 7B-parameter folder can be described at once and loaded one tensor at a time.
class TensorArchive {
public:
    virtual ~TensorArchive() = default;
    virtual const std::string& path() const = 0;
    virtual const std::vector<ArchivedTensor>& tensors() const = 0;
    // A CPU tensor holding a copy of the named tensor in its stored dtype; throws naming the tensor when absent.
    virtual torch::Tensor load(const std::string& name) const = 0;
};

// By the file name: *.safetensors, else a torch.save zip (pytorch_model*.bin, *.pt, *.pth). Throws
// emo::Error(BadInput) naming the file when it cannot be read as one.
std::unique_ptr<TensorArchive> openTensorArchive(const std::string& path);

} // namespace emo::io
