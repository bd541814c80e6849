#pragma once
#include "inspect/inspect_types.h"

#include <QColor>
#include <QRectF>
#include <QString>
#include <QWidget>

#include <vector>

namespace emo::widgets {

// The inspected text as a wrapped strip of token chips, one per predicted token (position t predicts
// token t+1, so the first input token has no chip), coloured by CE, DEMD or CE − DEMD. A legend with
// the colour scale and its numeric range sits on the first line. Hover shows a rich-text tooltip (gold
// token, CE, DEMD, p(gold), top-k candidates with p and cost); click or arrow keys select a chip.
class TokenStrip : public QWidget {
    Q_OBJECT
public:
    // CE and DEMD use a sequential map over [min, max] of the report; CE − DEMD ("difference": positive
    // where the exact token was missed but the model's mass sat on tokens close to it, negative where
    // the mass sat on semantically distant tokens relative to how likely the gold was) uses a diverging
    // map over the symmetric range [−m, m], m = max |CE − DEMD|, so white means 0.
    enum class Measure { Ce, Demd, Difference };
    Q_ENUM(Measure)

    explicit TokenStrip(QWidget* parent = nullptr);

    void setReport(const emo::inspect::InspectReport& report);
    void clear();
    void setMeasure(Measure measure);
    Measure measure() const { return m_measure; }

    int chipCount() const { return int(m_tokens.size()); }
    const emo::inspect::TokenReport& token(int index) const { return m_tokens.at(size_t(index)); }
    int selectedIndex() const { return m_selected; }
    void setSelectedIndex(int index);  // −1 clears; does not emit

    // For tests and tools: the geometry and colours as painted.
    QRect chipRect(int index) const;
    QString chipText(int index) const;
    double measureValue(int index) const;
    QColor chipColor(int index) const;
    double scaleMin() const { return m_scaleMin; }
    double scaleMax() const { return m_scaleMax; }
    QString legendMinText() const;
    QString legendMaxText() const;
    QString measureTitle() const;
    QString tooltipText(int index) const;
    int indexAt(const QPoint& pos) const;

    // fraction 0 = bottom of the scale, 1 = top.
    static QColor scaleColor(Measure measure, double fraction);
    // The value → colour map in use (clamped to the scale).
    QColor colorFor(double value) const;
    static QString formatValue(double value);     // CE, DEMD: fixed, 3 decimals
    static QString formatProbability(double p);   // fixed for p ≥ 0.001, else scientific
    // A token's text with every whitespace character visible (␣ space, ↵ newline, ⇥ tab), for labels
    // and tooltips; byte-level (Ġ, Ċ) and sentencepiece (▁) markers read as the whitespace they stand for.
    static QString visibleToken(const std::string& text);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;

Q_SIGNALS:
    void tokenSelected(int index);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void changeEvent(QEvent* event) override;
    bool event(QEvent* event) override;

private:
    struct Chip {
        QString text;        // what the chip shows (whitespace made visible)
        bool leadingSpace = false;
        bool lineBreak = false;  // the token ends a line
    };
    struct Metrics;
    Metrics metrics() const;
    // Lays the chips out for `width`; returns the total height.
    int layoutChips(int width, std::vector<QRectF>* rects) const;
    void relayout();
    void updateScale();
    QRectF legendBarRect() const;

    std::vector<emo::inspect::TokenReport> m_tokens;
    std::vector<Chip> m_chips;
    std::vector<QRectF> m_rects;
    Measure m_measure = Measure::Ce;
    double m_scaleMin = 0.0;
    double m_scaleMax = 1.0;
    int m_selected = -1;
    int m_hovered = -1;
};

} // namespace emo::widgets
