// report::writePlot: the PNG decodes to the asked size (×2) with the bars where the values put them, in the
// palette's colours; the SVG is a complete SVG document of the same size; malformed plots and unwritable
// paths give one error naming the plot or the file, and leave no temporary file behind.
#include "report/plot_writer.h"
#include "support/test_paths.h"
#include "util/error.h"

#include <QtGui/QImage>
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

emo::report::Plot barPlot()
{
    emo::report::Plot plot;
    plot.kind = emo::report::Plot::Kind::Bars;
    plot.title = "Test bars";
    plot.yLabel = "value";
    plot.categories = {"a", "b", "c"};
    plot.categoryColours = {0, 1, 3};
    emo::report::PlotSeries s;
    s.name = "v";
    s.y = {10.0, 5.0, 2.5};
    s.error = {1.0, 0.5, 0.0};
    plot.series = {s};
    return plot;
}

// How many pixel columns hold `colour` somewhere.
int columnsOfColour(const QImage& image, QRgb colour)
{
    int columns = 0;
    for (int x = 0; x < image.width(); ++x)
        for (int y = 0; y < image.height(); ++y)
            if ((image.pixel(x, y) & 0xffffff) == (colour & 0xffffff)) {
                ++columns;
                break;
            }
    return columns;
}

// Height in pixels of `colour` in a column a few pixels inside the left edge of its bar (the middle column
// is crossed by the error bar).
int barHeight(const QImage& image, QRgb colour)
{
    int first = -1;
    for (int x = 0; x < image.width() && first < 0; ++x)
        for (int y = 0; y < image.height(); ++y)
            if ((image.pixel(x, y) & 0xffffff) == (colour & 0xffffff)) {
                first = x;
                break;
            }
    if (first < 0)
        return 0;
    const int column = first + 3;
    int count = 0;
    for (int y = 0; y < image.height(); ++y)
        count += (image.pixel(column, y) & 0xffffff) == (colour & 0xffffff);
    return count;
}

} // namespace

class TestPlotWriter : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void barsAreDrawnToScale()
    {
        if (!emo::report::canWritePlots())
            QSKIP("this build has no cairo");
        const std::string stem = m_dir.filePath("bars").toStdString();
        emo::report::writePlot(barPlot(), stem);
        QImage image(QString::fromStdString(stem + ".png"));
        QVERIFY(!image.isNull());
        QCOMPARE(image.width(), 2 * 760);
        QCOMPARE(image.height(), 2 * 440);
        image.save(QString::fromStdString(emo::test::outputDir() + "/plot-bars.png"));  // to look at, even on failure
        QCOMPARE(image.pixel(2, 2) & 0xffffff, 0xffffffu);  // white background
        // Palette 0 (blue), 1 (orange), 3 (red): one bar each; the values 10, 5, 2.5 from a zero baseline,
        // so the heights halve (± a pixel of anti-aliasing at each end).
        const QRgb blue = qRgb(78, 121, 167), orange = qRgb(242, 142, 43), red = qRgb(225, 87, 89);
        const int hBlue = barHeight(image, blue), hOrange = barHeight(image, orange), hRed = barHeight(image, red);
        QVERIFY2(hBlue > 300, qPrintable(QString::number(hBlue)));
        QVERIFY2(std::abs(hOrange * 2 - hBlue) <= 4, qPrintable(QString("%1 %2").arg(hBlue).arg(hOrange)));
        QVERIFY2(std::abs(hRed * 4 - hBlue) <= 8, qPrintable(QString("%1 %2").arg(hBlue).arg(hRed)));
        // Bars are equally wide.
        QVERIFY(std::abs(columnsOfColour(image, blue) - columnsOfColour(image, red)) <= 2);
    }

    void linesAndSvg()
    {
        if (!emo::report::canWritePlots())
            QSKIP("this build has no cairo");
        emo::report::Plot plot;
        plot.kind = emo::report::Plot::Kind::Lines;
        plot.title = "Curves";
        plot.xLabel = "step";
        plot.yLabel = "loss";
        emo::report::PlotSeries a{"falling", {0, 10, 20, 30}, {4.0, 3.5, 3.2, 3.1}, {}, 0};
        emo::report::PlotSeries b{"flat", {0, 10, 20, 30}, {3.3, 3.3, 3.3, 3.3}, {}, 3};
        plot.series = {a, b};
        const std::string stem = m_dir.filePath("lines").toStdString();
        emo::report::writePlot(plot, stem);
        QImage image(QString::fromStdString(stem + ".png"));
        QVERIFY(!image.isNull());
        QVERIFY(columnsOfColour(image, qRgb(78, 121, 167)) > 500);   // the blue line spans the plot
        QVERIFY(columnsOfColour(image, qRgb(225, 87, 89)) > 500);    // and so does the red one
        std::ifstream in(stem + ".svg");
        std::stringstream svg;
        svg << in.rdbuf();
        const std::string text = svg.str();
        QVERIFY(text.find("<svg") != std::string::npos);
        QVERIFY(text.find("width=\"760pt\"") != std::string::npos);
        QVERIFY(text.find("</svg>") != std::string::npos);
        QVERIFY(image.save(QString::fromStdString(emo::test::outputDir() + "/plot-lines.png")));
    }

    void badPlotsAndPaths()
    {
        auto plot = barPlot();
        plot.series.push_back(plot.series.front());
        try {
            emo::report::writePlot(plot, m_dir.filePath("two").toStdString());
            QFAIL("two series in a bar chart were accepted");
        } catch (const emo::Error& e) {
            QCOMPARE(e.kind(), emo::Error::Kind::BadInput);
            QVERIFY(std::string(e.what()).find("Test bars") != std::string::npos);
        }
        plot = barPlot();
        plot.categories.pop_back();
        QVERIFY_EXCEPTION_THROWN(emo::report::writePlot(plot, m_dir.filePath("short").toStdString()), emo::Error);
        if (!emo::report::canWritePlots())
            return;
        const std::string missing = m_dir.filePath("no/such/folder/plot").toStdString();
        try {
            emo::report::writePlot(barPlot(), missing);
            QFAIL("a plot into a missing folder was written");
        } catch (const emo::Error& e) {
            QCOMPARE(e.kind(), emo::Error::Kind::Runtime);
            QVERIFY2(std::string(e.what()).find(missing + ".png") != std::string::npos, e.what());
        }
        QVERIFY(!std::filesystem::exists(missing + ".png.tmp"));
    }
};

QTEST_GUILESS_MAIN(TestPlotWriter)
#include "tst_plot_writer.moc"
