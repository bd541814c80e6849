// saveWidgetImage / saveDataTable: every format is read back by a different reader (QImage, the XML
// parser, the PDF's own markers, a hand-written CSV parser, QJsonDocument) and bad paths leave nothing.
#include "plot_export.h"

#include <qcustomplot.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>

using emo::widgets::DataTable;
using emo::widgets::saveDataTable;
using emo::widgets::saveWidgetImage;

namespace {

QByteArray readAll(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QString svgRoot(const QByteArray& bytes)
{
    QXmlStreamReader xml(bytes);
    while (!xml.atEnd()) {
        if (xml.readNext() == QXmlStreamReader::StartElement)
            return xml.hasError() ? QString() : xml.name().toString();
    }
    return {};
}

bool wellFormedXml(const QByteArray& bytes)
{
    QXmlStreamReader xml(bytes);
    while (!xml.atEnd())
        xml.readNext();
    return !xml.hasError();
}

// A minimal RFC 4180 reader, independent of the writer: quoted fields may hold , " and line breaks.
QVector<QStringList> parseCsv(const QString& text)
{
    QVector<QStringList> records;
    QStringList record;
    QString field;
    bool quoted = false;
    for (int i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            record << field;
            field.clear();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            record << field;
            records << record;
            record.clear();
            field.clear();
            ++i;
        } else {
            field += c;
        }
    }
    return records;
}

DataTable sampleTable()
{
    DataTable table;
    table.title = "Sample, with \"quotes\"";
    table.columns = {"token", "p", "note"};
    table.rows = {
        {QString("a,b"), 0.1, QString("say \"hi\"")},
        {QString("line\nbreak"), 0.1 + 0.2, qlonglong(42)},
        {QString("plain"), 1e-300, QVariant()},
    };
    return table;
}

QCustomPlot* samplePlot()
{
    auto* plot = new QCustomPlot;
    plot->resize(400, 300);
    plot->addGraph();
    plot->graph(0)->setData({0, 1, 2, 3}, {0.5, 0.2, 0.9, 0.4});
    plot->xAxis->setLabel("step");
    plot->yAxis->setLabel("loss");
    plot->rescaleAxes();
    plot->replot();
    return plot;
}

} // namespace

class TestPlotExport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void plotPng();
    void plotSvgAndPdf();
    void plainWidget();
    void csvQuotingAndPrecision();
    void jsonNumbers();
    void badPaths_data();
    void badPaths();
    void overwriteKeepsOldFileOnFailure();
};

void TestPlotExport::plotPng()
{
    QTemporaryDir dir;
    std::unique_ptr<QCustomPlot> plot(samplePlot());
    const QString path = dir.filePath("plot.png");
    QString error;
    QVERIFY2(saveWidgetImage(plot.get(), path, &error), qPrintable(error));
    const QByteArray bytes = readAll(path);
    QVERIFY(bytes.startsWith(QByteArray("\x89PNG\r\n\x1a\n", 8)));
    QImage image;
    QVERIFY(image.loadFromData(bytes, "PNG"));
    const double dpr = std::max(1.0, plot->devicePixelRatioF());
    QCOMPARE(image.size(), QSize(qRound(400 * dpr), qRound(300 * dpr)));
    // Not blank: the white background and some dark axis/label pixels.
    bool dark = false;
    for (int y = 0; y < image.height() && !dark; ++y)
        for (int x = 0; x < image.width() && !dark; ++x)
            dark = qGray(image.pixel(x, y)) < 100;
    QVERIFY(dark);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"plot.png"});  // no temporary left
}

void TestPlotExport::plotSvgAndPdf()
{
    QTemporaryDir dir;
    std::unique_ptr<QCustomPlot> plot(samplePlot());
    QString error;
    QVERIFY2(saveWidgetImage(plot.get(), dir.filePath("plot.svg"), &error), qPrintable(error));
    const QByteArray svg = readAll(dir.filePath("plot.svg"));
    QCOMPARE(svgRoot(svg), QString("svg"));
    QVERIFY(wellFormedXml(svg));
    QVERIFY(svg.contains("step"));  // the axis label went out as text, not pixels

    QVERIFY2(saveWidgetImage(plot.get(), dir.filePath("plot.PDF"), &error), qPrintable(error));
    const QByteArray pdf = readAll(dir.filePath("plot.PDF"));
    QVERIFY(pdf.startsWith("%PDF-"));
    QVERIFY(pdf.trimmed().endsWith("%%EOF"));
    QVERIFY(pdf.size() > 500);
}

void TestPlotExport::plainWidget()
{
    QTemporaryDir dir;
    QLabel label("EMO Studio export");
    label.resize(240, 60);
    QString error;
    QVERIFY2(saveWidgetImage(&label, dir.filePath("label.png"), &error), qPrintable(error));
    QImage image(dir.filePath("label.png"));
    QVERIFY(!image.isNull());
    const double dpr = std::max(1.0, label.devicePixelRatioF());
    QCOMPARE(image.size(), QSize(qRound(240 * dpr), qRound(60 * dpr)));
    QVERIFY2(saveWidgetImage(&label, dir.filePath("label.svg"), &error), qPrintable(error));
    QCOMPARE(svgRoot(readAll(dir.filePath("label.svg"))), QString("svg"));
    QVERIFY2(saveWidgetImage(&label, dir.filePath("label.pdf"), &error), qPrintable(error));
    const QByteArray pdf = readAll(dir.filePath("label.pdf"));
    QVERIFY(pdf.startsWith("%PDF-"));
    QVERIFY(pdf.trimmed().endsWith("%%EOF"));
}

