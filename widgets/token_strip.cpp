#include "token_strip.h"

#include <QEvent>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QLinearGradient>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace emo::widgets {

namespace {

// Decoded text with the tokenizers' whitespace markers turned back into whitespace.
QString decodedText(const std::string& text)
{
    QString s = QString::fromUtf8(text.data(), qsizetype(text.size()));
    s.replace(QChar(0x2581), QLatin1Char(' '));  // sentencepiece ▁
    s.replace(QChar(0x0120), QLatin1Char(' '));  // byte-level BPE Ġ
    s.replace(QChar(0x010A), QLatin1Char('\n')); // byte-level BPE Ċ
    s.replace(QStringLiteral("<0x0A>"), QStringLiteral("\n"));
    s.replace(QStringLiteral("<0x09>"), QStringLiteral("\t"));
    return s;
}

struct Stop {
    double at;
    QColor color;
};

QColor interpolate(const std::vector<Stop>& stops, double f)
{
    f = std::clamp(f, 0.0, 1.0);
    for (size_t i = 1; i < stops.size(); ++i) {
        if (f <= stops[i].at) {
            const double t = (f - stops[i - 1].at) / (stops[i].at - stops[i - 1].at);
            const QColor& a = stops[i - 1].color;
            const QColor& b = stops[i].color;
            return QColor::fromRgbF(float(a.redF() + t * (b.redF() - a.redF())),
                                    float(a.greenF() + t * (b.greenF() - a.greenF())),
                                    float(a.blueF() + t * (b.blueF() - a.blueF())));
        }
    }
    return stops.back().color;
}

// Sequential (YlOrRd-like): light = well predicted, dark red = surprising.
const std::vector<Stop>& sequentialStops()
{
    static const std::vector<Stop> stops = {{0.0, QColor(0xff, 0xf7, 0xd6)}, {0.25, QColor(0xfe, 0xd9, 0x76)},
                                            {0.5, QColor(0xfd, 0x8d, 0x3c)}, {0.75, QColor(0xe3, 0x1a, 0x1c)},
                                            {1.0, QColor(0x80, 0x00, 0x26)}};
    return stops;
}

// Diverging (RdBu reversed): blue below 0, white at 0, red above.
const std::vector<Stop>& divergingStops()
{
    static const std::vector<Stop> stops = {{0.0, QColor(0x21, 0x66, 0xac)}, {0.25, QColor(0x92, 0xc5, 0xde)},
                                            {0.5, QColor(0xf7, 0xf7, 0xf7)}, {0.75, QColor(0xf4, 0xa5, 0x82)},
                                            {1.0, QColor(0xb2, 0x18, 0x2b)}};
    return stops;
}

QColor textColorOn(const QColor& background)
{
    const double luminance = 0.299 * background.red() + 0.587 * background.green() + 0.114 * background.blue();
    return luminance < 140.0 ? QColor(Qt::white) : QColor(0x1a, 0x1a, 0x1a);
}

} // namespace

// Every size derives from the font, so the strip scales with DPI and the user's font.
struct TokenStrip::Metrics {
    QFontMetricsF fm;
    qreal padX, padY, chipH, rowGap, margin, spaceGap, tightGap, legendH, barW, barH;
    explicit Metrics(const QFont& font) : fm(font)
    {
        padX = std::max<qreal>(2.0, fm.averageCharWidth() * 0.45);
        padY = std::max<qreal>(1.0, fm.height() * 0.12);
        chipH = fm.height() + 2 * padY;
        rowGap = std::max<qreal>(2.0, fm.height() * 0.3);
        margin = std::max<qreal>(3.0, fm.height() * 0.35);
        spaceGap = std::max<qreal>(3.0, fm.horizontalAdvance(QLatin1Char(' ')) * 1.2);
        tightGap = std::max<qreal>(1.0, fm.horizontalAdvance(QLatin1Char(' ')) * 0.2);
        legendH = fm.height() * 1.2;
        barW = fm.averageCharWidth() * 14;
        barH = fm.height() * 0.65;
    }
};

TokenStrip::TokenStrip(QWidget* parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("tokenStrip"));
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    policy.setHeightForWidth(true);  // QScrollArea and layouts ask heightForWidth only when this is set
    setSizePolicy(policy);
    setAttribute(Qt::WA_Hover);
}

TokenStrip::Metrics TokenStrip::metrics() const
{
    return Metrics(font());
}

QString TokenStrip::visibleToken(const std::string& text)
{
    QString s = decodedText(text);
    if (s.isEmpty())
        return QStringLiteral("\u2205");
    s.replace(QLatin1Char(' '), QChar(0x2423));   // ␣
    s.replace(QLatin1Char('\n'), QChar(0x21b5));  // ↵
    s.replace(QLatin1Char('\t'), QChar(0x21e5));  // ⇥
    s.replace(QLatin1Char('\r'), QString());
    return s;
}

