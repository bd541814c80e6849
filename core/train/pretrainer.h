#pragma once
#include "train/train_types.h"
#include "train/trainer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace emo::train {

// `emo pretrain`: a model from scratch with the same Trainer.
struct PretrainSettings {
    std::string arch = "gpt2";        // "gpt2" | "llama"
    int64_t layers = 4;
    int64_t hidden = 256;
    int64_t heads = 4;
    int64_t kvHeads = 0;              // llama; 0 = heads
    int64_t intermediate = 0;         // 0 = 4 × hidden (gpt2), 8/3 × hidden rounded up to 64 (llama)
    int64_t maxPositions = 0;         // 0 = the block size
    int64_t vocabSize = 8000;         // requested sentencepiece vocabulary (the model gets the trained size)
    std::string tokenizerType = "unigram";  // sentencepiece model type: unigram | bpe | char | word
    std::string tokenizerFrom;        // a folder whose tokenizer files are copied instead of training one
                                      // (a student that shares its teacher's vocabulary); vocabSize is then ignored
    std::vector<std::string> dataPaths;
    std::string outputDir;
    // Trainer settings; modelPath/dataPath/outputDir are filled in. Defaults for training from scratch:
    // MLE, lr 1e-3, cosine with 50 warm-up steps, weight decay 0.01, clip 1, batch 16, block 128, 1 epoch.
    TrainSettings train = defaultTrainSettings();

    static TrainSettings defaultTrainSettings();
};

// Trains a sentencepiece vocabulary on the data (text::trainSentencePieceModel) or copies tokenizerFrom's, writes config.json,
// tokenizer.model and a randomly initialised model.safetensors into <outputDir>/init, then trains it with
// Trainer into outputDir. With train.resumeDir set, the init folder of that run is reused as it is.
// Throws emo::Error(BadInput) for bad shapes, arch or data.
TrainResult pretrain(const PretrainSettings& settings, const TrainProgressCallback& progress = {});

} // namespace emo::train
