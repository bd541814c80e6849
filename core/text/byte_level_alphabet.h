#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace emo::text {

// GPT-2's bytes_to_unicode(): every byte gets a printable Unicode character, so that a BPE vocabulary
// of strings can hold arbitrary bytes ("Ġ" is the space byte 0x20). Bytes in OpenAI's order: the
// printable ranges '!'..'~', '¡'..'¬', '®'..'ÿ' map to themselves, the other 68 bytes to U+0100 onward.
class ByteLevelAlphabet {
public:
    ByteLevelAlphabet();

    // The UTF-8 encoding of the character that stands for `byte`.
    const std::string& symbol(unsigned char byte) const { return m_symbolOfByte[byte]; }
    // The byte a character stands for, or -1 when the character is not in the alphabet.
    int byteOf(char32_t codePoint) const;
    // The 256 bytes in OpenAI's order (the order of the first 256 ids of GPT-2's vocabulary).
    const std::array<unsigned char, 256>& bytesInOrder() const { return m_bytesInOrder; }

    // Text bytes → their symbols concatenated.
    std::string encode(std::string_view bytes) const;
    // Symbols → bytes; characters outside the alphabet are kept as their UTF-8 bytes.
    std::string decode(std::string_view symbols) const;

private:
    std::array<std::string, 256> m_symbolOfByte;
    std::array<unsigned char, 256> m_bytesInOrder{};
    std::array<int, 512> m_byteOfCodePoint{};  // every symbol is below U+0200
};

} // namespace emo::text
