#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace emo::text {

// OpenAI's GPT-2 pre-tokenization, the regex
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// matched by hand (std::regex has no \p{L}): alternatives tried in order at each position, first match
// wins, as a backtracking regex engine does. Contractions are case-sensitive ("'S" is punctuation + "S"),
// as in OpenAI's encoder. Returns the pieces as views into `text`; they concatenate back to `text`.
std::vector<std::string_view> gpt2PreTokenize(std::string_view text);

} // namespace emo::text
