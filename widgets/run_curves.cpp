#include "run_curves.h"

#include "objective/objective_types.h"
#include "train/run_files.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace emo::widgets {

bool RunCurves::load(const QString& folder, RunCurves* out, QString* error)
{
    const auto path = [&folder](const char* name) { return QFile::encodeName(QDir(folder).filePath(name)).toStdString(); };
    train::MetricsLog log;
    try {
        log = train::readMetrics(path(train::kMetricsJsonl));
    } catch (const std::exception&) {
        if (error)
            *error = QObject::tr("%1: no training history (metrics.jsonl) in this folder")
                         .arg(QDir(folder).filePath(train::kMetricsJsonl));
        return false;
    }
    RunCurves curves;
    curves.folder = folder;
    curves.name = QFileInfo(folder).fileName();
    for (const auto& p : log.steps) {
        curves.steps << double(p.step);
        curves.loss << p.loss;
        curves.mlePart << p.mlePart;
        curves.demdPart << p.demdPart;
    }
    for (const auto& p : log.validations) {
        curves.validationSteps << double(p.step);
        curves.validationLoss << p.validationLoss;
        curves.validationDemd << p.validationDemd;
    }
    try {
        const auto record = train::readRunJson(path(train::kRunJson));
        curves.status = QString::fromStdString(record.status);
        curves.objective = QString::fromLatin1(objective::toString(record.settings.objective.kind));
    } catch (const std::exception&) {
        // a run folder without (or with a damaged) run.json still shows its curves
    }
    *out = curves;
    return true;
}

} // namespace emo::widgets
