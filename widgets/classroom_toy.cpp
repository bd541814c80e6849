#include "classroom_toy.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace emo::widgets {

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kRatioEps = 1e-12;   // as the trainer's sg(CE/DEMD): keeps the ratio finite when DEMD → 0
constexpr double kLogFloor = 1e-300;  // log of a probability that underflowed

// Gradient through softmax of a loss linear in q with per-point value a [n]: ∂(Σ q_i a_i)/∂z_j = q_j (a_j − q·a).
std::vector<double> throughSoftmax(const std::vector<double>& q, const std::vector<double>& a)
{
    double mean = 0.0;
    for (size_t i = 0; i < q.size(); ++i)
        mean += q[i] * a[i];
    std::vector<double> g(q.size());
    for (size_t i = 0; i < q.size(); ++i)
        g[i] = q[i] * (a[i] - mean);
    return g;
}
} // namespace

std::vector<ClassroomToy::Mode> ClassroomToy::evenModes(int count, double separation, double width)
{
    count = std::clamp(count, 1, 5);
    std::vector<Mode> modes;
    for (int m = 0; m < count; ++m) {
        const double offset = (m - 0.5 * (count - 1)) * separation;
        modes.push_back({std::clamp(0.5 + offset, 0.0, 1.0), width, 1.0});
    }
    return modes;
}

ClassroomToy::ClassroomToy(int points, std::vector<Mode> modes, int capacity)
    : m_modes(std::move(modes))
    , m_capacity(std::max(1, capacity))
{
    setPoints(points);
}

void ClassroomToy::setPoints(int points)
{
    points = std::max(2, points);
    m_x.resize(size_t(points));
    for (int i = 0; i < points; ++i)
        m_x[size_t(i)] = double(i) / double(points - 1);
    rebuildTarget();
    rebuildBasis();
    reset();
}

void ClassroomToy::setModes(std::vector<Mode> modes)
{
    if (modes.empty() || modes.size() > 5)
        throw std::invalid_argument("ClassroomToy: between 1 and 5 modes");
    m_modes = std::move(modes);
    rebuildTarget();
    reset();
}

void ClassroomToy::setCapacity(int capacity)
{
    m_capacity = std::max(1, capacity);
    rebuildBasis();
    reset();
}

void ClassroomToy::setReach(double reach)
{
    m_reach = std::clamp(reach, 1e-3, 1.0);
    reset();
}

void ClassroomToy::reset()
{
    m_w.assign(size_t(m_capacity), 0.0);
    m_steps = 0;
}

double ClassroomToy::spacing() const { return 1.0 / double(points() - 1); }

double ClassroomToy::cost(int i, int j) const { return std::min(std::abs(m_x[size_t(i)] - m_x[size_t(j)]), m_reach); }

void ClassroomToy::rebuildTarget()
{
    m_p.assign(m_x.size(), 0.0);
    double total = 0.0;
    for (size_t i = 0; i < m_x.size(); ++i) {
        for (const Mode& mode : m_modes) {
            const double u = (m_x[i] - mode.center) / std::max(mode.width, 1e-6);
            m_p[i] += std::max(mode.weight, 0.0) * std::exp(-0.5 * u * u) / std::max(mode.width, 1e-6);
        }
        total += m_p[i];
    }
    for (double& v : m_p)
        v = total > 0.0 ? v / total : 1.0 / double(m_p.size());
}

// Φ[i,k] = P_{k+1}(2x_i − 1), Legendre polynomials of degree 1..K: the logits are a polynomial of degree K,
// so K = 2 draws exactly one bell curve (a Gaussian), and a small K cannot put a peak on every mode. The
// constant P_0 is left out: softmax ignores it. Legendre rather than powers keeps the steps well conditioned.
void ClassroomToy::rebuildBasis()
{
    m_phi.assign(m_x.size() * size_t(m_capacity), 0.0);
    for (size_t i = 0; i < m_x.size(); ++i) {
        const double t = 2.0 * m_x[i] - 1.0;
        double previous = 1.0, current = t;  // P_0, P_1
        for (int k = 0; k < m_capacity; ++k) {
            m_phi[i * size_t(m_capacity) + size_t(k)] = current;
            const double degree = double(k + 1);  // Bonnet: (d+1) P_{d+1} = (2d+1) t P_d − d P_{d−1}
            const double next = ((2.0 * degree + 1.0) * t * current - degree * previous) / (degree + 1.0);
            previous = current;
            current = next;
        }
    }
}

