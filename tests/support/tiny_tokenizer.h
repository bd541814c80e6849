#pragma once
#include <cstdint>
#include <string>

namespace emo::test {

// Writes a valid GPT-2 style byte-level BPE tokenizer (vocab.json + merges.txt) into `folder` (created
// if missing), small enough for tiny test models:
//   ids 0..255: the 256 byte symbols in OpenAI's bytes_to_unicode order (as GPT-2's first 256 ids),
//   ids 256..255+extraMerges: the results of the first `extraMerges` merges (common English pairs such
//     as "Ġ t", "h e", "Ġt he", then letter pairs), at most kMaxTinyTokenizerMerges,
//   the last id: "<|endoftext|>" (BOS and EOS).
// So the vocabulary size is 257 + extraMerges. Throws std::invalid_argument for a bad extraMerges.
void writeByteLevelBpeTokenizer(const std::string& folder, int64_t extraMerges = 0);

// The largest extraMerges writeByteLevelBpeTokenizer accepts.
int64_t maxTinyTokenizerMerges();

} // namespace emo::test
