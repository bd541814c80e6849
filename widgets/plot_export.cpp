#include "plot_export.h"

#include <qcustomplot.h>

#include <QAction>
#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QPixmap>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QWidget>

#include <cmath>

namespace emo::widgets {
namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("emo::widgets::PlotExport", text);
}

void setError(QString* error, const QString& message)
{
    if (error)
        *error = message;
}

QString nativeName(const QString& path)
{
    return QDir::toNativeSeparators(path);
}

// Opens a QSaveFile: everything goes to a temporary file next to `path`, renamed into place only by
// commit(), so a failure (or a crash) never leaves a half-written file under the real name.
bool openSaveFile(QSaveFile& file, QString* error)
{
    if (file.open(QIODevice::WriteOnly))
        return true;
    setError(error, tr("Cannot write “%1”: %2.").arg(nativeName(file.fileName()), file.errorString()));
    return false;
}

bool commitSaveFile(QSaveFile& file, QString* error)
{
    if (file.commit())
        return true;
    setError(error, tr("Cannot write “%1”: %2 (is the disk full?).").arg(nativeName(file.fileName()), file.errorString()));
    return false;
}

bool failWriting(QSaveFile& file, QString* error, const QString& what)
{
    file.cancelWriting();
    setError(error, tr("Cannot write “%1”: %2.").arg(nativeName(file.fileName()), what));
    return false;
}

// The dots per inch the widget is drawn at, so point-sized fonts keep their size relative to the picture.
int widgetDpi(const QWidget* widget)
{
    const int dpi = widget->logicalDpiX();
    return dpi > 0 ? dpi : 96;
}

// A PDF page exactly the widget's size: device units are the widget's pixels.
void preparePdf(QPdfWriter& pdf, const QSize& size, int dpi, const QString& title)
{
    pdf.setResolution(dpi);
    pdf.setCreator(QStringLiteral("EMO Studio"));
    pdf.setTitle(title);
    const QSizeF points(size.width() * 72.0 / dpi, size.height() * 72.0 / dpi);
    pdf.setPageLayout(QPageLayout(QPageSize(points, QPageSize::Point, QString(), QPageSize::ExactMatch),
                                  QPageLayout::Portrait, QMarginsF(0, 0, 0, 0)));
}

void prepareSvg(QSvgGenerator& svg, QIODevice* device, const QSize& size, int dpi, const QString& title)
{
    svg.setOutputDevice(device);
    svg.setSize(size);
    svg.setViewBox(QRect(QPoint(0, 0), size));
    svg.setResolution(dpi);
    svg.setTitle(title);
    svg.setDescription(QStringLiteral("EMO Studio"));
}

bool savePlot(QCustomPlot* plot, const QString& suffix, QSaveFile& file, QString* error)
{
    const QSize size = plot->size().expandedTo(QSize(1, 1));
    const QString title = QFileInfo(file.fileName()).completeBaseName();
    if (suffix == QLatin1String("png")) {
        // What savePng does, but into the save file: rastered at the screen's device pixel ratio.
        const double scale = std::max(1.0, plot->devicePixelRatioF());
        const QImage image = plot->toPixmap(size.width(), size.height(), scale).toImage();
        if (image.isNull() || !image.save(&file, "PNG"))
            return failWriting(file, error, tr("the PNG image could not be encoded"));
        return true;
    }
    if (suffix == QLatin1String("pdf")) {
        // What savePdf does (vectorised, page = plot size), but through QPdfWriter into the save file.
        QPdfWriter pdf(&file);
        preparePdf(pdf, size, widgetDpi(plot), title);
        QCPPainter painter;
        if (!painter.begin(&pdf))
            return failWriting(file, error, tr("the PDF writer could not start"));
        painter.setMode(QCPPainter::pmVectorized);
        plot->toPainter(&painter, size.width(), size.height());
        painter.end();
        return true;
    }
    QSvgGenerator svg;
    prepareSvg(svg, &file, size, widgetDpi(plot), title);
    QCPPainter painter;
    if (!painter.begin(&svg))
        return failWriting(file, error, tr("the SVG writer could not start"));
    painter.setMode(QCPPainter::pmVectorized);
    plot->toPainter(&painter, size.width(), size.height());
    painter.end();
    return true;
}