QString TokenStrip::formatValue(double value)
{
    return QString::number(value, 'f', 3);
}

QString TokenStrip::formatProbability(double p)
{
    return (p >= 0.001 || p == 0.0) ? QString::number(p, 'f', 4) : QString::number(p, 'e', 2);
}

void TokenStrip::setReport(const emo::inspect::InspectReport& report)
{
    m_tokens = report.tokens;
    m_chips.clear();
    m_chips.reserve(m_tokens.size());
    for (const auto& token : m_tokens) {
        QString s = decodedText(token.text);
        s.remove(QLatin1Char('\r'));
        Chip chip;
        chip.lineBreak = s.endsWith(QLatin1Char('\n'));
        const bool allSpace = !s.isEmpty() && s.trimmed().isEmpty();
        // A word's leading space becomes the gap before its chip; a token that is only whitespace keeps
        // visible marks so it still has something to hover and click.
        if (!allSpace && s.startsWith(QLatin1Char(' '))) {
            chip.leadingSpace = true;
            s.remove(0, 1);
        }
        s.replace(QLatin1Char('\n'), QChar(0x21b5));
        s.replace(QLatin1Char('\t'), QChar(0x21e5));
        if (allSpace)
            s.replace(QLatin1Char(' '), QChar(0x2423));
        if (s.isEmpty())
            s = QStringLiteral("\u2205");
        chip.text = s;
        m_chips.push_back(chip);
    }
    m_selected = -1;
    m_hovered = -1;
    updateScale();
    relayout();
    updateGeometry();
    update();
}

void TokenStrip::clear()
{
    setReport({});
}

void TokenStrip::setMeasure(Measure measure)
{
    if (measure == m_measure)
        return;
    m_measure = measure;
    updateScale();
    update();
}

void TokenStrip::setSelectedIndex(int index)
{
    if (index < -1 || index >= chipCount())
        index = -1;
    m_selected = index;
    update();
}

double TokenStrip::measureValue(int index) const
{
    const auto& t = m_tokens.at(size_t(index));
    switch (m_measure) {
    case Measure::Ce: return t.ce;
    case Measure::Demd: return t.demd;
    case Measure::Difference: return t.ce - t.demd;
    }
    return 0.0;
}

void TokenStrip::updateScale()
{
    if (m_tokens.empty()) {
        m_scaleMin = 0.0;
        m_scaleMax = m_measure == Measure::Difference ? 0.0 : 1.0;
        return;
    }
    double lo = measureValue(0), hi = lo;
    for (int i = 1; i < chipCount(); ++i) {
        lo = std::min(lo, measureValue(i));
        hi = std::max(hi, measureValue(i));
    }
    if (m_measure == Measure::Difference) {
        const double m = std::max(std::abs(lo), std::abs(hi));
        m_scaleMin = -m;
        m_scaleMax = m;
    } else {
        m_scaleMin = lo;
        m_scaleMax = hi;
    }
}

QColor TokenStrip::scaleColor(Measure measure, double fraction)
{
    return interpolate(measure == Measure::Difference ? divergingStops() : sequentialStops(), fraction);
}

QColor TokenStrip::colorFor(double value) const
{
    const double span = m_scaleMax - m_scaleMin;
    const double f = span > 0.0 ? (value - m_scaleMin) / span : 0.5;  // one value only: the middle
    return scaleColor(m_measure, f);
}

QColor TokenStrip::chipColor(int index) const
{
    return colorFor(measureValue(index));
}

QString TokenStrip::chipText(int index) const
{
    return m_chips.at(size_t(index)).text;
}

QString TokenStrip::legendMinText() const
{
    return formatValue(m_scaleMin);
}

QString TokenStrip::legendMaxText() const
{
    return formatValue(m_scaleMax);
}

QString TokenStrip::measureTitle() const
{
    switch (m_measure) {
    case Measure::Ce: return tr("Colour: CE (nats)");
    case Measure::Demd: return tr("Colour: DEMD");
    case Measure::Difference: return tr("Colour: CE \u2212 DEMD");
    }
    return {};
}

