#pragma once
#include "util/progress.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace emo::text {

class Tokenizer;

// The paper's recipe: encode every document with the family's convention (text/sequence_convention.h:
// BOS before it where the family has one, EOS after it), concatenate, and cut into blocks of `blockSize`
// tokens (the remainder is dropped).
// → [numBlocks, blockSize] int64. Throws emo::Error(BadInput) when there is not one whole block.
torch::Tensor tokenizeIntoBlocks(const std::vector<std::string>& documents, const Tokenizer& tokenizer,
                                 int64_t blockSize, const ProgressCallback& progress = {});

} // namespace emo::text
