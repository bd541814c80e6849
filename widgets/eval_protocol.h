#pragma once
#include <QMetaType>

namespace emo::widgets {

// How the Evaluate view asks for continuations: each data text is cut into a prefix of `prefixWords`
// words and a reference continuation of `continuationWords`; every model writes `samples` continuations
// per prefix, repeated for `seeds` seeds (mean ± std over seeds), over at most `maxPrefixes` prefixes
// (0 = all). Plain data so it can cross to the worker thread by a queued signal.
struct EvalProtocol {
    int prefixWords = 20;
    int continuationWords = 80;
    int samples = 5;
    int seeds = 1;
    int maxPrefixes = 100;
    // The EMO repository's evaluation (fixed-length samples, MAUVE per sample index, oracle PPL of prefix +
    // continuation) instead of the pooled one (samples stop at EOS, MAUVE over all samples).
    bool official = false;
};

} // namespace emo::widgets

Q_DECLARE_METATYPE(emo::widgets::EvalProtocol)
