#pragma once
#include <cstddef>
#include <vector>

namespace emo::widgets {

// The classroom toy of view 6 ("recall vs precision"): a 1-D "vocabulary" of n points on [0,1] with ground
// metric C(i,j) = |x_i − x_j|, a multi-modal target p and a capacity-limited model q = softmax(Φ·w).
// Pure C++ (no Qt, no torch) so the maths is testable alone. Every loss is an expectation over data
// tokens y ~ p, exactly what a training step on infinitely many samples of p would see.
class ClassroomToy {
public:
    enum class Objective {
        Mle,       // cross-entropy −Σ_y p_y log q_y = KL(p‖q) + H(p): covers every mode (recall)
        Emo,       // the paper's EMO: E_y ½(CE_y + sg(CE_y/DEMD_y)·DEMD_y), DEMD_y = Σ_i q_i C(i,y)
        Demd,      // DEMD alone: E_y Σ_i q_i C(i,y) = Σ_i q_i c_i (pulls all mass to p's median)
        ExactEmd,  // exact 1-D earth mover distance W1(q,p) = Σ_i |F_q(i) − F_p(i)|·Δx
    };

    struct Mode {
        double center = 0.5;  // on [0,1]
        double width = 0.05;  // standard deviation on [0,1]
        double weight = 1.0;  // relative; p is normalised over the support
    };

    // `count` modes (1..5) evenly spread around 0.5, `separation` apart (centres clamped to [0,1]),
    // equal weights, all with standard deviation `width`.
    static std::vector<Mode> evenModes(int count, double separation, double width);

    explicit ClassroomToy(int points = 60, std::vector<Mode> modes = evenModes(3, 0.25, 0.04), int capacity = 2);

    // Each setter rebuilds what depends on it and resets the parameters (same start for every objective).
    void setPoints(int points);               // n ≥ 2
    void setModes(std::vector<Mode> modes);   // 1..5 modes
    void setCapacity(int capacity);           // K ≥ 1 basis functions
    void setReach(double reach);              // τ of the ground metric min(|x_i − x_j|, τ); 1 = plain |x_i − x_j|
    void reset();                             // w = 0, i.e. q uniform

    int points() const { return int(m_x.size()); }
    int capacity() const { return m_capacity; }
    const std::vector<Mode>& modes() const { return m_modes; }
    const std::vector<double>& support() const { return m_x; }   // [n] x_i = i/(n−1)
    double spacing() const;                                       // Δx = 1/(n−1)
    double reach() const { return m_reach; }
    double cost(int i, int j) const;                              // C(i,j) = min(|x_i − x_j|, τ)
    const std::vector<double>& target() const { return m_p; }     // [n] p, sums to 1
    double basis(int i, int k) const { return m_phi[std::size_t(i) * std::size_t(m_capacity) + std::size_t(k)]; }  // Φ[i,k]

    const std::vector<double>& parameters() const { return m_w; }  // [K] w
    void setParameters(const std::vector<double>& w);              // [K]; for tests
    std::vector<double> logits() const;                            // [n] z = Φ·w
    std::vector<double> model() const;                             // [n] q = softmax(z)
    int steps() const { return m_steps; }

    // Loss at logits z [n] (any z, not only Φ·w) with every stop-gradient factor taken at zFrozen [n]
    // (only EMO has one, sg(CE_y/DEMD_y)); loss(o, z) = lossFrozen(o, z, z).
    double lossFrozen(Objective objective, const std::vector<double>& z, const std::vector<double>& zFrozen) const;
    double loss(Objective objective, const std::vector<double>& z) const;
    double loss(Objective objective) const;                                       // at the current w
    std::vector<double> logitGradient(Objective objective, const std::vector<double>& z) const;  // [n] ∂loss/∂z
    std::vector<double> parameterGradient(Objective objective) const;            // [K] Φᵀ·∂loss/∂z at current w
    void step(Objective objective, double stepSize);                              // w ← w − η·∂loss/∂w

    // Metrics of the current q against p.
    double forwardKl() const;       // KL(p‖q) = Σ p log(p/q): large when q misses data (recall)
    double reverseKl() const;       // KL(q‖p) = Σ q log(q/p): large when q puts mass where p has none (precision)
    double w1() const;              // exact W1(q,p) on the support with C = |x_i − x_j|
    double gapMass() const;         // Σ q_i over the gaps: points with p_i < gapFraction·max p
    std::vector<bool> gapMask() const;  // [n] true where p_i < gapFraction·max p
    std::vector<double> modeMass() const;  // [M] q's mass within ±2σ of each mode's centre
    std::vector<double> targetModeMass() const;  // [M] p's mass within the same windows
    double modeCoverage() const;    // fraction of modes whose q-mass ≥ coverShare × p's mass in that window

    static constexpr double gapFraction = 0.1;
    static constexpr double coverShare = 0.25;

    // Exact W1 between two distributions a, b [n] on an evenly spaced line with spacing dx: Σ|A_i − B_i|·dx
    // over the CDFs A, B (the 1-D closed form of the transport problem).
    static double exactW1(const std::vector<double>& a, const std::vector<double>& b, double dx);
    static std::vector<double> softmax(const std::vector<double>& z);  // [n] → [n], max-shifted

private:
    std::vector<double> m_x, m_p, m_phi, m_w;
    std::vector<Mode> m_modes;
    int m_capacity = 3;
    double m_reach = 1.0;
    int m_steps = 0;
    void rebuildTarget();
    void rebuildBasis();
    std::vector<double> costToData() const;  // [n] c_i = Σ_y p_y C(i,y)
};

} // namespace emo::widgets
