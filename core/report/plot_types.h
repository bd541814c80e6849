#pragma once
#include <limits>
#include <string>
#include <vector>

// A chart as plain data (no torch, no Qt): what the experiment reports draw into PNG and SVG files.
namespace emo::report {

struct PlotSeries {
    std::string name;
    std::vector<double> x;       // lines: positions on the x axis; bars: unused
    std::vector<double> y;       // lines: values; bars: one value per category
    std::vector<double> error;   // bars: ± half-width of the error bar per category (empty = none)
    int colour = -1;             // palette index; -1 = the series' own index
    int dash = 0;                // lines: 0 solid, 1 dashed, 2 dotted, 3 dash-dot (series of one colour apart)
};

struct Plot {
    enum class Kind { Bars, Lines };
    Kind kind = Kind::Bars;
    std::string title;
    std::string subtitle;                   // one line under the title (e.g. "mean ± std over 3 seeds")
    std::string xLabel;
    std::string yLabel;
    std::vector<std::string> categories;    // bars: one label per bar
    std::vector<int> categoryColours;       // bars: palette index per bar (empty = all the first colour)
    std::vector<PlotSeries> series;         // bars: exactly one; lines: any number, with a legend on the right
    double yCeiling = std::numeric_limits<double>::quiet_NaN();  // the axis never goes above this (MAUVE: 1)
    int width = 760;                        // pixels (PNG) and points (SVG)
    int height = 440;
};

} // namespace emo::report
