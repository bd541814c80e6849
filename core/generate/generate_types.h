#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace emo::generate {

// Plain settings and results of sampling (no torch: the GUI includes this).

// Ancestral: draw from softmax(filtered logits / temperature). With temperature 1 and no top-k/top-p this is
// the paper's unbiased sampling. Greedy: argmax of the unmodified logits (temperature, top-k, top-p ignored).
enum class SamplingMode { Ancestral, Greedy };

struct SampleSettings {
    int64_t maxNewTokens = 50;
    int64_t samplesPerPrompt = 1;
    double temperature = 1.0;   // 0 means greedy; negative or not finite is refused
    int64_t topK = 0;           // 0 = off
    double topP = 1.0;          // in (0, 1]; 1 = off
    uint64_t seed = 0;
    bool stopAtEos = true;
    int64_t minNewTokens = 0;   // EOS cannot be drawn before this many new tokens (Hugging Face's min_new_tokens)
    SamplingMode mode = SamplingMode::Ancestral;
    int64_t eosId = -1;         // -1: the tokenizer's stop ids (generation_config.json's eos list), else the config's
    int64_t maxBatchRows = 64;  // rows (prompts × samples) decoded together; prompts are never split
};

// One sampled continuation. tokenIds, logprobs and modelLogprobs are aligned; when finishedByEos the last
// entry is the EOS token (it was sampled too), which `text` leaves out.
struct Sample {
    int64_t promptIndex = 0;
    int64_t sampleIndex = 0;            // 0 .. samplesPerPrompt-1
    std::string prompt;
    std::string text;                   // continuation only
    std::vector<int64_t> tokenIds;
    std::vector<double> logprobs;       // natural log, under the sampling distribution (0 for greedy)
    std::vector<double> modelLogprobs;  // natural log, under the unmodified model (temperature 1, no filters)
    bool finishedByEos = false;
};

// The Compare view's data: continuations of two models for the same prompts and seeds, each token with
// its text and its log-probability under both models (own and other), and per-model summary numbers.
struct ComparedSample {
    Sample sample;                          // as the model sampled it
    std::vector<std::string> tokenTexts;    // display text of each token of sample.tokenIds
    std::vector<double> otherLogprobs;      // natural log of each token under the other model
};

struct ModelComparison {
    std::string modelA, modelB;             // folder names
    std::vector<ComparedSample> a, b;       // same order: prompt-major, then sample index
    double perplexityA = 0.0;               // of the data set given (0 = not computed)
    double perplexityB = 0.0;
    double crossPerplexityAUnderB = 0.0;    // exp(mean −log p_B) over A's sampled tokens
    double crossPerplexityBUnderA = 0.0;
};

// exp(mean −otherLogprobs) pooled over every token of every sample: how surprised the other model is by
// these samples (ModelComparison::crossPerplexityAUnderB of a's samples). NaN when they hold no token.
double crossPerplexity(const std::vector<ComparedSample>& samples);

const char* toString(SamplingMode mode);  // "ancestral" | "greedy"
bool parseSamplingMode(const std::string& text, SamplingMode* out);

} // namespace emo::generate
