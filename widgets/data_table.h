#pragma once
#include <QStringList>
#include <QVariant>
#include <QVector>

namespace emo::widgets {

// The data behind a plot or table, as exported to CSV and JSON: named columns, one QVariant per cell
// (numbers stay numbers in JSON; strings are quoted in CSV when needed).
struct DataTable {
    QString title;
    QStringList columns;
    QVector<QVector<QVariant>> rows;
};

} // namespace emo::widgets
