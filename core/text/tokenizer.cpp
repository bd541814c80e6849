#include "text/tokenizer.h"

#include "text/generation_tokens.h"
#include "text/gpt2_bpe_tokenizer.h"
#include "text/sentencepiece_tokenizer.h"
#include "text/utf8.h"
#include "util/atomic_file.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace emo::text {

std::string Tokenizer::displayText(int64_t id) const
{
    return utf8::escapeInvalid(decode({id}));
}

namespace {

namespace fs = std::filesystem;

struct SpecialTokenNames {
    std::string bos, eos, pad;
    bool addBos = false;  // tokenizer_config.json's add_bos_token
};

// bos/eos/pad token strings from tokenizer_config.json, overridden by special_tokens_map.json (both as
// transformers writes them: a string or {"content": ...}). Empty when not given.
SpecialTokenNames readSpecialTokenNames(const fs::path& folder)
{
    SpecialTokenNames names;
    for (const char* file : {"tokenizer_config.json", "special_tokens_map.json"}) {
        const fs::path path = folder / file;
        if (!fs::exists(path))
            continue;
        nlohmann::json json;
        try {
            json = nlohmann::json::parse(util::readTextFile(path.string()));
        } catch (const nlohmann::json::exception& e) {
            throw Error::badInput(path.string() + ": not valid JSON (" + e.what() + ")");
        }
        if (!json.is_object())
            continue;
        const auto read = [&](const char* key, std::string& into) {
            if (!json.contains(key))
                return;
            const auto& v = json[key];
            if (v.is_string())
                into = v.get<std::string>();
            else if (v.is_object() && v.contains("content") && v["content"].is_string())
                into = v["content"].get<std::string>();
        };
        read("bos_token", names.bos);
        read("eos_token", names.eos);
        read("pad_token", names.pad);
        if (json.contains("add_bos_token") && json["add_bos_token"].is_boolean())
            names.addBos = json["add_bos_token"].get<bool>();
    }
    return names;
}

void applySpecialTokenNames(Gpt2BpeTokenizer& tokenizer, const fs::path& folder)
{
    const SpecialTokenNames names = readSpecialTokenNames(folder);
    const auto idOf = [&](const std::string& name, int64_t fallback) {
        if (name.empty())
            return fallback;
        const int64_t id = tokenizer.pieceToId(name);
        if (id < 0)
            throw Error::badInput((folder / "special_tokens_map.json").string() + " (or tokenizer_config.json): token \""
                                  + name + "\" is not in the vocabulary");
        return id;
    };
    tokenizer.setSpecialIds(idOf(names.bos, tokenizer.bosId()), idOf(names.eos, tokenizer.eosId()),
                            idOf(names.pad, tokenizer.padId()));
    tokenizer.setAddsBos(names.addBos);
}

} // namespace

namespace {

std::unique_ptr<Tokenizer> loadTokenizerFiles(const std::string& folder)
{
    const fs::path dir(folder);
    if (!fs::is_directory(dir))
        throw Error::badInput(folder + ": not a folder (expected a model folder with tokenizer files)");
    const fs::path vocab = dir / "vocab.json";
    const fs::path merges = dir / "merges.txt";
    const fs::path tokenizerJson = dir / "tokenizer.json";
    const fs::path sentencePieceModel = dir / "tokenizer.model";

    // tokenizer.model first: LLaMA folders also ship a converted tokenizer.json whose ids differ from raw
    // sentencepiece's (DESIGN.md). Then tokenizer.json, which carries the added tokens.
    if (fs::exists(sentencePieceModel))
        return std::make_unique<SentencePieceTokenizer>(sentencePieceModel.string());
    if (fs::exists(tokenizerJson)) {
        auto tokenizer = Gpt2BpeTokenizer::fromTokenizerJson(tokenizerJson.string());
        applySpecialTokenNames(*tokenizer, dir);
        return tokenizer;
    }
    if (fs::exists(vocab) && fs::exists(merges)) {
        auto tokenizer = Gpt2BpeTokenizer::fromVocabAndMerges(vocab.string(), merges.string());
        applySpecialTokenNames(*tokenizer, dir);
        return tokenizer;
    }
    if (fs::exists(vocab) != fs::exists(merges))
        throw Error::badInput(folder + ": has " + (fs::exists(vocab) ? "vocab.json but no merges.txt"
                                                                     : "merges.txt but no vocab.json"));
    throw Error::badInput(folder + ": no tokenizer (expected vocab.json + merges.txt, tokenizer.json, or "
                          "tokenizer.model)");
}

} // namespace

std::unique_ptr<Tokenizer> loadTokenizer(const std::string& folder)
{
    std::unique_ptr<Tokenizer> tokenizer = loadTokenizerFiles(folder);
    GenerationTokenIds ids = readGenerationTokenIds(folder);
    if (ids.empty())
        return tokenizer;
    std::vector<int64_t> all = ids.eos;
    all.insert(all.end(), {ids.bos, ids.pad});
    for (int64_t id : all)
        if (id >= tokenizer->vocabSize())
            throw Error::badInput(folder + "/generation_config.json: token id " + std::to_string(id)
                                  + " is outside the tokenizer's " + std::to_string(tokenizer->vocabSize()) + " pieces");
    return std::make_unique<GenerationTokens>(std::move(tokenizer), std::move(ids));
}

void checkTokenizerFitsModel(const Tokenizer& tokenizer, int64_t modelVocabSize, const std::string& folder)
{
    if (tokenizer.vocabSize() > modelVocabSize)
        throw Error::badInput(folder + ": the tokenizer has " + std::to_string(tokenizer.vocabSize())
                              + " tokens but the model's embedding has only " + std::to_string(modelVocabSize)
                              + " rows (vocab_size in config.json)");
}

} // namespace emo::text
