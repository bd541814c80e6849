// c10d's Gloo process group compiles only with USE_C10D_GLOO (Debian's LibTorch is built with it); NCCL's
// with USE_C10D_NCCL, which CMake defines under EMO_USE_NCCL (a CUDA LibTorch).
#define USE_C10D_GLOO 1
#include "train/data_parallel_group.h"

#include "util/error.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef EMO_USE_NCCL
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>

namespace emo::train {

namespace {

constexpr int64_t kBucketBytes = 32 << 20;

// c10d's messages carry a C++ backtrace after the first line.
std::string firstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

bool isLoopback(const std::string& address)
{
    return address == "127.0.0.1" || address == "localhost" || address == "::1";
}

} // namespace

struct DataParallelGroup::Impl {
    DistributedEnvironment environment;
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;  // CPU tensors and the scalar sums
#ifdef EMO_USE_NCCL
    c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;  // CUDA gradients and parameters, when training on CUDA
#endif
    torch::Tensor bucket;  // reused between steps: first-touching a fresh buffer each step costs

    std::string where() const
    {
        return "rank " + std::to_string(environment.rank) + " of " + std::to_string(environment.worldSize);
    }

    // The group that moves these tensors: NCCL for CUDA tensors when there is one, Gloo otherwise.
    c10d::ProcessGroup& groupFor(const std::vector<at::Tensor>& buffers)
    {
#ifdef EMO_USE_NCCL
        if (nccl && buffers.front().is_cuda())
            return *nccl;
#endif
        return *group;
    }

    // Runs one collective and waits; any failure (a peer gone, the timeout) becomes one message.
    void run(const std::function<c10::intrusive_ptr<c10d::Work>()>& start, const std::string& what)
    {
        try {
            start()->wait(std::chrono::duration_cast<std::chrono::milliseconds>(environment.timeout));
        } catch (const std::exception& error) {
            const std::string reason = firstLine(error.what());
            throw Error::runtime(where() + ": " + what + " failed; another rank stopped or cannot be reached ("
                                 + reason + ")");
        }
    }
};

DataParallelGroup::DataParallelGroup(const DistributedEnvironment& environment, const torch::Device& device)
    : m_impl(std::make_unique<Impl>())
{
    Impl& impl = *m_impl;
    impl.environment = environment;
    const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(environment.timeout);
    const std::string master = environment.masterAddress + ":" + std::to_string(environment.masterPort);
    try {
        c10d::TCPStoreOptions options;
        options.port = static_cast<uint16_t>(environment.masterPort);
        options.isServer = environment.rank == 0;
        options.numWorkers = environment.worldSize;
        options.waitWorkers = true;
        options.timeout = timeout;
        impl.store = c10::make_intrusive<c10d::TCPStore>(environment.masterAddress, options);
    } catch (const std::exception& error) {
        const std::string reason = firstLine(error.what());
        throw Error::runtime(impl.where() + ": cannot " + (environment.rank == 0 ? "host" : "reach")
                             + " the master at " + master + " within " + std::to_string(environment.timeout.count())
                             + " s (MASTER_ADDR / MASTER_PORT; " + reason + ")");
    }
    try {
        auto options = c10d::ProcessGroupGloo::Options::create(timeout);
        if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface)
            options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
        else if (isLoopback(environment.masterAddress))
            options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
        else
            options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        impl.group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl.store, environment.rank, environment.worldSize, options);
    } catch (const std::exception& error) {
        const std::string reason = firstLine(error.what());
        throw Error::runtime(impl.where() + ": the process group over " + master + " did not form (" + reason + ")");
    }
#ifdef EMO_USE_NCCL
    if (device.is_cuda()) {
        try {
            auto options = c10d::ProcessGroupNCCL::Options::create();
            options->timeout = timeout;
            // Its own key space in the store, so NCCL's unique-id exchange does not meet Gloo's keys.
            auto store = c10::make_intrusive<c10d::PrefixStore>("nccl/", impl.store);
            impl.nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, environment.rank, environment.worldSize, options);
        } catch (const std::exception& error) {
            throw Error::runtime(impl.where() + ": the NCCL process group over " + master + " did not form ("
                                 + firstLine(error.what()) + ")");
        }
    }
#else
    (void)device;  // Gloo stages CUDA tensors through the host
#endif
}

DataParallelGroup::~DataParallelGroup() = default;

int DataParallelGroup::rank() const { return m_impl->environment.rank; }
int DataParallelGroup::worldSize() const { return m_impl->environment.worldSize; }

void DataParallelGroup::sumInPlace(const std::vector<torch::Tensor>& tensors, const std::string& what)
{
    Impl& impl = *m_impl;
    torch::NoGradGuard noGrad;
    std::size_t first = 0;
    while (first < tensors.size()) {
        // The next bucket: consecutive tensors up to kBucketBytes (a larger tensor alone).
        std::size_t last = first;
        int64_t elements = 0;
        while (last < tensors.size()
               && (last == first || (elements + tensors[last].numel()) * tensors[first].element_size() <= kBucketBytes)) {
            elements += tensors[last].numel();
            ++last;
        }
        const auto options = tensors[first].options();
        if (!impl.bucket.defined() || impl.bucket.numel() < elements || impl.bucket.dtype() != options.dtype()
            || impl.bucket.device() != options.device())
            impl.bucket = torch::empty({std::max(elements, kBucketBytes / int64_t(tensors[first].element_size()))}, options);
        torch::Tensor flat = impl.bucket.narrow(0, 0, elements);
        int64_t offset = 0;
        for (std::size_t i = first; i < last; ++i) {
            flat.narrow(0, offset, tensors[i].numel()).copy_(tensors[i].reshape(-1));
            offset += tensors[i].numel();
        }
        std::vector<at::Tensor> buffers{flat};
        impl.run([&] { return impl.groupFor(buffers).allreduce(buffers); }, what);
        offset = 0;
        for (std::size_t i = first; i < last; ++i) {
            tensors[i].copy_(flat.narrow(0, offset, tensors[i].numel()).view(tensors[i].sizes()));
            offset += tensors[i].numel();
        }
        first = last;
    }
}

void DataParallelGroup::broadcastInPlace(const std::vector<torch::Tensor>& tensors, const std::string& what)
{
    torch::NoGradGuard noGrad;
    for (const torch::Tensor& tensor : tensors) {
        std::vector<at::Tensor> buffers{tensor.is_contiguous() ? tensor : tensor.contiguous()};
        m_impl->run([&] { return m_impl->groupFor(buffers).broadcast(buffers); }, what);
        if (!tensor.is_contiguous())
            tensor.copy_(buffers[0]);
    }
}

std::vector<double> DataParallelGroup::sum(const std::vector<double>& values, const std::string& what)
{
    std::vector<at::Tensor> buffers{torch::tensor(values, torch::kFloat64)};
    m_impl->run([&] { return m_impl->group->allreduce(buffers); }, what);
    const double* data = buffers[0].data_ptr<double>();
    return std::vector<double>(data, data + values.size());
}

void DataParallelGroup::barrier(const std::string& what) { sum({0.0}, what); }

} // namespace emo::train
