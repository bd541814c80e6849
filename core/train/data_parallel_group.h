#pragma once
#include "train/distributed_environment.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace emo::train {

// The processes of one data-parallel run, joined through LibTorch's c10d: a TCP store hosted by rank 0 at
// MASTER_ADDR:MASTER_PORT and a Gloo process group over it; on CUDA, in a build with EMO_USE_NCCL, an NCCL
// group beside it takes the CUDA tensors (without it Gloo stages them through the host).
// Every collective is called by all ranks in the same order. A rank that died or cannot be reached makes
// the others fail within the timeout, with emo::Error(Runtime) naming this rank and what it was doing.
class DataParallelGroup {
public:
    // Connects; throws emo::Error(Runtime) naming the rank and the master address when the group does not
    // form within the timeout.
    DataParallelGroup(const DistributedEnvironment& environment, const torch::Device& device = torch::kCPU);
    ~DataParallelGroup();

    int rank() const;
    int worldSize() const;

    // Each tensor summed over the ranks, in place; float tensors of one dtype and device, packed into
    // buckets of about 32 MiB so a model of many small tensors needs few collectives.
    void sumInPlace(const std::vector<torch::Tensor>& tensors, const std::string& what);
    // Rank 0's values into every rank's tensors, in place.
    void broadcastInPlace(const std::vector<torch::Tensor>& tensors, const std::string& what);
    // Element-wise sums of a few numbers over the ranks (float64).
    std::vector<double> sum(const std::vector<double>& values, const std::string& what);
    void barrier(const std::string& what);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace emo::train
