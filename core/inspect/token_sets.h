#pragma once
#include "inspect/inspect_types.h"

#include <cstdint>
#include <vector>

namespace emo::inspect {

class Inspector;

// The token ids of a cost matrix (TokenSetSettings), from the inspector's tokenizer and cost embedding and
// the last inspected text (for TopKAtPosition). Throws emo::Error(BadInput) naming what is wrong: no
// inspected text, a position outside it, fewer than two different words, a word that gives no token.
std::vector<int64_t> tokenSet(const Inspector& inspector, const TokenSetSettings& settings, const InspectReport& last);

// The first token of " word" that is not a bare space piece (sentencepiece may give a lone "▁" first).
int64_t firstTokenOfWord(const Inspector& inspector, const std::string& word);

} // namespace emo::inspect
