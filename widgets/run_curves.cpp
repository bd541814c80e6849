#include "run_curves.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <limits>

namespace emo::widgets {
namespace {

double numberOrNan(const QJsonObject& object, const char* key)
{
    const QJsonValue value = object.value(QLatin1String(key));
    return value.isDouble() ? value.toDouble() : std::numeric_limits<double>::quiet_NaN();
}

} // namespace

bool RunCurves::load(const QString& folder, RunCurves* out, QString* error)
{
    QFile metrics(QDir(folder).filePath("metrics.jsonl"));
    if (!metrics.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QObject::tr("%1: no training history (metrics.jsonl) in this folder").arg(metrics.fileName());
        return false;
    }
    RunCurves curves;
    curves.folder = folder;
    curves.name = QFileInfo(folder).fileName();
    while (!metrics.atEnd()) {
        const QJsonObject line = QJsonDocument::fromJson(metrics.readLine()).object();
        if (line.isEmpty())
            continue;
        const double step = numberOrNan(line, "step");
        if (line.value("type").toString() == QLatin1String("validation")) {
            curves.validationSteps << step;
            curves.validationLoss << numberOrNan(line, "validation_loss");
            curves.validationDemd << numberOrNan(line, "validation_demd");
        } else {
            curves.steps << step;
            curves.loss << numberOrNan(line, "loss");
            curves.mlePart << numberOrNan(line, "mle");
            curves.demdPart << numberOrNan(line, "demd");
        }
    }
    QFile run(QDir(folder).filePath("run.json"));
    if (run.open(QIODevice::ReadOnly)) {
        const QJsonObject record = QJsonDocument::fromJson(run.readAll()).object();
        curves.status = record.value("status").toString();
        curves.objective = record.value("settings").toObject().value("objective").toObject().value("kind").toString();
    }
    *out = curves;
    return true;
}

} // namespace emo::widgets
