#include "text/byte_level_alphabet.h"

#include "text/utf8.h"

namespace emo::text {

ByteLevelAlphabet::ByteLevelAlphabet()
{
    m_byteOfCodePoint.fill(-1);
    std::array<bool, 256> printable{};
    int position = 0;
    const auto assign = [&](int byte, char32_t cp) {
        m_symbolOfByte[byte].clear();
        utf8::append(m_symbolOfByte[byte], cp);
        m_byteOfCodePoint[cp] = byte;
        m_bytesInOrder[position++] = static_cast<unsigned char>(byte);
    };
    for (int b = 0; b < 256; ++b)
        printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    for (int b = 0; b < 256; ++b)
        if (printable[b])
            assign(b, static_cast<char32_t>(b));
    char32_t next = 256;
    for (int b = 0; b < 256; ++b)
        if (!printable[b])
            assign(b, next++);
}

int ByteLevelAlphabet::byteOf(char32_t cp) const
{
    return cp < m_byteOfCodePoint.size() ? m_byteOfCodePoint[cp] : -1;
}

std::string ByteLevelAlphabet::encode(std::string_view bytes) const
{
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char c : bytes)
        out += m_symbolOfByte[static_cast<unsigned char>(c)];
    return out;
}

std::string ByteLevelAlphabet::decode(std::string_view symbols) const
{
    std::string out;
    out.reserve(symbols.size());
    for (std::size_t i = 0; i < symbols.size();) {
        const utf8::DecodedChar c = utf8::decodeAt(symbols, i);
        const int byte = c.valid ? byteOf(c.codePoint) : -1;
        if (byte >= 0)
            out.push_back(static_cast<char>(byte));
        else
            out.append(symbols.substr(i, c.length));
        i += c.length;
    }
    return out;
}

} // namespace emo::text
