#pragma once
#include "exportable_view.h"
#include "inspect/inspect_types.h"
#include "token_strip.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QScrollArea;
class QSplitter;

namespace emo::widgets {

class DistributionView;

// The "Token inspector" view: text in, per-token CE/DEMD as a coloured token strip, a summary line, and
// for the clicked token the model's top-k distribution with each objective's logit gradient. The view
// only asks (inspectRequested); the session runs the model and answers with setReport.
class InspectorView : public QWidget, public ExportableView {
    Q_OBJECT
public:
    explicit InspectorView(QWidget* parent = nullptr);

    QString text() const;
    void setText(const QString& text);
    bool isBusy() const { return m_busy; }
    const emo::inspect::InspectReport& report() const { return m_report; }

    TokenStrip* tokenStrip() const { return m_strip; }
    DistributionView* distributionView() const { return m_distribution; }
    QString summaryText() const;

    QWidget* exportWidget() override;
    DataTable exportData() const override;

public Q_SLOTS:
    void setReport(const emo::inspect::InspectReport& report);
    void setBusy(bool busy);
    void selectToken(int index);  // −1 clears the distribution

Q_SIGNALS:
    void inspectRequested(QString text);

private:
    void requestInspect();
    void updateSummary();

    QPlainTextEdit* m_input = nullptr;
    QPushButton* m_inspect = nullptr;
    QComboBox* m_colorBy = nullptr;
    QProgressBar* m_busyBar = nullptr;
    QLabel* m_summary = nullptr;
    QScrollArea* m_stripScroll = nullptr;
    TokenStrip* m_strip = nullptr;
    DistributionView* m_distribution = nullptr;
    QSplitter* m_results = nullptr;
    emo::inspect::InspectReport m_report;
    bool m_busy = false;
};

} // namespace emo::widgets
