#include "report/plot_writer.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>

#if EMO_HAVE_CAIRO
#include <cairo-svg.h>
#include <cairo.h>
#endif

namespace fs = std::filesystem;

namespace emo::report {
namespace {

void checkPlot(const Plot& plot)
{
    if (plot.width < 200 || plot.height < 150)
        throw Error::badInput("plot '" + plot.title + "': size below 200×150");
    if (plot.kind == Plot::Kind::Bars) {
        if (plot.series.size() != 1)
            throw Error::badInput("plot '" + plot.title + "': a bar chart has exactly one series");
        const auto& s = plot.series.front();
        if (s.y.size() != plot.categories.size() || (!s.error.empty() && s.error.size() != s.y.size())
            || (!plot.categoryColours.empty() && plot.categoryColours.size() != s.y.size()))
            throw Error::badInput("plot '" + plot.title + "': one value (and error, colour) per category");
    } else {
        for (const auto& s : plot.series)
            if (s.x.size() != s.y.size())
                throw Error::badInput("plot '" + plot.title + "': series '" + s.name + "' has " +
                                      std::to_string(s.x.size()) + " x and " + std::to_string(s.y.size()) + " y");
    }
}

} // namespace

#if EMO_HAVE_CAIRO
namespace {

struct Rgb { double r, g, b; };

// Tableau 10: distinguishable, and readable by most colour-blind readers.
Rgb paletteColour(int index)
{
    static const Rgb palette[] = {{0.306, 0.475, 0.655}, {0.949, 0.557, 0.169}, {0.349, 0.631, 0.310},
                                  {0.882, 0.341, 0.349}, {0.463, 0.718, 0.698}, {0.929, 0.788, 0.282},
                                  {0.690, 0.478, 0.631}, {1.000, 0.616, 0.655}, {0.612, 0.459, 0.373},
                                  {0.729, 0.690, 0.675}};
    const int n = static_cast<int>(sizeof(palette) / sizeof(palette[0]));
    return palette[((index % n) + n) % n];
}

// The step of "nice" ticks (1, 2, 2.5 or 5 × 10^k) that gives about `targetTicks` ticks over `range`.
double niceStep(double range, int targetTicks)
{
    if (!(range > 0.0) || !std::isfinite(range))
        return 1.0;
    const double raw = range / targetTicks;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (raw <= m * magnitude)
            return m * magnitude;
    return 10.0 * magnitude;
}

std::string formatTick(double value, double step)
{
    char text[32];
    // As many decimals as the step has (2.5 → one, 0.25 → two), so that every tick reads exactly.
    int decimals = 0;
    for (double scaled = step; decimals < 6 && std::abs(scaled - std::round(scaled)) > 1e-6 * scaled; scaled *= 10)
        ++decimals;
    std::snprintf(text, sizeof(text), "%.*f", decimals, std::abs(value) < step * 1e-6 ? 0.0 : value);
    return text;
}

std::string formatValue(double value)
{
    char text[32];
    std::snprintf(text, sizeof(text), std::abs(value) >= 100 ? "%.1f" : (std::abs(value) >= 1 ? "%.2f" : "%.3f"), value);
    return text;
}

struct Range { double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
               void add(double v) { if (std::isfinite(v)) { lo = std::min(lo, v); hi = std::max(hi, v); } }
               bool empty() const { return !(lo <= hi); } };

class Painter {
public:
    explicit Painter(cairo_t* cr) : m_cr(cr) {}

    void colour(const Rgb& c, double alpha = 1.0) { cairo_set_source_rgba(m_cr, c.r, c.g, c.b, alpha); }
    void grey(double level) { cairo_set_source_rgb(m_cr, level, level, level); }

    void line(double x0, double y0, double x1, double y1, double width)
    {
        cairo_set_line_width(m_cr, width);
        cairo_move_to(m_cr, x0, y0);
        cairo_line_to(m_cr, x1, y1);
        cairo_stroke(m_cr);
    }

