#pragma once
#include <QString>
#include <QVector>

namespace emo::widgets {

// The curves of one training run, as the Train view plots them: per step the loss and its parts, per
// validation the validation CE (and DEMD). Read from a run folder's metrics.jsonl, or grown live.
struct RunCurves {
    QString folder;
    QString name;        // shown in the legend
    QString objective;   // "mle", "emo", ... (from run.json when present)
    QString status;      // "completed", "cancelled", "running", ...
    QVector<double> steps, loss, mlePart, demdPart;      // NaN where a part is absent
    QVector<double> validationSteps, validationLoss, validationDemd;

    // Reads <folder>/metrics.jsonl (and run.json for objective and status). Lines that do not parse are
    // skipped, as a run killed mid-write may leave half a line. Returns false with *error naming the file
    // when the folder has no metrics.jsonl.
    static bool load(const QString& folder, RunCurves* out, QString* error = nullptr);
};

} // namespace emo::widgets
