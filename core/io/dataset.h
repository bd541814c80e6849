#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace emo::io {

// Documents of a data file, by extension and content: .jsonl (one JSON object a line, field `text`),
// WikiText raw layout (" = Title = " headings start articles; detected by content), otherwise plain text
// (documents separated by blank lines). Empty documents are dropped; a file with none throws
// emo::Error(BadInput) naming the file; a bad JSONL line names the file and line number.
std::vector<std::string> readDocuments(const std::string& path);

struct BlockSplit {
    torch::Tensor train;       // [Ntrain, T]
    torch::Tensor validation;  // [Nval, T]
};
// Holds out max(1, round(fraction × N)) blocks chosen by `seed` for validation (needs N ≥ 2).
BlockSplit splitBlocks(const torch::Tensor& blocks, double validationFraction, uint64_t seed);

} // namespace emo::io
