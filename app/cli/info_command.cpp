// emo info --model DIR [--json]: architecture, parameters, vocabulary, tokenizer, device, BLAS in use.
#include "cli_command.h"
#include "format.h"

#include "io/model_config.h"
#include "model/model_description.h"
#include "text/tokenizer.h"
#include "util/byte_size.h"
#include "util/device.h"
#include "util/runtime.h"

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <iostream>

namespace emo::cli {
namespace {

class InfoCommand : public CliCommand {
public:
    const char* name() const override { return "info"; }
    const char* summary() const override { return "Architecture, parameters, vocabulary, tokenizer, device and BLAS of a model"; }

    void declareOptions(CLI::App& command) override
    {
        command.add_option("--model", m_model, "Hugging Face model folder")->required();
        command.add_option("--device", m_device, "cpu or cuda")->default_val("cpu");
        command.add_flag("--json", m_json, "One JSON document on stdout");
    }

    int run() override
    {
        const torch::Device device = util::parseDevice(m_device);
        // No weight is read: a 7B folder is described from its headers at once.
        const model::ModelDescription description = model::describeModelFolder(m_model);
        const auto& config = description.config;
        auto tokenizer = text::loadTokenizer(m_model);
        text::checkTokenizerFitsModel(*tokenizer, config.vocabSize, m_model);
        const auto blas = util::detectBlas();

        nlohmann::json info;
        info["model"] = m_model;
        info["architecture"] = config.modelType;
        info["parameters"] = description.parameters;
        info["layers"] = config.numLayers;
        info["hidden_size"] = config.hiddenSize;
        info["heads"] = config.numHeads;
        info["kv_heads"] = config.numKeyValueHeads;
        info["intermediate_size"] = config.intermediateSize;
        info["max_positions"] = config.maxPositions;
        info["vocab_size"] = config.vocabSize;
        info["tied_embeddings"] = config.tieWordEmbeddings;
        info["stored_dtype"] = description.storedDtype;
        info["weights"] = {{"layout", description.weightsLayout}, {"files", description.weightFiles},
                           {"bytes", description.bytesOnDisk}};
        info["tokenizer"] = {{"kind", tokenizer->kind()}, {"vocab_size", tokenizer->vocabSize()},
                             {"bos_id", tokenizer->bosId()}, {"eos_id", tokenizer->eosId()}, {"pad_id", tokenizer->padId()}};
        info["device"] = device.str();
        info["threads"] = at::get_num_threads();
        info["blas"] = {{"name", blas.name}, {"path", blas.path}, {"reference", blas.isReference}};
        info["libtorch"] = TORCH_VERSION;
        info["cuda_available"] = torch::cuda::is_available();

        if (m_json) {
            std::cout << info.dump(2) << "\n";
        } else {
            std::cout << "model         " << m_model << "\n"
                      << "architecture  " << config.modelType << " (" << config.numLayers << " layers, d " << config.hiddenSize
                      << ", " << config.numHeads << " heads, " << config.numKeyValueHeads << " kv heads)\n"
                      << "parameters    " << description.parameters << "\n"
                      << "vocabulary    " << config.vocabSize << " (tokenizer " << tokenizer->kind() << ", "
                      << tokenizer->vocabSize() << " pieces)\n"
                      << "weights       " << description.weightsLayout << " (" << description.weightFiles
                      << (description.weightFiles == 1 ? " file, " : " files, ") << util::formatBytes(description.bytesOnDisk)
                      << ", " << description.storedDtype << ")\n"
                      << "device        " << device.str() << ", " << at::get_num_threads() << " threads\n"
                      << "BLAS          " << blas.name << (blas.path.empty() ? "" : " (" + blas.path + ")") << "\n";
        }
        if (blas.isReference)
            std::cerr << "warning: the reference BLAS is active (about 17x slower than OpenBLAS); run "
                         "packaging/install-deps.sh or `update-alternatives --config libblas.so.3-x86_64-linux-gnu`\n";
        return 0;
    }

private:
    std::string m_model;
    std::string m_device = "cpu";
    bool m_json = false;
};

} // namespace

std::unique_ptr<CliCommand> makeInfoCommand() { return std::make_unique<InfoCommand>(); }

} // namespace emo::cli