void TestPlotExport::csvQuotingAndPrecision()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("table.csv");
    QString error;
    QVERIFY2(saveDataTable(sampleTable(), path, &error), qPrintable(error));
    const QByteArray expected =
        "token,p,note\r\n"
        "\"a,b\",0.1,\"say \"\"hi\"\"\"\r\n"
        "\"line\nbreak\",0.30000000000000004,42\r\n"
        "plain,1e-300,\r\n";
    QCOMPARE(readAll(path), expected);

    // Round trip through an independent reader.
    const QVector<QStringList> records = parseCsv(QString::fromUtf8(readAll(path)));
    QCOMPARE(records.size(), 4);
    QCOMPARE(records[0], (QStringList{"token", "p", "note"}));
    QCOMPARE(records[1], (QStringList{"a,b", "0.1", "say \"hi\""}));
    QCOMPARE(records[2][0], QString("line\nbreak"));
    QCOMPARE(records[2][1].toDouble(), 0.1 + 0.2);  // bit-exact: full precision
    QCOMPARE(records[3][2], QString());
}

void TestPlotExport::jsonNumbers()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("table.json");
    QString error;
    QVERIFY2(saveDataTable(sampleTable(), path, &error), qPrintable(error));
    QJsonParseError parse;
    const QJsonDocument doc = QJsonDocument::fromJson(readAll(path), &parse);
    QCOMPARE(parse.error, QJsonParseError::NoError);
    const QJsonObject root = doc.object();
    QCOMPARE(root.value("title").toString(), QString("Sample, with \"quotes\""));
    QCOMPARE(root.value("columns").toArray(), QJsonArray({"token", "p", "note"}));
    const QJsonArray rows = root.value("rows").toArray();
    QCOMPARE(rows.size(), 3);
    QVERIFY(rows[0].toArray()[1].isDouble());
    QVERIFY(rows[0].toArray()[1].toDouble() == 0.1);
    QVERIFY(rows[1].toArray()[1].toDouble() == 0.1 + 0.2);
    QVERIFY(rows[2].toArray()[1].toDouble() == 1e-300);
    QVERIFY(rows[1].toArray()[2].isDouble());
    QCOMPARE(rows[1].toArray()[2].toInteger(), qint64(42));
    QVERIFY(rows[0].toArray()[2].isString());
    QCOMPARE(rows[0].toArray()[2].toString(), QString("say \"hi\""));
    QCOMPARE(rows[1].toArray()[0].toString(), QString("line\nbreak"));
    QVERIFY(rows[2].toArray()[2].isNull());
}

void TestPlotExport::badPaths_data()
{
    QTest::addColumn<bool>("image");  // saveWidgetImage of a plot, else saveDataTable
    QTest::addColumn<QString>("name");
    QTest::newRow("image in a missing folder") << true << "no-such-folder/plot.png";
    QTest::newRow("unknown image format") << true << "plot.bmpx";
    QTest::newRow("table in a missing folder") << false << "no-such-folder/table.csv";
    QTest::newRow("unknown table format") << false << "table.xlsx";
}

void TestPlotExport::badPaths()
{
    QFETCH(bool, image);
    QFETCH(QString, name);
    QTemporaryDir dir;
    std::unique_ptr<QCustomPlot> plot(samplePlot());
    const QString path = dir.filePath(name);
    QString error;
    QVERIFY(!(image ? saveWidgetImage(plot.get(), path, &error) : saveDataTable(sampleTable(), path, &error)));
    QVERIFY2(error.contains(QDir::toNativeSeparators(path)), qPrintable(error));
    QVERIFY(!QFile::exists(path));
    // Nothing at all was left behind: no file under the name, no temporary.
    QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());
}

void TestPlotExport::overwriteKeepsOldFileOnFailure()
{
    // An existing export is replaced only whole: a failing save (here: a folder under the name) keeps
    // what was there, and a successful one replaces it.
    QTemporaryDir dir;
    const QString path = dir.filePath("table.csv");
    QString error;
    QVERIFY(saveDataTable(sampleTable(), path, &error));
    DataTable small;
    small.columns = {"x"};
    small.rows = {{1.5}};
    QVERIFY2(saveDataTable(small, path, &error), qPrintable(error));
    QCOMPARE(readAll(path), QByteArray("x\r\n1.5\r\n"));
    QVERIFY(QDir(dir.path()).mkdir("folder.csv"));
    QVERIFY(!saveDataTable(small, dir.filePath("folder.csv"), &error));
    QVERIFY2(error.contains(QDir::toNativeSeparators(dir.filePath("folder.csv"))), qPrintable(error));
    QVERIFY(QFileInfo(dir.filePath("folder.csv")).isDir());
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{"table.csv"});
}

QTEST_MAIN(TestPlotExport)
#include "tst_plot_export.moc"
