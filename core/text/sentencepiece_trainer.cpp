#include "text/sentencepiece_trainer.h"

#include "text/sentencepiece_library.h"
#include "util/error.h"

#include <filesystem>

namespace emo::text {

std::string trainSentencePieceModel(const SentencePieceTrainingOptions& options)
{
    if (!std::filesystem::exists(options.inputPath))
        throw Error::badInput(options.inputPath + ": no such file (sentencepiece training input)");
    if (options.vocabSize < 2 || options.vocabSize > (int64_t(1) << 30))
        throw Error::badInput("sentencepiece vocabulary size " + std::to_string(options.vocabSize)
                              + " is out of range");
    if (options.characterCoverage <= 0.0 || options.characterCoverage > 1.0)
        throw Error::badInput("sentencepiece character coverage must be in (0, 1], got "
                              + std::to_string(options.characterCoverage));
    const auto library = SentencePieceLibrary::load();
    const int status = library->train(options.inputPath.c_str(), options.modelPrefix.c_str(),
                                      static_cast<int32_t>(options.vocabSize), options.modelType.c_str(),
                                      options.characterCoverage, options.extraOptions.c_str());
    if (status != 0)
        throw Error::badInput(std::string("sentencepiece training failed: ") + library->lastError());
    return options.modelPrefix + ".model";
}

} // namespace emo::text