bool saveRendered(QWidget* widget, const QString& suffix, QSaveFile& file, QString* error)
{
    const QSize size = widget->size().expandedTo(QSize(1, 1));
    const QString title = QFileInfo(file.fileName()).completeBaseName();
    if (suffix == QLatin1String("png")) {
        const QImage image = widget->grab().toImage();
        if (image.isNull() || !image.save(&file, "PNG"))
            return failWriting(file, error, tr("the PNG image could not be encoded"));
        return true;
    }
    QPainter painter;
    if (suffix == QLatin1String("pdf")) {
        QPdfWriter pdf(&file);
        preparePdf(pdf, size, widgetDpi(widget), title);
        if (!painter.begin(&pdf))
            return failWriting(file, error, tr("the PDF writer could not start"));
        widget->render(&painter);
        painter.end();
        return true;
    }
    QSvgGenerator svg;
    prepareSvg(svg, &file, size, widgetDpi(widget), title);
    if (!painter.begin(&svg))
        return failWriting(file, error, tr("the SVG writer could not start"));
    widget->render(&painter);
    painter.end();
    return true;
}

bool isNumber(const QVariant& value)
{
    switch (value.metaType().id()) {
    case QMetaType::Double:
    case QMetaType::Float:
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::Long:
    case QMetaType::ULong:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Short:
    case QMetaType::UShort:
        return true;
    default:
        return false;
    }
}

bool isInteger(const QVariant& value)
{
    return isNumber(value) && value.metaType().id() != QMetaType::Double && value.metaType().id() != QMetaType::Float;
}

// Shortest text that reads back to the same double ("0.1", not "0.10000000000000001").
QString numberText(const QVariant& value)
{
    if (value.metaType().id() == QMetaType::ULongLong || value.metaType().id() == QMetaType::ULong)
        return QString::number(value.toULongLong());
    if (isInteger(value))
        return QString::number(value.toLongLong());
    const double d = value.toDouble();
    if (std::isnan(d))
        return QStringLiteral("NaN");
    if (std::isinf(d))
        return d > 0 ? QStringLiteral("Infinity") : QStringLiteral("-Infinity");
    return QString::number(d, 'g', QLocale::FloatingPointShortest);
}

QString csvField(const QVariant& value)
{
    if (!value.isValid() || value.isNull())
        return {};
    if (isNumber(value))
        return numberText(value);
    if (value.metaType().id() == QMetaType::Bool)
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    QString text = value.toString();
    // RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled.
    if (text.contains(QLatin1Char(',')) || text.contains(QLatin1Char('"')) || text.contains(QLatin1Char('\n'))
        || text.contains(QLatin1Char('\r'))) {
        text.replace(QLatin1String("\""), QLatin1String("\"\""));
        text = QLatin1Char('"') + text + QLatin1Char('"');
    }
    return text;
}

QByteArray toCsv(const DataTable& table)
{
    QString out;
    auto writeRecord = [&out](const QVector<QVariant>& fields) {
        for (int i = 0; i < fields.size(); ++i) {
            if (i > 0)
                out += QLatin1Char(',');
            out += csvField(fields[i]);
        }
        out += QLatin1String("\r\n");  // RFC 4180 record separator
    };
    QVector<QVariant> header;
    for (const QString& column : table.columns)
        header << column;
    writeRecord(header);
    for (const QVector<QVariant>& row : table.rows)
        writeRecord(row);
    return out.toUtf8();
}

QJsonValue jsonValue(const QVariant& value)
{
    if (!value.isValid() || value.isNull())
        return QJsonValue::Null;
    if (isNumber(value)) {
        if (isInteger(value))
            return QJsonValue(value.toLongLong());
        const double d = value.toDouble();
        return std::isfinite(d) ? QJsonValue(d) : QJsonValue(QJsonValue::Null);  // JSON has no NaN/∞
    }
    if (value.metaType().id() == QMetaType::Bool)
        return value.toBool();
    return value.toString();
}