int TokenStrip::layoutChips(int width, std::vector<QRectF>* rects) const
{
    const Metrics m = metrics();
    if (rects)
        rects->clear();
    const qreal top = m.margin + m.legendH + m.rowGap * 1.5;
    if (m_chips.empty())
        return int(std::ceil(top + m.fm.height() * 1.5 + m.margin));
    const qreal right = std::max<qreal>(width - m.margin, m.margin + m.fm.averageCharWidth() * 4);
    qreal x = m.margin, y = top;
    bool lineStart = true;
    for (const Chip& chip : m_chips) {
        const qreal w = m.fm.horizontalAdvance(chip.text) + 2 * m.padX;
        qreal gap = lineStart ? (chip.leadingSpace ? m.spaceGap : 0.0) : (chip.leadingSpace ? m.spaceGap : m.tightGap);
        if (!lineStart && x + gap + w > right) {  // wrap
            x = m.margin;
            y += m.chipH + m.rowGap;
            gap = 0.0;
        }
        x += gap;
        if (rects)
            rects->push_back(QRectF(x, y, w, m.chipH));
        x += w;
        lineStart = false;
        if (chip.lineBreak) {
            x = m.margin;
            y += m.chipH + m.rowGap;
            lineStart = true;
        }
    }
    if (lineStart)  // the last chip ended a line: no empty row after it
        y -= m.chipH + m.rowGap;
    return int(std::ceil(y + m.chipH + m.margin));
}

void TokenStrip::relayout()
{
    layoutChips(width(), &m_rects);
}

int TokenStrip::heightForWidth(int width) const
{
    return layoutChips(width, nullptr);
}

QSize TokenStrip::sizeHint() const
{
    const Metrics m = metrics();
    const int w = int(std::ceil(m.fm.averageCharWidth() * 80 + 2 * m.margin));
    return {w, heightForWidth(w)};
}

QSize TokenStrip::minimumSizeHint() const
{
    const Metrics m = metrics();
    return {int(std::ceil(m.fm.averageCharWidth() * 20)), int(std::ceil(m.margin * 2 + m.legendH + m.chipH))};
}

QRect TokenStrip::chipRect(int index) const
{
    if (index < 0 || size_t(index) >= m_rects.size())
        return {};
    return m_rects[size_t(index)].toAlignedRect();
}

int TokenStrip::indexAt(const QPoint& pos) const
{
    for (size_t i = 0; i < m_rects.size(); ++i)
        if (m_rects[i].contains(QPointF(pos)))
            return int(i);
    return -1;
}

QRectF TokenStrip::legendBarRect() const
{
    const Metrics m = metrics();
    const qreal x = m.margin + m.fm.horizontalAdvance(measureTitle()) + m.spaceGap * 2
                    + m.fm.horizontalAdvance(legendMinText()) + m.spaceGap;
    const qreal y = m.margin + (m.legendH - m.barH) / 2;
    return {x, y, m.barW, m.barH};
}

QString TokenStrip::tooltipText(int index) const
{
    if (index < 0 || index >= chipCount())
        return {};
    const auto& t = m_tokens[size_t(index)];
    auto esc = [](const QString& s) { return s.toHtmlEscaped(); };
    QString html;
    html += QStringLiteral("<p style='white-space:pre'><b>%1</b> &nbsp;%2 <b>%3</b> (id %4)</p>")
                .arg(esc(tr("Position %1").arg(t.position)), esc(tr("gold token")),
                     esc(visibleToken(t.text)), QString::number(t.id));
    html += QStringLiteral("<table cellspacing='0' cellpadding='1'>");
    auto row = [&](const QString& name, const QString& value) {
        html += QStringLiteral("<tr><td>%1</td><td align='right'>&nbsp;&nbsp;%2</td></tr>").arg(esc(name), esc(value));
    };
    row(tr("CE (nats)"), formatValue(t.ce));
    row(tr("DEMD"), formatValue(t.demd));
    row(tr("p(gold)"), formatProbability(t.pGold));
    row(tr("CE \u2212 DEMD"), formatValue(t.ce - t.demd));
    html += QStringLiteral("</table>");
    if (!t.topk.empty()) {
        html += QStringLiteral("<p style='margin-top:4px'><b>%1</b></p>").arg(esc(tr("Most probable next tokens")));
        html += QStringLiteral("<table cellspacing='0' cellpadding='3'><tr><th align='right'>#</th>"
                               "<th align='left'>%1</th><th align='right'>%2</th><th align='right'>%3</th></tr>")
                    .arg(esc(tr("token")), esc(tr("p")), esc(tr("cost to gold")));
        for (size_t k = 0; k < t.topk.size(); ++k) {
            const auto& c = t.topk[k];
            const bool gold = c.id == t.id;
            const QString open = gold ? QStringLiteral("<b>") : QString();
            const QString close = gold ? QStringLiteral("</b>") : QString();
            html += QStringLiteral("<tr><td align='right'>%1</td><td style='white-space:pre'>%2%3%4</td>"
                                   "<td align='right'>%2%5%4</td><td align='right'>%2%6%4</td></tr>")
                        .arg(QString::number(k + 1), open, esc(visibleToken(c.text)), close,
                             formatProbability(c.p), formatValue(c.cost));
        }
        html += QStringLiteral("</table>");
    }
    return html;
}