void ClassroomToy::setParameters(const std::vector<double>& w)
{
    if (w.size() != size_t(m_capacity))
        throw std::invalid_argument("ClassroomToy: parameter count differs from the capacity");
    m_w = w;
}

std::vector<double> ClassroomToy::logits() const
{
    std::vector<double> z(m_x.size(), 0.0);
    for (size_t i = 0; i < m_x.size(); ++i)
        for (int k = 0; k < m_capacity; ++k)
            z[i] += m_phi[i * size_t(m_capacity) + size_t(k)] * m_w[size_t(k)];
    return z;
}

std::vector<double> ClassroomToy::softmax(const std::vector<double>& z)
{
    const double top = *std::max_element(z.begin(), z.end());
    std::vector<double> q(z.size());
    double total = 0.0;
    for (size_t i = 0; i < z.size(); ++i)
        total += q[i] = std::exp(z[i] - top);
    for (double& v : q)
        v /= total;
    return q;
}

std::vector<double> ClassroomToy::model() const { return softmax(logits()); }

std::vector<double> ClassroomToy::costToData() const
{
    std::vector<double> c(m_x.size(), 0.0);
    for (size_t i = 0; i < m_x.size(); ++i)
        for (size_t y = 0; y < m_x.size(); ++y)
            c[i] += m_p[y] * cost(int(i), int(y));
    return c;
}

double ClassroomToy::lossFrozen(Objective objective, const std::vector<double>& z,
                                const std::vector<double>& zFrozen) const
{
    const std::vector<double> q = softmax(z);
    const size_t n = q.size();
    switch (objective) {
    case Objective::Mle: {
        double ce = 0.0;
        for (size_t i = 0; i < n; ++i)
            ce -= m_p[i] * std::log(std::max(q[i], kLogFloor));
        return ce;
    }
    case Objective::Emo: {
        // Per data token y, as the trainer's paper mode: ½(CE_y + r_y·DEMD_y), r_y = sg(CE_y/DEMD_y).
        const std::vector<double> qf = softmax(zFrozen);
        double total = 0.0;
        for (size_t y = 0; y < n; ++y) {
            double demd = 0.0, demdFrozen = 0.0;
            for (size_t i = 0; i < n; ++i) {
                demd += q[i] * cost(int(i), int(y));
                demdFrozen += qf[i] * cost(int(i), int(y));
            }
            const double ratio = -std::log(std::max(qf[y], kLogFloor)) / (demdFrozen + kRatioEps);
            total += m_p[y] * 0.5 * (-std::log(std::max(q[y], kLogFloor)) + ratio * demd);
        }
        return total;
    }
    case Objective::Demd: {
        const std::vector<double> c = costToData();
        double total = 0.0;
        for (size_t i = 0; i < n; ++i)
            total += q[i] * c[i];
        return total;
    }
    case Objective::ExactEmd:
        return exactW1(q, m_p, spacing());
    }
    return 0.0;
}

double ClassroomToy::loss(Objective objective, const std::vector<double>& z) const
{
    return lossFrozen(objective, z, z);
}

double ClassroomToy::loss(Objective objective) const { return loss(objective, logits()); }

std::vector<double> ClassroomToy::logitGradient(Objective objective, const std::vector<double>& z) const
{
    const std::vector<double> q = softmax(z);
    const size_t n = q.size();
    switch (objective) {
    case Objective::Mle: {  // q − p
        std::vector<double> g(n);
        for (size_t i = 0; i < n; ++i)
            g[i] = q[i] - m_p[i];
        return g;
    }
    case Objective::Emo: {  // ½(q − p) + ½ q∘(u − q·u), u_j = Σ_y p_y r_y C(j,y)
        std::vector<double> u(n, 0.0);
        for (size_t y = 0; y < n; ++y) {
            double demd = 0.0;
            for (size_t i = 0; i < n; ++i)
                demd += q[i] * cost(int(i), int(y));
            const double ratio = -std::log(std::max(q[y], kLogFloor)) / (demd + kRatioEps);
            for (size_t j = 0; j < n; ++j)
                u[j] += m_p[y] * ratio * cost(int(j), int(y));
        }
        std::vector<double> g = throughSoftmax(q, u);
        for (size_t i = 0; i < n; ++i)
            g[i] = 0.5 * (q[i] - m_p[i]) + 0.5 * g[i];
        return g;
    }
    case Objective::Demd:  // q∘(c − q·c)
        return throughSoftmax(q, costToData());
    case Objective::ExactEmd: {
        // ∂W1/∂q_j = Δx Σ_{i ≥ j, i < n−1} sign(F_q(i) − F_p(i)); the last CDF difference is always 0.
        std::vector<double> sign(n, 0.0);
        double fq = 0.0, fp = 0.0;
        for (size_t i = 0; i + 1 < n; ++i) {
            fq += q[i];
            fp += m_p[i];
            const double d = fq - fp;
            sign[i] = d > 0.0 ? 1.0 : (d < 0.0 ? -1.0 : 0.0);
        }
        std::vector<double> a(n, 0.0);
        double suffix = 0.0;
        for (size_t j = n; j-- > 0;) {
            suffix += sign[j];
            a[j] = suffix * spacing();
        }
        return throughSoftmax(q, a);
    }
    }
    return std::vector<double>(n, 0.0);
}