QByteArray toJson(const DataTable& table)
{
    QJsonArray rows;
    for (const QVector<QVariant>& row : table.rows) {
        QJsonArray cells;
        for (const QVariant& cell : row)
            cells.append(jsonValue(cell));
        rows.append(cells);
    }
    QJsonObject root;
    root.insert(QStringLiteral("title"), table.title);
    root.insert(QStringLiteral("columns"), QJsonArray::fromStringList(table.columns));
    root.insert(QStringLiteral("rows"), rows);
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

// Appends the suffix of the chosen filter when the user typed a bare name.
QString withSuffix(QString path, const QString& selectedFilter, const QString& fallback)
{
    if (!QFileInfo(path).suffix().isEmpty())
        return path;
    const QRegularExpression pattern(QStringLiteral("\\*\\.(\\w+)"));
    const QRegularExpressionMatch match = pattern.match(selectedFilter);
    return path + QLatin1Char('.') + (match.hasMatch() ? match.captured(1) : fallback);
}

QString& lastFolder()
{
    static QString folder = QDir::homePath();  // the folder of the last export, shared by every view
    return folder;
}

QString defaultName(QWidget* widget, const QString& suffix)
{
    QString base = widget->objectName().isEmpty() ? QStringLiteral("emo-plot") : widget->objectName();
    return QDir(lastFolder()).filePath(base + QLatin1Char('.') + suffix);
}

} // namespace

bool saveWidgetImage(QWidget* widget, const QString& path, QString* error)
{
    if (!widget) {
        setError(error, tr("Cannot save “%1”: there is nothing to draw.").arg(nativeName(path)));
        return false;
    }
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("png") && suffix != QLatin1String("svg") && suffix != QLatin1String("pdf")) {
        setError(error, tr("Cannot save “%1”: unknown image type (use .png, .svg or .pdf).").arg(nativeName(path)));
        return false;
    }
    QSaveFile file(path);
    if (!openSaveFile(file, error))
        return false;
    QCustomPlot* plot = qobject_cast<QCustomPlot*>(widget);
    const bool drawn = plot ? savePlot(plot, suffix, file, error) : saveRendered(widget, suffix, file, error);
    if (!drawn)
        return false;
    return commitSaveFile(file, error);
}

bool saveDataTable(const DataTable& table, const QString& path, QString* error)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    QByteArray bytes;
    if (suffix == QLatin1String("csv")) {
        bytes = toCsv(table);
    } else if (suffix == QLatin1String("json")) {
        bytes = toJson(table);
    } else {
        setError(error, tr("Cannot save “%1”: unknown data type (use .csv or .json).").arg(nativeName(path)));
        return false;
    }
    QSaveFile file(path);
    if (!openSaveFile(file, error))
        return false;
    if (file.write(bytes) != bytes.size())
        return failWriting(file, error, file.errorString());
    return commitSaveFile(file, error);
}

void installExportMenu(QWidget* widget, std::function<DataTable()> data)
{
    if (!widget)
        return;
    widget->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(widget, &QWidget::customContextMenuRequested, widget, [widget, data](const QPoint& pos) {
        QMenu menu(widget);
        QAction* image = menu.addAction(tr("Export image…"));
        QAction* table = data ? menu.addAction(tr("Export data…")) : nullptr;
        QAction* chosen = menu.exec(widget->mapToGlobal(pos));
        if (!chosen)
            return;
        QString error;
        if (chosen == image) {
            QString filter = tr("PNG image (*.png)");
            QString path = QFileDialog::getSaveFileName(
                widget, tr("Export image"), defaultName(widget, QStringLiteral("png")),
                tr("PNG image (*.png);;SVG image (*.svg);;PDF document (*.pdf)"), &filter);
            if (path.isEmpty())
                return;
            path = withSuffix(path, filter, QStringLiteral("png"));
            lastFolder() = QFileInfo(path).absolutePath();
            if (!saveWidgetImage(widget, path, &error))
                QMessageBox::warning(widget, tr("Export image"), error);
        } else if (chosen == table) {
            QString filter = tr("CSV table (*.csv)");
            QString path = QFileDialog::getSaveFileName(
                widget, tr("Export data"), defaultName(widget, QStringLiteral("csv")),
                tr("CSV table (*.csv);;JSON (*.json)"), &filter);
            if (path.isEmpty())
                return;
            path = withSuffix(path, filter, QStringLiteral("csv"));
            lastFolder() = QFileInfo(path).absolutePath();
            if (!saveDataTable(data(), path, &error))
                QMessageBox::warning(widget, tr("Export data"), error);
        }
    });
}

} // namespace emo::widgets