void TokenStrip::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const Metrics m = metrics();
    const QPalette pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));

    // Legend: title, min, colour bar, max.
    p.setPen(pal.color(QPalette::Text));
    const qreal legendBase = m.margin + (m.legendH + m.fm.ascent() - m.fm.descent()) / 2;
    p.drawText(QPointF(m.margin, legendBase), measureTitle());
    const QRectF bar = legendBarRect();
    const QString lo = legendMinText(), hi = legendMaxText();
    p.drawText(QPointF(bar.left() - m.spaceGap - m.fm.horizontalAdvance(lo), legendBase), lo);
    QLinearGradient gradient(bar.topLeft(), bar.topRight());
    for (int i = 0; i <= 10; ++i)
        gradient.setColorAt(i / 10.0, scaleColor(m_measure, i / 10.0));
    p.fillRect(bar, gradient);
    p.setPen(QPen(pal.color(QPalette::Mid), 0));
    p.drawRect(bar);
    if (m_measure == Measure::Difference) {  // mark the zero of the diverging map
        p.setPen(QPen(pal.color(QPalette::Text), 0));
        p.drawLine(QPointF(bar.center().x(), bar.top() - m.barH * 0.25), QPointF(bar.center().x(), bar.bottom() + m.barH * 0.25));
    }
    p.setPen(pal.color(QPalette::Text));
    p.drawText(QPointF(bar.right() + m.spaceGap, legendBase), hi);
    const qreal hintX = bar.right() + m.spaceGap * 3 + m.fm.horizontalAdvance(hi);
    p.setPen(pal.color(QPalette::PlaceholderText));
    if (!m_chips.empty())
        p.drawText(QPointF(hintX, legendBase), tr("hover a token for details, click it for its distribution"));

    if (m_chips.empty()) {
        p.drawText(QPointF(m.margin, m.margin + m.legendH + m.rowGap * 1.5 + m.fm.ascent()),
                   tr("Type or paste text above and press Inspect (Ctrl+Return)."));
        return;
    }

    const qreal radius = m.chipH * 0.2;
    for (size_t i = 0; i < m_rects.size(); ++i) {
        const QRectF r = m_rects[i];
        const QColor fill = chipColor(int(i));
        QPainterPath path;
        path.addRoundedRect(r.adjusted(0.5, 0.5, -0.5, -0.5), radius, radius);
        p.fillPath(path, fill);
        if (int(i) == m_selected) {
            p.setPen(QPen(pal.color(QPalette::Highlight), std::max<qreal>(2.0, m.fm.height() * 0.12)));
        } else if (int(i) == m_hovered) {
            p.setPen(QPen(pal.color(QPalette::Text), std::max<qreal>(1.0, m.fm.height() * 0.07)));
        } else {
            p.setPen(QPen(fill.darker(125), 0));
        }
        p.drawPath(path);
        p.setPen(textColorOn(fill));
        p.drawText(r, Qt::AlignCenter, m_chips[i].text);
    }
}

void TokenStrip::mouseMoveEvent(QMouseEvent* event)
{
    const int index = indexAt(event->position().toPoint());
    if (index != m_hovered) {
        m_hovered = index;
        setCursor(index >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
        update();
    }
    QWidget::mouseMoveEvent(event);
}

void TokenStrip::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return QWidget::mousePressEvent(event);
    const int index = indexAt(event->position().toPoint());
    if (index >= 0) {
        setSelectedIndex(index);
        Q_EMIT tokenSelected(index);
    }
}

void TokenStrip::leaveEvent(QEvent* event)
{
    m_hovered = -1;
    update();
    QWidget::leaveEvent(event);
}

void TokenStrip::keyPressEvent(QKeyEvent* event)
{
    if (m_tokens.empty())
        return QWidget::keyPressEvent(event);
    int next = m_selected;
    switch (event->key()) {
    case Qt::Key_Left: next = std::max(0, m_selected - 1); break;
    case Qt::Key_Right: next = std::min(chipCount() - 1, m_selected + 1); break;
    case Qt::Key_Home: next = 0; break;
    case Qt::Key_End: next = chipCount() - 1; break;
    default: return QWidget::keyPressEvent(event);
    }
    if (next != m_selected) {
        setSelectedIndex(next);
        Q_EMIT tokenSelected(next);
    }
}

void TokenStrip::resizeEvent(QResizeEvent* event)
{
    relayout();
    QWidget::resizeEvent(event);
}

void TokenStrip::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange) {
        relayout();
        updateGeometry();
    }
    QWidget::changeEvent(event);
}

bool TokenStrip::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const int index = indexAt(help->pos());
        if (index >= 0)
            QToolTip::showText(help->globalPos(), tooltipText(index), this, chipRect(index));
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

} // namespace emo::widgets
