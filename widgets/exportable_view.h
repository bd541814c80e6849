#pragma once
#include "data_table.h"

class QWidget;

namespace emo::widgets {

// A view whose picture and data File → Export writes: the widget to render (a QCustomPlot is saved
// through its own PNG/PDF writers and QSvgGenerator; any other widget is rendered) and its data table.
class ExportableView {
public:
    virtual ~ExportableView() = default;
    virtual QWidget* exportWidget() = 0;
    virtual DataTable exportData() const = 0;
};

} // namespace emo::widgets