std::vector<double> ClassroomToy::parameterGradient(Objective objective) const
{
    const std::vector<double> g = logitGradient(objective, logits());
    std::vector<double> gw(size_t(m_capacity), 0.0);
    for (size_t i = 0; i < g.size(); ++i)
        for (int k = 0; k < m_capacity; ++k)
            gw[size_t(k)] += m_phi[i * size_t(m_capacity) + size_t(k)] * g[i];
    return gw;
}

void ClassroomToy::step(Objective objective, double stepSize)
{
    const std::vector<double> gw = parameterGradient(objective);
    for (size_t k = 0; k < gw.size(); ++k)
        m_w[k] -= stepSize * gw[k];
    ++m_steps;
}

double ClassroomToy::forwardKl() const
{
    const std::vector<double> q = model();
    double kl = 0.0;
    for (size_t i = 0; i < q.size(); ++i)
        if (m_p[i] > 0.0)
            kl += m_p[i] * (std::log(m_p[i]) - std::log(std::max(q[i], kLogFloor)));
    return kl;
}

double ClassroomToy::reverseKl() const
{
    const std::vector<double> q = model();
    double kl = 0.0;
    for (size_t i = 0; i < q.size(); ++i)
        if (q[i] > 0.0)
            kl += q[i] * (std::log(q[i]) - std::log(std::max(m_p[i], kLogFloor)));
    return kl;
}

double ClassroomToy::w1() const { return exactW1(model(), m_p, spacing()); }

std::vector<bool> ClassroomToy::gapMask() const
{
    const double top = *std::max_element(m_p.begin(), m_p.end());
    std::vector<bool> mask(m_p.size());
    for (size_t i = 0; i < m_p.size(); ++i)
        mask[i] = m_p[i] < gapFraction * top;
    return mask;
}

double ClassroomToy::gapMass() const
{
    const std::vector<double> q = model();
    const std::vector<bool> mask = gapMask();
    double mass = 0.0;
    for (size_t i = 0; i < q.size(); ++i)
        if (mask[i])
            mass += q[i];
    return mass;
}

namespace {
std::vector<double> windowMass(const std::vector<double>& dist, const std::vector<double>& x,
                               const std::vector<ClassroomToy::Mode>& modes)
{
    std::vector<double> mass(modes.size(), 0.0);
    for (size_t m = 0; m < modes.size(); ++m)
        for (size_t i = 0; i < x.size(); ++i)
            if (std::abs(x[i] - modes[m].center) <= 2.0 * modes[m].width)
                mass[m] += dist[i];
    return mass;
}
} // namespace

std::vector<double> ClassroomToy::modeMass() const { return windowMass(model(), m_x, m_modes); }

std::vector<double> ClassroomToy::targetModeMass() const { return windowMass(m_p, m_x, m_modes); }

double ClassroomToy::modeCoverage() const
{
    const std::vector<double> q = modeMass();
    const std::vector<double> p = targetModeMass();
    int covered = 0;
    for (size_t m = 0; m < q.size(); ++m)
        covered += q[m] >= coverShare * p[m] ? 1 : 0;
    return q.empty() ? 0.0 : double(covered) / double(q.size());
}

double ClassroomToy::exactW1(const std::vector<double>& a, const std::vector<double>& b, double dx)
{
    if (a.size() != b.size())
        throw std::invalid_argument("exactW1: distributions of different sizes");
    double fa = 0.0, fb = 0.0, total = 0.0;
    for (size_t i = 0; i + 1 < a.size(); ++i) {
        fa += a[i];
        fb += b[i];
        total += std::abs(fa - fb);
    }
    return total * dx;
}

} // namespace emo::widgets
