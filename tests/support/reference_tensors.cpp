#include "support/reference_tensors.h"

#include "io/safetensors.h"
#include "support/test_paths.h"

namespace emo::test {

torch::Tensor referenceTensor(const std::string& model, const std::string& tensor)
{
    return io::SafetensorsFile::open(dataPath("model/" + model + "/reference.safetensors")).load(tensor);
}

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a.to(torch::kCPU, torch::kFloat64) - b.to(torch::kCPU, torch::kFloat64)).abs().max().item<double>();
}

} // namespace emo::test
