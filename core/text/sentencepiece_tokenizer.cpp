#include "text/sentencepiece_tokenizer.h"

#include "text/sentencepiece_library.h"
#include "text/utf8.h"
#include "util/error.h"

#include <cctype>
#include <filesystem>
#include <limits>

namespace emo::text {

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& modelPath)
    : m_modelPath(modelPath)
{
    if (!std::filesystem::exists(modelPath))
        throw Error::badInput(modelPath + ": no such file");
    m_library = SentencePieceLibrary::load();
    m_model = m_library->loadModel(modelPath.c_str());
    if (!m_model)
        throw Error::badInput(modelPath + ": not a sentencepiece model (" + m_library->lastError() + ")");
    m_vocabSize = m_library->vocabSize(m_model);
    m_bosId = m_library->bosId(m_model);
    m_eosId = m_library->eosId(m_model);
    m_padId = m_library->padId(m_model);
    m_unkId = m_library->unkId(m_model);
}

SentencePieceTokenizer::~SentencePieceTokenizer()
{
    if (m_model)
        m_library->freeModel(m_model);
}

std::vector<int64_t> SentencePieceTokenizer::encode(const std::string& text) const
{
    int32_t* raw = nullptr;
    const int64_t count = m_library->encode(m_model, text.data(), text.size(), &raw);
    if (count < 0)
        throw Error::badInput(m_modelPath + ": cannot encode the text (" + m_library->lastError() + ")");
    std::vector<int64_t> ids(raw, raw + count);
    m_library->freeIds(raw);
    return ids;
}

std::string SentencePieceTokenizer::decode(const std::vector<int64_t>& ids) const
{
    std::vector<int32_t> narrow;
    narrow.reserve(ids.size());
    for (int64_t id : ids) {
        if (id < 0 || id >= m_vocabSize)
            throw Error::badInput("token id " + std::to_string(id) + " is not in the vocabulary of " + m_modelPath
                                  + " (size " + std::to_string(m_vocabSize) + ")");
        narrow.push_back(static_cast<int32_t>(id));
    }
    char* raw = nullptr;
    const int64_t size = m_library->decode(m_model, narrow.data(), narrow.size(), &raw);
    if (size < 0)
        throw Error::badInput(m_modelPath + ": cannot decode (" + m_library->lastError() + ")");
    std::string text(raw, static_cast<std::size_t>(size));
    m_library->freeText(raw);
    return text;
}

std::string SentencePieceTokenizer::piece(int64_t id) const
{
    const char* p = (id >= 0 && id < m_vocabSize) ? m_library->idToPiece(m_model, static_cast<int32_t>(id)) : nullptr;
    if (!p)
        throw Error::badInput("token id " + std::to_string(id) + " is not in the vocabulary of " + m_modelPath
                              + " (size " + std::to_string(m_vocabSize) + ")");
    return p;
}

std::string SentencePieceTokenizer::displayText(int64_t id) const
{
    const std::string p = piece(id);
    if (id == m_unkId || m_library->isControl(m_model, static_cast<int32_t>(id)))
        return p;
    if (p.size() == 6 && p.compare(0, 3, "<0x") == 0 && p[5] == '>'
        && std::isxdigit(static_cast<unsigned char>(p[3])) && std::isxdigit(static_cast<unsigned char>(p[4])))
        return utf8::escapeInvalid(std::string(1, static_cast<char>(std::stoi(p.substr(3, 2), nullptr, 16))));
    std::string shown;
    constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581 "▁"
    for (std::size_t i = 0; i < p.size();) {
        if (p.compare(i, kSpaceMark.size(), kSpaceMark) == 0) {
            shown.push_back(' ');
            i += kSpaceMark.size();
        } else {
            shown.push_back(p[i++]);
        }
    }
    return utf8::escapeInvalid(shown);
}

int64_t SentencePieceTokenizer::pieceToId(const std::string& piece) const
{
    return m_library->pieceToId(m_model, piece.data(), piece.size());
}

} // namespace emo::text
