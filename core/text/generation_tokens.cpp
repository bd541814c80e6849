#include "text/generation_tokens.h"

#include "util/atomic_file.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace emo::text {

GenerationTokenIds readGenerationTokenIds(const std::string& folder)
{
    GenerationTokenIds ids;
    const std::string path = (std::filesystem::path(folder) / "generation_config.json").string();
    if (!std::filesystem::exists(path))
        return ids;
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(util::readTextFile(path));
    } catch (const nlohmann::json::exception& error) {
        throw Error::badInput(path + ": not valid JSON (" + error.what() + ")");
    }
    if (!document.is_object())
        throw Error::badInput(path + ": not a JSON object");
    const auto idsOf = [&](const char* field) {
        std::vector<int64_t> out;
        if (!document.contains(field) || document[field].is_null())
            return out;
        const nlohmann::json& value = document[field];
        for (const nlohmann::json& id : value.is_array() ? value : nlohmann::json::array({value})) {
            if (!id.is_number_integer() || id.get<int64_t>() < 0)
                throw Error::badInput(path + ": field '" + field + "' must be a non-negative integer or a list of them, found "
                                      + value.dump());
            out.push_back(id.get<int64_t>());
        }
        return out;
    };
    if (const auto bos = idsOf("bos_token_id"); !bos.empty())
        ids.bos = bos.front();
    ids.eos = idsOf("eos_token_id");
    if (const auto pad = idsOf("pad_token_id"); !pad.empty())
        ids.pad = pad.front();
    return ids;
}

GenerationTokens::GenerationTokens(std::unique_ptr<Tokenizer> tokenizer, GenerationTokenIds ids)
    : m_tokenizer(std::move(tokenizer)), m_ids(std::move(ids)) {}

} // namespace emo::text
