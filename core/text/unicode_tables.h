#pragma once
#include <cstddef>
#include <cstdint>

namespace emo::text::unicode {

// Inclusive code point range; the tables are sorted and disjoint (generated, see unicode_tables.cpp).
struct CodePointRange {
    char32_t first;
    char32_t last;
};

extern const CodePointRange kLetterRanges[];      // \p{L}
extern const std::size_t kLetterRangesCount;
extern const CodePointRange kNumberRanges[];      // \p{N}
extern const std::size_t kNumberRangesCount;
extern const CodePointRange kWhiteSpaceRanges[];  // \p{White_Space}, what \s matches
extern const std::size_t kWhiteSpaceRangesCount;

} // namespace emo::text::unicode
