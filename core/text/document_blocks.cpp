#include "text/document_blocks.h"

#include "text/sequence_convention.h"
#include "text/tokenizer.h"
#include "util/error.h"

namespace emo::text {

// documents → [numBlocks, blockSize] int64
torch::Tensor tokenizeIntoBlocks(const std::vector<std::string>& documents, const Tokenizer& tokenizer,
                                 int64_t blockSize, const ProgressCallback& progress)
{
    if (blockSize <= 0)
        throw Error::badInput("block size must be positive, got " + std::to_string(blockSize));
    const int64_t total = static_cast<int64_t>(documents.size());
    const int64_t vocabSize = tokenizer.vocabSize();
    std::vector<int64_t> ids;
    for (int64_t i = 0; i < total; ++i) {
        if (progress && !progress(Progress{"tokenizing", i, total}))
            throw Error::cancelled();
        const std::vector<int64_t> encoded = encodeDocument(tokenizer, documents[static_cast<std::size_t>(i)]);
        for (int64_t id : encoded)
            if (id < 0 || id >= vocabSize)
                throw Error::runtime("tokenizer produced id " + std::to_string(id) + " outside its vocabulary of " +
                                     std::to_string(vocabSize) + " (document " + std::to_string(i + 1) + ")");
        ids.insert(ids.end(), encoded.begin(), encoded.end());
    }
    if (progress && !progress(Progress{"tokenizing", total, total}))
        throw Error::cancelled();

    const int64_t numBlocks = static_cast<int64_t>(ids.size()) / blockSize;
    if (numBlocks == 0)
        throw Error::badInput("the data holds " + std::to_string(ids.size()) + " tokens in " +
                              std::to_string(total) + " documents, fewer than one block of " +
                              std::to_string(blockSize));
    torch::Tensor all = torch::from_blob(ids.data(), {numBlocks, blockSize}, torch::kInt64);
    return all.clone();
}

} // namespace emo::text
