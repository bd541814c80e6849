#pragma once
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace emo::widgets {

// What the Model & data view shows of a model: described from its headers, then loaded (filled by the
// Session on the worker thread).
struct ModelCard {
    QString folder;
    QString name;             // folder name
    QString architecture;     // "llama", "gpt2"
    qint64 parameters = 0;
    qint64 vocabulary = 0;
    qint64 layers = 0;
    qint64 hidden = 0;
    qint64 heads = 0;
    qint64 context = 0;       // max positions
    bool tiedEmbeddings = false;
    QString storedDtype;      // of the weight files
    QString weightsLayout;    // "model.safetensors", "pytorch_model.bin.index.json", …
    qint64 weightFiles = 0;
    qint64 bytesOnDisk = 0;
    bool weightsLoaded = false;  // false while only described (headers read)
    QString computeDtype;
    QString device;
    QString tokenizer;        // "sentencepiece", "gpt2-bpe"
    qint64 memoryBytes = 0;   // parameters in memory
    QString blas;
    bool hasRunHistory = false;  // run.json / metrics.jsonl next to the weights
};

// What the Model & data view shows of an opened data set: its size and how the model tokenizes it.
struct DatasetPreview {
    QString path;
    QString format;           // "txt", "jsonl", "wikitext"
    qint64 documents = 0;
    qint64 characters = 0;
    qint64 tokens = 0;        // under the loaded model's tokenizer
    QStringList previewTokens;  // display texts of the first tokens of the first document
    QString previewText;      // the text those tokens come from
};

} // namespace emo::widgets

Q_DECLARE_METATYPE(emo::widgets::ModelCard)
Q_DECLARE_METATYPE(emo::widgets::DatasetPreview)
