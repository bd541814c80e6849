#pragma once
#include "data_table.h"
#include "inspect/inspect_types.h"

#include <QString>
#include <QWidget>

#include <optional>
#include <vector>

class QCustomPlot;
class QCPAxisRect;
class QCPBars;
class QCPGraph;
class QCPItemText;
class QCPLegend;
class QCPTextElement;

namespace emo::widgets {

// One position of an inspect report as a QCustomPlot with two stacked panels sharing the candidate axis:
// top, the model's q over its top-k (gold highlighted) with each candidate's cost C(j, gold) on the right
// axis; bottom, the logit gradient of every objective, grouped per candidate, so where each objective
// pushes probability (negative g: gradient descent raises that logit) is visible at a glance.
//
// Columns: the top-k by q in order; then the gold token if it is outside the top-k (q = p(gold), cost 0);
// then ids that only some objective's gradient top-k lists (q unknown). Gradients are taken from each
// objective's own top-k list where it holds the column's id; at the gold column the report's exact
// `gold` entry is used. Where an objective's list lacks the id, its value is unknown — not 0 — so no bar
// is drawn and the slot is marked "n/a".
class DistributionView : public QWidget {
    Q_OBJECT
public:
    struct Column {
        int64_t id = 0;
        QString label;                  // whitespace made visible
        std::optional<double> q;        // unknown for gradient-only ids
        std::optional<double> cost;
        bool gold = false;
        bool inTopk = false;
    };

    explicit DistributionView(QWidget* parent = nullptr);

    void setToken(const emo::inspect::TokenReport& token);
    void clear();
    bool hasToken() const { return m_hasToken; }
    const emo::inspect::TokenReport& token() const { return m_token; }

    const std::vector<Column>& columns() const { return m_columns; }
    int objectiveCount() const { return int(m_objectives.size()); }
    QString objectiveKey(int objective) const;
    std::optional<double> gradient(int objective, int column) const;
    int missingGradientCount() const;  // "n/a" slots

    // For tests and export: the plottables as drawn.
    QCustomPlot* plot() const { return m_plot; }
    QCPBars* probabilityBars() const { return m_qBars; }  // q of the non-gold columns
    QCPBars* goldBars() const { return m_goldBars; }      // q of the gold column
    QCPGraph* costGraph() const { return m_costGraph; }
    QCPBars* gradientBars(int objective) const;
    double gradientBarKey(int objective, int column) const;  // x of that bar in the gradient panel

    DataTable exportData() const;

    static QString objectiveName(const QString& key);  // "tailr" → "TaiLr"
    static QColor objectiveColor(const QString& key);

private:
    void rebuild();
    void clearGradientPlottables();

    QCustomPlot* m_plot = nullptr;
    QCPTextElement* m_title = nullptr;
    QCPAxisRect* m_qRect = nullptr;
    QCPAxisRect* m_gradRect = nullptr;
    QCPLegend* m_gradLegend = nullptr;
    QCPBars* m_qBars = nullptr;
    QCPBars* m_goldBars = nullptr;
    QCPGraph* m_costGraph = nullptr;
    std::vector<QCPBars*> m_gradBars;
    std::vector<QCPItemText*> m_naItems;

    emo::inspect::TokenReport m_token;
    bool m_hasToken = false;
    std::vector<Column> m_columns;
    std::vector<QString> m_objectives;
    std::vector<std::vector<std::optional<double>>> m_gradients;  // [objective][column]
};

} // namespace emo::widgets
