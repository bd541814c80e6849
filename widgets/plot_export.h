#pragma once
#include "data_table.h"

#include <QString>

#include <functional>

class QCustomPlot;
class QWidget;

namespace emo::widgets {

// Saves a picture of `widget` by the suffix of `path`: .png, .svg or .pdf. A QCustomPlot uses its own
// writers (vector PDF, crisp PNG at the device pixel ratio); other widgets are rendered. On failure
// returns false and sets *error to one sentence naming the file.
bool saveWidgetImage(QWidget* widget, const QString& path, QString* error = nullptr);

// Saves a table by the suffix of `path`: .csv (RFC 4180 quoting) or .json ({"title","columns","rows"}).
bool saveDataTable(const DataTable& table, const QString& path, QString* error = nullptr);

// Adds "Export image…" (PNG/SVG/PDF) and "Export data…" (CSV/JSON) to a widget's context menu;
// `data` is asked for the table at export time.
void installExportMenu(QWidget* widget, std::function<DataTable()> data);

} // namespace emo::widgets
