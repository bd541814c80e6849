#include "text/gpt2_pretokenizer.h"

#include "text/utf8.h"

namespace emo::text {

namespace {

enum class CharClass { Letter, Number, Space, Other };

struct Char {
    std::size_t offset;  // byte offset in the text
    CharClass cls;
    char32_t codePoint;
};

CharClass classify(const utf8::DecodedChar& c)
{
    if (!c.valid)
        return CharClass::Other;
    if (utf8::isLetter(c.codePoint))
        return CharClass::Letter;
    if (utf8::isNumber(c.codePoint))
        return CharClass::Number;
    if (utf8::isWhiteSpace(c.codePoint))
        return CharClass::Space;
    return CharClass::Other;
}

// Length in characters of the contraction starting at chars[i] ('s 't 're 've 'm 'll 'd), or 0.
std::size_t contractionAt(const std::vector<Char>& chars, std::size_t i)
{
    if (chars[i].codePoint != U'\'')
        return 0;
    const auto at = [&](std::size_t k) -> char32_t { return i + k < chars.size() ? chars[i + k].codePoint : 0; };
    const char32_t a = at(1);
    const char32_t b = at(2);
    if (a == U's' || a == U't' || a == U'm' || a == U'd')
        return 2;
    if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l'))
        return 3;
    return 0;
}

} // namespace

std::vector<std::string_view> gpt2PreTokenize(std::string_view text)
{
    std::vector<Char> chars;
    chars.reserve(text.size());
    for (std::size_t offset = 0; offset < text.size();) {
        const utf8::DecodedChar c = utf8::decodeAt(text, offset);
        chars.push_back({offset, classify(c), c.valid ? c.codePoint : U'\uFFFD'});
        offset += c.length;
    }
    const std::size_t n = chars.size();
    const auto runOf = [&](std::size_t from, CharClass cls) {
        std::size_t end = from;
        while (end < n && chars[end].cls == cls)
            ++end;
        return end;
    };

    std::vector<std::string_view> pieces;
    std::size_t i = 0;
    while (i < n) {
        std::size_t end = i;
        if (const std::size_t k = contractionAt(chars, i)) {
            end = i + k;
        } else {
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional U+0020, then a run of one class.
            const bool leadingSpace = chars[i].codePoint == U' ' && i + 1 < n && chars[i + 1].cls != CharClass::Space;
            const std::size_t start = leadingSpace ? i + 1 : i;
            if (chars[start].cls != CharClass::Space) {
                end = runOf(start, chars[start].cls);
            } else {
                // `\s+(?!\S)` then `\s+`: the whitespace run, less its last character when a
                // non-space follows, unless that would leave nothing.
                const std::size_t runEnd = runOf(i, CharClass::Space);
                end = (runEnd < n && runEnd - i >= 2) ? runEnd - 1 : runEnd;
            }
        }
        const std::size_t byteBegin = chars[i].offset;
        const std::size_t byteEnd = end < n ? chars[end].offset : text.size();
        pieces.push_back(text.substr(byteBegin, byteEnd - byteBegin));
        i = end;
    }
    return pieces;
}

} // namespace emo::text