    void rect(double x, double y, double w, double h)
    {
        cairo_rectangle(m_cr, x, y, w, h);
        cairo_fill(m_cr);
    }

    // Text anchored at (x, y): align 0 = left, 0.5 = centre, 1 = right; y is the baseline; angle in radians.
    void text(const std::string& s, double x, double y, double size, double align = 0.0, bool bold = false,
              double angle = 0.0)
    {
        cairo_select_font_face(m_cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_size(m_cr, size);
        cairo_text_extents_t extents;
        cairo_text_extents(m_cr, s.c_str(), &extents);
        cairo_save(m_cr);
        cairo_translate(m_cr, x, y);
        cairo_rotate(m_cr, angle);
        cairo_move_to(m_cr, -align * extents.x_advance, 0);
        cairo_show_text(m_cr, s.c_str());
        cairo_restore(m_cr);
    }

    double textWidth(const std::string& s, double size)
    {
        cairo_select_font_face(m_cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_size(m_cr, size);
        cairo_text_extents_t extents;
        cairo_text_extents(m_cr, s.c_str(), &extents);
        return extents.x_advance;
    }

    cairo_t* cr() const { return m_cr; }

private:
    cairo_t* m_cr;
};

void setDash(cairo_t* cr, int dash)
{
    static const double dashed[] = {7.0, 4.0}, dotted[] = {1.5, 3.0}, dashDot[] = {7.0, 3.0, 1.5, 3.0};
    switch (dash) {
    case 1: cairo_set_dash(cr, dashed, 2, 0); break;
    case 2: cairo_set_dash(cr, dotted, 2, 0); break;
    case 3: cairo_set_dash(cr, dashDot, 4, 0); break;
    default: cairo_set_dash(cr, nullptr, 0, 0); break;
    }
}

void drawPlot(const Plot& plot, cairo_t* cr)
{
    Painter p(cr);
    const double w = plot.width, h = plot.height;
    p.grey(1.0);
    p.rect(0, 0, w, h);

    const bool bars = plot.kind == Plot::Kind::Bars;
    double longestCategory = 0;
    for (const auto& c : plot.categories)
        longestCategory = std::max(longestCategory, p.textWidth(c, 11));
    // Lines keep their legend to the right of the plot area, where it can hide no data.
    double legendWidth = 0;
    if (!bars)
        for (const auto& s : plot.series)
            legendWidth = std::max(legendWidth, p.textWidth(s.name, 11) + 44);
    const double left = 78, right = w - 18 - legendWidth, top = plot.subtitle.empty() ? 44 : 60;
    const double bottom = h - (bars ? std::min(0.45 * h, 28 + 0.72 * longestCategory) : 50);

    // Value range: bars start at zero; error bars and lines get 5% head room.
    Range yr, xr;
    for (const auto& s : plot.series)
        for (size_t i = 0; i < s.y.size(); ++i) {
            const double e = i < s.error.size() && std::isfinite(s.error[i]) ? s.error[i] : 0.0;
            yr.add(s.y[i] - e);
            yr.add(s.y[i] + e);
            if (!bars && i < s.x.size() && std::isfinite(s.y[i]))
                xr.add(s.x[i]);
        }
    if (yr.empty()) { yr.lo = 0; yr.hi = 1; }
    if (bars) { yr.lo = std::min(0.0, yr.lo); yr.hi = std::max(0.0, yr.hi); }
    if (yr.hi - yr.lo < 1e-12) { yr.hi += 0.5; yr.lo -= bars && yr.lo == 0 ? 0 : 0.5; }
    const double pad = 0.06 * (yr.hi - yr.lo);
    double ylo = bars && yr.lo >= 0 ? 0.0 : yr.lo - pad, yhi = yr.hi + pad;
    if (std::isfinite(plot.yCeiling) && plot.yCeiling > ylo)
        yhi = std::min(yhi, plot.yCeiling);
    const double ystep = niceStep(yhi - ylo, 5);
    ylo = std::floor(ylo / ystep + 1e-9) * ystep;
    yhi = std::ceil(yhi / ystep - 1e-9) * ystep;
    auto ymap = [&](double v) { return bottom - (v - ylo) / (yhi - ylo) * (bottom - top); };

    // Title, subtitle.
    p.grey(0.1);
    p.text(plot.title, left, 24, 15, 0.0, true);
    if (!plot.subtitle.empty()) {
        p.grey(0.4);
        p.text(plot.subtitle, left, 42, 11);
    }

    // Horizontal grid and y ticks.
    for (double v = ylo; v <= yhi + ystep * 1e-6; v += ystep) {
        const double y = std::round(ymap(v)) + 0.5;
        p.grey(0.88);
        p.line(left, y, right, y, 1);
        p.grey(0.3);
        p.text(formatTick(v, ystep), left - 6, y + 4, 10.5, 1.0);
    }
    p.grey(0.2);
    p.text(plot.yLabel, 18, (top + bottom) / 2, 12, 0.5, false, -M_PI / 2);

    if (bars) {
        const auto& s = plot.series.front();
        const size_t n = s.y.size();
        const double slot = (right - left) / std::max<size_t>(1, n);
        const double barWidth = std::min(60.0, 0.62 * slot);
        for (size_t i = 0; i < n; ++i) {
            const double cx = left + slot * (i + 0.5);
            const int colourIndex = plot.categoryColours.empty() ? 0 : plot.categoryColours[i];
            if (std::isfinite(s.y[i])) {
                const double y0 = ymap(std::max(0.0, ylo)), y1 = ymap(s.y[i]);
                p.colour(paletteColour(colourIndex));
                p.rect(cx - barWidth / 2, std::min(y0, y1), barWidth, std::abs(y1 - y0));
                double labelY = std::min(y0, y1) - 4;
                if (i < s.error.size() && std::isfinite(s.error[i]) && s.error[i] > 0) {
                    const double ea = ymap(s.y[i] - s.error[i]), eb = ymap(s.y[i] + s.error[i]);
                    p.grey(0.15);
                    p.line(cx, ea, cx, eb, 1.3);
                    p.line(cx - barWidth / 5, ea, cx + barWidth / 5, ea, 1.3);
                    p.line(cx - barWidth / 5, eb, cx + barWidth / 5, eb, 1.3);
                    labelY = std::min(labelY, eb - 4);
                }
                p.grey(0.15);
                p.text(formatValue(s.y[i]), cx, labelY, 10, 0.5);
            }
            p.grey(0.2);
            // Category labels slant down to the left, ending under their bar.
            p.text(plot.categories[i], cx + 4, bottom + 14, 11, 1.0, false, -M_PI / 6);
        }
    } else {
        if (xr.empty()) { xr.lo = 0; xr.hi = 1; }
        if (xr.hi - xr.lo < 1e-12) xr.hi = xr.lo + 1;
        const double xstep = niceStep(xr.hi - xr.lo, 6);
        const double xlo = std::floor(xr.lo / xstep + 1e-9) * xstep, xhi = std::ceil(xr.hi / xstep - 1e-9) * xstep;
        auto xmap = [&](double v) { return left + (v - xlo) / (xhi - xlo) * (right - left); };
        for (double v = xlo; v <= xhi + xstep * 1e-6; v += xstep) {
            const double x = std::round(xmap(v)) + 0.5;
            p.grey(0.93);
            p.line(x, top, x, bottom, 1);
            p.grey(0.3);
            p.text(formatTick(v, xstep), x, bottom + 16, 10.5, 0.5);
        }
        // Last series first, so that the first (the legend's top, e.g. the baseline) is drawn over the rest.
        for (size_t k = plot.series.size(); k-- > 0;) {
            const auto& s = plot.series[k];
            p.colour(paletteColour(s.colour >= 0 ? s.colour : static_cast<int>(k)));
            cairo_set_line_width(cr, 2.0);
            setDash(cr, s.dash);
            bool drawing = false;
            for (size_t i = 0; i < s.y.size(); ++i) {
                if (!std::isfinite(s.y[i]) || !std::isfinite(s.x[i])) { drawing = false; continue; }
                if (drawing) cairo_line_to(cr, xmap(s.x[i]), ymap(s.y[i]));
                else cairo_move_to(cr, xmap(s.x[i]), ymap(s.y[i]));
                drawing = true;
            }
            cairo_stroke(cr);
            setDash(cr, 0);
            for (size_t i = 0; i < s.y.size(); ++i)
                if (std::isfinite(s.y[i]) && std::isfinite(s.x[i]) && s.y.size() <= 40) {
                    cairo_arc(cr, xmap(s.x[i]), ymap(s.y[i]), 2.6, 0, 2 * M_PI);
                    cairo_fill(cr);
                }
        }
        // Legend, right of the plot area.
        const double lx = right + 16, ly = top + 4;
        for (size_t k = 0; k < plot.series.size(); ++k) {
            const auto& s = plot.series[k];
            p.colour(paletteColour(s.colour >= 0 ? s.colour : static_cast<int>(k)));
            setDash(cr, s.dash);
            p.line(lx, ly + 8 + 18.0 * k, lx + 24, ly + 8 + 18.0 * k, 2.5);
            setDash(cr, 0);
            p.grey(0.15);
            p.text(s.name, lx + 30, ly + 12 + 18.0 * k, 11);
        }
        p.grey(0.2);
        p.text(plot.xLabel, (left + right) / 2, h - 12, 12, 0.5);
    }
    // Axes.
    p.grey(0.25);
    p.line(left + 0.5, top, left + 0.5, bottom, 1.2);
    p.line(left, std::round(bottom) + 0.5, right, std::round(bottom) + 0.5, 1.2);
}

// Draws onto a surface that `make` creates for a temporary path, then renames it over `path`.
void drawToFile(const Plot& plot, const std::string& path,
                const std::function<cairo_surface_t*(const std::string&)>& make,
                const std::function<cairo_status_t(cairo_surface_t*, const std::string&)>& finish)
{
    const std::string temporary = path + ".tmp";
    cairo_surface_t* surface = make(temporary);
    cairo_t* cr = cairo_create(surface);
    drawPlot(plot, cr);
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    if (status == CAIRO_STATUS_SUCCESS)
        status = finish(surface, temporary);
    cairo_surface_destroy(surface);
    std::error_code ec;
    if (status == CAIRO_STATUS_SUCCESS)
        fs::rename(temporary, path, ec);
    if (status != CAIRO_STATUS_SUCCESS || ec) {
        fs::remove(temporary, ec);
        throw Error::runtime(path + ": cannot write the plot (" +
                             (status != CAIRO_STATUS_SUCCESS ? std::string(cairo_status_to_string(status)) : ec.message()) + ")");
    }
}

} // namespace

bool canWritePlots() { return true; }

void writePlot(const Plot& plot, const std::string& pathStem)
{
    checkPlot(plot);
    constexpr double pngScale = 2.0;  // sharp on high-density screens and in the README
    drawToFile(plot, pathStem + ".png",
               [&](const std::string&) {
                   cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(plot.width * pngScale),
                                                                   static_cast<int>(plot.height * pngScale));
                   cairo_surface_set_device_scale(s, pngScale, pngScale);
                   return s;
               },
               [](cairo_surface_t* s, const std::string& temporary) {
                   cairo_surface_flush(s);
                   return cairo_surface_write_to_png(s, temporary.c_str());
               });
    drawToFile(plot, pathStem + ".svg",
               [&](const std::string& temporary) {
                   return cairo_svg_surface_create(temporary.c_str(), plot.width, plot.height);
               },
               [](cairo_surface_t* s, const std::string&) {
                   cairo_surface_finish(s);
                   return cairo_surface_status(s);
               });
}

#else

bool canWritePlots() { return false; }

void writePlot(const Plot& plot, const std::string& pathStem)
{
    checkPlot(plot);
    throw Error::runtime(pathStem + ".png: this build has no cairo, so it cannot draw plots (install libcairo2-dev and rebuild)");
}

#endif

} // namespace emo::report
