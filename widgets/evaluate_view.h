#pragma once
#include "core_metatypes.h"  // EvalReport metatype for the slot
#include "eval_protocol.h"
#include "exportable_view.h"

#include <QList>
#include <QPair>
#include <QStringList>
#include <QVector>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableWidget;
class QTextBrowser;
class QVBoxLayout;

namespace emo::widgets {

// View "Evaluate": pick models, a data set, an oracle / feature model, metrics and the prefix →
// continuation protocol; the results come back as one EvalReport per model and show as a table
// (mean ± std, the best value per metric in bold) and the MAUVE divergence curves. A second tab shows
// a folder `emo experiment oracle` or `domains` writes (results.md rendered with its sanity gate and p-values, its PNG
// plots below); the experiment itself can be started here too (progress, cancel, resume by running again).
class EvaluateView : public QWidget, public ExportableView {
    Q_OBJECT
public:
    explicit EvaluateView(QWidget* parent = nullptr);

    // name → folder, e.g. the bundled demo models; they fill the model list (all checked) and the oracle combo.
    void setModelChoices(const QList<QPair<QString, QString>>& choices);
    // name → file of the data sets offered.
    void setDataChoices(const QList<QPair<QString, QString>>& choices);
    void addModelFolder(const QString& folder, const QString& name = QString());  // checked

    QStringList checkedModelFolders() const;
    QString dataPath() const;      // the file the data combo names
    QString oraclePath() const;    // empty for "none"
    QStringList checkedMetrics() const;  // keys: ppl, oracle-ppl, fwd-ce, rev-ce, mauve, rouge, fewshot
    void setMetricChecked(const QString& key, bool checked);
    EvalProtocol protocol() const;
    void setProtocol(const EvalProtocol& protocol);

    const QVector<emo::eval::EvalReport>& reports() const { return m_reports; }
    // Test access: the table column of a report metric name ("ppl", "rouge-l", …), the row of a model
    // folder; −1 when absent.
    int metricColumn(const QString& metric) const;
    int modelRow(const QString& model) const;
    QCustomPlot* mauvePlot() const { return m_plot; }
    // "mean ± std" (std left out when count is 1), decimals by the size of the mean.
    static QString formatMetric(double mean, double std, qint64 count);
    bool isBusy() const { return m_busy; }

    QWidget* exportWidget() override;
    DataTable exportData() const override;

public Q_SLOTS:
    void addReport(const emo::eval::EvalReport& report);  // replaces the row of the same model
    void clearReports();
    void setProgress(const QString& stage, qint64 done, qint64 total);
    void setBusy(bool busy);
    // Shows results.md (rendered) and the *.png plots of an `emo experiment oracle` or `domains` folder; false (and a
    // message naming the folder) when there is no results.md.
    bool openResultsFolder(const QString& folder);
    void chooseResultsFolder();
    void chooseModelFolder();
    void chooseDataFile();
    void requestEvaluate();
    void requestExperiment();
    QString experimentKind() const;    // "oracle" | "domains"
    void setExperimentKind(const QString& kind);
    QString experimentScale() const;   // "quick" | "full" | "micro"
    QString experimentFolder() const;
    void setExperimentFolder(const QString& folder);

Q_SIGNALS:
    // `emo experiment <kind>` at a scale into a folder (an existing one of the same experiment resumes).
    void experimentRequested(const QString& kind, const QString& scale, const QString& folder);
    void evaluateRequested(const QStringList& modelFolders, const QString& data, const QString& oracle,
                           const QStringList& metrics, const emo::widgets::EvalProtocol& protocol);
    void cancelRequested();

private:
    QString displayName(const QString& folder) const;
    void rebuildTable();
    void rebuildPlot();
    void clearResultImages();

    QVector<emo::eval::EvalReport> m_reports;
    QList<QPair<QString, QString>> m_modelChoices;
    bool m_busy = false;

    QListWidget* m_models = nullptr;
    QComboBox* m_data = nullptr;
    QComboBox* m_oracle = nullptr;
    QList<QCheckBox*> m_metricBoxes;
    QSpinBox* m_prefixWords = nullptr;
    QSpinBox* m_continuationWords = nullptr;
    QSpinBox* m_samples = nullptr;
    QSpinBox* m_seeds = nullptr;
    QSpinBox* m_maxPrefixes = nullptr;
    QCheckBox* m_official = nullptr;
    QComboBox* m_experimentKind = nullptr;
    QComboBox* m_experimentScale = nullptr;
    QLineEdit* m_experimentFolder = nullptr;
    QPushButton* m_runExperiment = nullptr;
    QPushButton* m_run = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;

    QTabWidget* m_tabs = nullptr;
    QTableWidget* m_table = nullptr;
    QCustomPlot* m_plot = nullptr;
    QLabel* m_resultsFolder = nullptr;
    QTextBrowser* m_markdown = nullptr;
    QWidget* m_images = nullptr;
    QVBoxLayout* m_imagesLayout = nullptr;
};

} // namespace emo::widgets
