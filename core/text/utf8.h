#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace emo::text::utf8 {

// One decoded character of a byte string. Invalid UTF-8 (stray continuation bytes, overlong forms,
// surrogates, truncated sequences) decodes one byte at a time with `valid` false, so that every
// input byte belongs to exactly one character and byte-level tokenizers can round-trip any input.
struct DecodedChar {
    char32_t codePoint = 0;  // U+FFFD when !valid
    std::size_t length = 1;  // bytes consumed, 1..4
    bool valid = true;
};

DecodedChar decodeAt(std::string_view text, std::size_t offset);

// Appends the UTF-8 encoding of a code point (which must be <= U+10FFFF and not a surrogate).
void append(std::string& out, char32_t codePoint);

// The text with each byte that is not part of a valid UTF-8 character written as \xNN.
std::string escapeInvalid(std::string_view text);

bool isLetter(char32_t codePoint);      // \p{L}
bool isNumber(char32_t codePoint);      // \p{N}
bool isWhiteSpace(char32_t codePoint);  // \s (\p{White_Space})

} // namespace emo::text::utf8
