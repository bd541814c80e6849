#include "text/utf8.h"

#include "text/unicode_tables.h"

#include <algorithm>
#include <cstdio>

namespace emo::text::utf8 {

DecodedChar decodeAt(std::string_view text, std::size_t offset)
{
    const auto byteAt = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byteAt(offset);
    DecodedChar invalid{U'\uFFFD', 1, false};
    if (lead < 0x80)
        return {lead, 1, true};
    std::size_t length = 0;
    char32_t cp = 0;
    char32_t minimum = 0;
    if ((lead & 0xE0) == 0xC0) { length = 2; cp = lead & 0x1F; minimum = 0x80; }
    else if ((lead & 0xF0) == 0xE0) { length = 3; cp = lead & 0x0F; minimum = 0x800; }
    else if ((lead & 0xF8) == 0xF0) { length = 4; cp = lead & 0x07; minimum = 0x10000; }
    else return invalid;
    if (offset + length > text.size())
        return invalid;
    for (std::size_t i = 1; i < length; ++i) {
        const unsigned char b = byteAt(offset + i);
        if ((b & 0xC0) != 0x80)
            return invalid;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return invalid;
    return {cp, length, true};
}

void append(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string escapeInvalid(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const DecodedChar c = decodeAt(text, i);
        if (c.valid) {
            out.append(text.substr(i, c.length));
        } else {
            char buffer[8];
            std::snprintf(buffer, sizeof buffer, "\\x%02X", static_cast<unsigned char>(text[i]));
            out += buffer;
        }
        i += c.length;
    }
    return out;
}

namespace {
bool inRanges(const unicode::CodePointRange* ranges, std::size_t count, char32_t cp)
{
    // First range whose end is >= cp; the tables are sorted and disjoint.
    const auto* end = ranges + count;
    const auto* it = std::lower_bound(ranges, end, cp,
        [](const unicode::CodePointRange& r, char32_t value) { return r.last < value; });
    return it != end && it->first <= cp;
}
} // namespace

bool isLetter(char32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    return inRanges(unicode::kLetterRanges, unicode::kLetterRangesCount, cp);
}

bool isNumber(char32_t cp)
{
    if (cp < 0x80)
        return cp >= '0' && cp <= '9';
    return inRanges(unicode::kNumberRanges, unicode::kNumberRangesCount, cp);
}

bool isWhiteSpace(char32_t cp)
{
    return inRanges(unicode::kWhiteSpaceRanges, unicode::kWhiteSpaceRangesCount, cp);
}

} // namespace emo::text::utf8
