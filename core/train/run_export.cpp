#include "train/run_export.h"

#include "model/language_model.h"
#include "train/run_files.h"
#include "util/error.h"

#include <filesystem>

namespace emo::train {
namespace {

torch::ScalarType storageTypeFor(const std::string& dtype)
{
    if (dtype == "fp32" || dtype == "float32")
        return torch::kFloat32;
    if (dtype == "fp16" || dtype == "float16")
        return torch::kFloat16;
    if (dtype == "bf16" || dtype == "bfloat16")
        return torch::kBFloat16;
    throw Error::badInput("export: unknown dtype '" + dtype + "' (expected fp32, fp16 or bf16)");
}

} // namespace

ExportResult exportRun(const ExportSettings& settings, const ProgressCallback& progress)
{
    namespace fs = std::filesystem;
    const torch::ScalarType storageType = storageTypeFor(settings.dtype);
    if (!fs::is_directory(settings.runDir))
        throw Error::badInput(settings.runDir + ": no such folder");
    if (settings.outputDir.empty())
        throw Error::badInput("export: no output folder given");
    std::error_code ec;
    if (fs::exists(settings.outputDir) && fs::equivalent(settings.runDir, settings.outputDir, ec))
        throw Error::badInput(settings.outputDir + ": the export must go to another folder than the run");

    auto model = model::LanguageModel::load(settings.runDir, torch::kCPU, torch::kFloat32, progress);
    fs::create_directories(settings.outputDir, ec);
    if (ec)
        throw Error::runtime(settings.outputDir + ": cannot create the folder (" + ec.message() + ")");
    if (progress && !progress({"saving", 0, 1}))
        throw Error::cancelled("export cancelled");
    model->save(settings.outputDir, storageType);

    ExportResult result;
    result.files = {"config.json", "model.safetensors"};
    for (const std::string& name : copyTokenizerFiles(settings.runDir, settings.outputDir))
        result.files.push_back(name);
    if (settings.withHistory)
        for (const char* name : {kRunJson, kMetricsJsonl})
            if (fs::exists(fs::path(settings.runDir) / name)) {
                copyFileAtomically((fs::path(settings.runDir) / name).string(), (fs::path(settings.outputDir) / name).string());
                result.files.emplace_back(name);
            }
    result.parameterCount = model->parameterCount();
    result.bytes = static_cast<int64_t>(fs::file_size(fs::path(settings.outputDir) / "model.safetensors"));
    if (progress)
        progress({"saving", 1, 1});
    return result;
}

} // namespace emo::train
