#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace emo::io {

// One tensor of a torch.save state dict as its pickle describes it: a strided view of a typed storage
// that lives in the archive as data/<storageKey>.
struct PickledTensor {
    std::string name;
    torch::ScalarType dtype = torch::kFloat32;
    std::string storageKey;
    int64_t storageElements = 0;
    int64_t storageOffset = 0;  // in elements
    std::vector<int64_t> shape;
    std::vector<int64_t> stride;
};

// Reads the data.pkl of a torch.save archive holding a state dict (a dict or OrderedDict of name → tensor
// or parameter; other values are skipped) without running Python: a pickle machine for protocols 2–5 that
// knows only the handful of objects torch.save emits (tensors, typed storages, OrderedDict, parameters)
// and refuses any other global by name, so a checkpoint can never run code. `where` names the file in
// messages; malformed input throws emo::Error(BadInput).
std::vector<PickledTensor> readStateDictPickle(const std::string& bytes, const std::string& where);

} // namespace emo::io
