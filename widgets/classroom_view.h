#pragma once
#include "classroom_toy.h"
#include "exportable_view.h"

#include <QWidget>

class QCPBars;
class QCPColorMap;
class QCustomPlot;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTimer;

namespace emo::widgets {

// View 6, "Classroom: recall vs precision": a toy that needs no language model. Two copies of the same
// capacity-limited model start from the same point and train side by side on the same target, one with MLE
// and one with a transport objective (the paper's EMO by default), so a projected class sees the contrast.
class ClassroomView : public QWidget, public ExportableView {
    Q_OBJECT
public:
    explicit ClassroomView(QWidget* parent = nullptr);

    // Objective::Mle → the MLE model; any other → the transport model (trained with transportObjective()).
    ClassroomToy& toy(ClassroomToy::Objective objective);
    ClassroomToy::Objective transportObjective() const { return m_transportObjective; }
    QCustomPlot* plot() const { return m_plot; }
    double stepSize() const;
    bool isRunning() const;

    QWidget* exportWidget() override;
    DataTable exportData() const override;  // per support point: x, p, q_mle, q_<transport>, gap flag

public Q_SLOTS:
    void stepOnce();            // one step of both models, then redraw
    void runSteps(int count);   // `count` steps of both, one redraw
    void reset();               // both back to the same start (uniform q)
    void setRunning(bool running);
    void setModeCount(int count);
    void setSeparation(double separation);
    void setModeWidth(double width);
    void setCapacity(int capacity);
    void setStepSize(double stepSize);
    void setReach(double reach);
    void setTransportObjective(emo::widgets::ClassroomToy::Objective objective);

private:
    ClassroomToy m_mle, m_transport;
    ClassroomToy::Objective m_transportObjective = ClassroomToy::Objective::Emo;
    QCustomPlot* m_plot = nullptr;
    QCPBars* m_targetBars = nullptr;
    QCPBars* m_gapBars = nullptr;
    QCPColorMap* m_costMap = nullptr;
    QSpinBox* m_modes = nullptr;
    QDoubleSpinBox* m_separation = nullptr;
    QDoubleSpinBox* m_width = nullptr;
    QSpinBox* m_capacity = nullptr;
    QDoubleSpinBox* m_stepSize = nullptr;
    QDoubleSpinBox* m_reach = nullptr;
    QComboBox* m_objective = nullptr;
    QPushButton* m_runButton = nullptr;
    QLabel* m_stepLabel = nullptr;
    QTableWidget* m_metrics = nullptr;
    QLabel* m_explanation = nullptr;
    QTimer* m_timer = nullptr;

    void applySettings();   // spin boxes → both toys (resets them)
    void refresh();         // toys → plot, heat map, metrics table
    QString transportName() const;
};

} // namespace emo::widgets
