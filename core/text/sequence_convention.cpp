#include "text/sequence_convention.h"

#include "text/tokenizer.h"
#include "util/error.h"

namespace emo::text {

SequenceConvention sequenceConvention(const Tokenizer& tokenizer)
{
    SequenceConvention c;
    c.documentStart = tokenizer.addsBos() ? tokenizer.bosId() : -1;
    c.documentEnd = tokenizer.eosId();
    // A BOS-first family starts unconditional text from BOS, as in training; GPT-2 from <|endoftext|>,
    // the token that precedes every document but the first in its training stream.
    c.unconditionalStart = c.documentStart >= 0 ? c.documentStart
                                                : (tokenizer.eosId() >= 0 ? tokenizer.eosId() : tokenizer.bosId());
    return c;
}

std::vector<int64_t> encodeDocument(const Tokenizer& tokenizer, const std::string& text)
{
    const SequenceConvention c = sequenceConvention(tokenizer);
    std::vector<int64_t> ids;
    if (c.documentStart >= 0)
        ids.push_back(c.documentStart);
    const std::vector<int64_t> encoded = tokenizer.encode(text);
    ids.insert(ids.end(), encoded.begin(), encoded.end());
    if (c.documentEnd >= 0)
        ids.push_back(c.documentEnd);
    return ids;
}

std::vector<int64_t> encodePrompt(const Tokenizer& tokenizer, const std::string& prompt)
{
    const SequenceConvention c = sequenceConvention(tokenizer);
    const std::vector<int64_t> encoded = tokenizer.encode(prompt);
    if (encoded.empty()) {
        if (c.unconditionalStart < 0)
            throw Error::badInput("empty prompt, and the tokenizer has no BOS or EOS to start from");
        return {c.unconditionalStart};
    }
    std::vector<int64_t> ids;
    if (c.documentStart >= 0)
        ids.push_back(c.documentStart);
    ids.insert(ids.end(), encoded.begin(), encoded.end());
    return ids;
}

} // namespace emo::text
