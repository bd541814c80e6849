#include "eval/divergence_curve.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace emo::eval {
namespace {

// Trapezoid area of `value` over `key`, points taken in ascending key order (ties: descending value).
double sortedTrapezoid(const std::vector<double>& key, const std::vector<double>& value)
{
    std::vector<size_t> order(key.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        if (key[a] != key[b])
            return key[a] < key[b];
        return value[a] > value[b];
    });
    double area = 0.0;
    for (size_t i = 1; i < order.size(); ++i)
        area += (key[order[i]] - key[order[i - 1]]) * (value[order[i]] + value[order[i - 1]]) / 2.0;
    return area;
}

} // namespace

double klMultinomial(const std::vector<double>& p, const std::vector<double>& q)
{
    if (p.size() != q.size())
        throw Error::badInput("mauve: histograms of different sizes (" + std::to_string(p.size()) + " and " +
                              std::to_string(q.size()) + ")");
    double kl = 0.0;
    for (size_t i = 0; i < p.size(); ++i) {
        if (p[i] != 0.0 && q[i] == 0.0)
            return std::numeric_limits<double>::infinity();
        if (p[i] != 0.0)
            kl += p[i] * std::log(p[i] / q[i]);
    }
    return kl;
}

DivergenceCurve divergenceCurve(const std::vector<double>& p, const std::vector<double>& q, int64_t points,
                                double scalingFactor)
{
    if (points < 2)
        throw Error::badInput("mauve: the divergence curve needs at least 2 mixture weights, got " +
                              std::to_string(points));
    if (p.size() != q.size() || p.empty())
        throw Error::badInput("mauve: histograms must be non-empty and of equal size");
    DivergenceCurve curve;
    curve.x.push_back(1.0);  // exp(−c·0)
    curve.y.push_back(0.0);  // exp(−c·∞)
    const double first = 1e-6, last = 1.0 - 1e-6;
    std::vector<double> mixture(p.size());
    for (int64_t i = 0; i < points; ++i) {
        // numpy.linspace: start + i·step, the last point exactly `last`.
        const double weight = i == points - 1 ? last : first + static_cast<double>(i) * ((last - first) / (points - 1));
        for (size_t j = 0; j < p.size(); ++j)
            mixture[j] = weight * p[j] + (1.0 - weight) * q[j];
        curve.x.push_back(std::exp(-scalingFactor * klMultinomial(q, mixture)));
        curve.y.push_back(std::exp(-scalingFactor * klMultinomial(p, mixture)));
    }
    curve.x.push_back(0.0);
    curve.y.push_back(1.0);
    return curve;
}

double mauveArea(const DivergenceCurve& curve)
{
    // An area inside the unit square: when p = q every point is (1, 1) and rounding can pass 1 by an ulp.
    const double area = 0.5 * (sortedTrapezoid(curve.x, curve.y) + sortedTrapezoid(curve.y, curve.x));
    return std::clamp(area, 0.0, 1.0);
}

} // namespace emo::eval
