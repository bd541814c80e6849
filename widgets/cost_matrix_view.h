#pragma once
#include "exportable_view.h"
#include "inspect/inspect_types.h"

#include <QVector>
#include <QWidget>

class QComboBox;
class QCPColorMap;
class QCPColorScale;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QMouseEvent;
class QPushButton;
class QSpinBox;

namespace emo::widgets {

// View 4 of issue 5: the cost matrix C(i, j) = 1 − cos(ê_i, ê_j) over a token set as a heatmap, and a
// transport panel showing the exact optimal plan between two distributions over a set next to DEMD.
// The view computes nothing from the model: it asks for a token set (costMatrixRequested) and shows
// the reports the app sends back.
class CostMatrixView : public QWidget, public ExportableView {
    Q_OBJECT
public:
    // The token sets the source bar offers: the core's TokenSetSource values, kept as the combo's item data
    // (costMatrixRequested sends them as int).
    enum SourceKind {
        TopKAtPosition = int(emo::inspect::TokenSetSource::TopKAtPosition),
        WordList = int(emo::inspect::TokenSetSource::WordList),
        Neighbours = int(emo::inspect::TokenSetSource::NearestNeighbours),
    };
    enum Order { AsGiven = 0, SortedByCost = 1, Clustered = 2 };

    explicit CostMatrixView(QWidget* parent = nullptr);

    // The permutation the heatmap shows (display position → index in the report):
    //   AsGiven      identity;
    //   SortedByCost by C(first token, j) ascending, ties by index (the first token stays first);
    //   Clustered    average-linkage agglomeration on the symmetrised costs: repeatedly merge the two
    //                clusters with the smallest mean cost (ties: the pair with the smaller indices),
    //                the cluster holding the lower report index going first; the leaves in merge order.
    static QVector<int> orderFor(const emo::inspect::CostMatrixReport& report, Order order);

    Order order() const;
    void setOrder(Order order);
    QVector<int> displayOrder() const { return m_order; }
    const emo::inspect::CostMatrixReport& costMatrix() const { return m_report; }

    QCustomPlot* heatmapPlot() const { return m_heatmap; }
    QCPColorMap* colorMap() const { return m_map; }
    QCustomPlot* transportPlot() const { return m_transportPlot; }
    QString transportSummary() const;
    int flowCount() const { return m_flowCount; }
    // The tooltip text for a point of the heatmap in plot coordinates; empty outside the matrix.
    QString hoverText(double x, double y) const;

    QWidget* exportWidget() override;
    DataTable exportData() const override;        // the displayed matrix: row label, one column per token
    DataTable exportTransportData() const;        // the plan: source, target, mass, cost

public Q_SLOTS:
    void setCostMatrix(const emo::inspect::CostMatrixReport& report);
    void setTransport(const emo::inspect::TransportReport& report);

Q_SIGNALS:
    void costMatrixRequested(int sourceKind, QString text, int k);

private:
    void buildSourceBar();
    void buildHeatmap();
    void buildTransport();
    void updateSourceHints();
    void requestMatrix();
    void rebuildHeatmap();
    void rebuildTransport();
    void showHover(QMouseEvent* event);
    QString label(int reportIndex) const;

    emo::inspect::CostMatrixReport m_report;
    emo::inspect::TransportReport m_transport;
    bool m_hasTransport = false;
    QVector<int> m_order;
    int m_flowCount = 0;

    QComboBox* m_sourceKind = nullptr;
    QLineEdit* m_sourceText = nullptr;
    QSpinBox* m_k = nullptr;
    QPushButton* m_show = nullptr;
    QComboBox* m_orderBox = nullptr;
    QCustomPlot* m_heatmap = nullptr;
    QCPColorMap* m_map = nullptr;
    QCPColorScale* m_scale = nullptr;
    QCustomPlot* m_transportPlot = nullptr;
    QLabel* m_transportLabel = nullptr;
};

} // namespace emo::widgets
