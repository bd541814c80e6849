#pragma once
#include "exportable_view.h"
#include "run_curves.h"
#include "train/train_types.h"

#include <QMap>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStackedWidget;

namespace emo::widgets {

// View 2, "Train": objective picker with its parameters and a one-line explanation, the paper's
// hyper-parameters, start / pause / resume / cancel, progress with tokens/s and ETA, and live curves of the
// loss, its parts (MLE part, DEMD part) and the validation loss; several runs overlaid in distinct colours;
// past runs listed from their folders reopen with their curves.
class TrainView : public QWidget, public ExportableView {
    Q_OBJECT
public:
    enum class Series { Loss, MlePart, DemdPart, Validation };

    explicit TrainView(QWidget* parent = nullptr);

    // The settings the form describes (model, data and run folder included).
    emo::train::TrainSettings settings() const;
    void setObjective(emo::objective::ObjectiveKind kind);
    void setSteps(int steps);
    void setBatch(int batch, int block);
    void setOutputFolder(const QString& folder);

    // Test and export access: points of a series of the run shown under `runName` (-1 if no such run).
    int pointCount(const QString& runName, Series series) const;
    QString statusText() const;  // the line under the progress bar
    QStringList runNames() const;
    bool isBusy() const { return m_busy; }

    QWidget* exportWidget() override;
    DataTable exportData() const override;

public Q_SLOTS:
    void setModelPath(const QString& folder);
    void setDataPath(const QString& file);
    void setRunsFolder(const QString& folder);  // lists every run folder (with metrics.jsonl) inside
    void setBundledRuns(const QStringList& folders);  // listed first: the demo models' own training runs
    void showRun(const QString& folder);        // overlays a past run's curves
    void onProgress(const emo::train::TrainProgress& progress);
    void onFinished(const emo::train::TrainResult& result, const QString& outputDir);
    void onCancelled(const QString& outputDir);  // the run saved its state (when it had begun) and stopped
    void onFailed(const QString& message);       // the run stopped on an error (a NaN loss, a full disk, ...)
    void setBusy(bool busy);
    void refreshRuns();

Q_SIGNALS:
    void startRequested(const emo::train::TrainSettings& settings);
    void pauseRequested(bool paused);
    void cancelRequested();

private:
    void updateExplanation();
    void replot();
    QString newRunFolder() const;

    QComboBox* m_objective = nullptr;
    QStackedWidget* m_objectiveOptions = nullptr;
    QComboBox* m_emoMode = nullptr;
    QDoubleSpinBox* m_tailrGamma = nullptr;
    QDoubleSpinBox* m_tailrMinWeight = nullptr;
    QDoubleSpinBox* m_mixceEta = nullptr;
    QLabel* m_explanation = nullptr;
    QLineEdit* m_learningRate = nullptr;
    QSpinBox* m_batch = nullptr;
    QSpinBox* m_block = nullptr;
    QSpinBox* m_epochs = nullptr;
    QSpinBox* m_steps = nullptr;
    QSpinBox* m_validateEvery = nullptr;
    QSpinBox* m_seed = nullptr;
    QComboBox* m_device = nullptr;
    QComboBox* m_precision = nullptr;
    QLineEdit* m_model = nullptr;
    QLineEdit* m_data = nullptr;
    QLineEdit* m_validation = nullptr;
    QLineEdit* m_output = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_pause = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_resume = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QListWidget* m_runs = nullptr;
    QCustomPlot* m_plot = nullptr;
    QCheckBox* m_showParts = nullptr;
    QString m_runsFolder;
    QStringList m_bundledRuns;
    QString m_liveFolder;
    QMap<QString, RunCurves> m_curves;  // by folder; in the order they were added
    QStringList m_order;
    bool m_busy = false;
    bool m_paused = false;
};

} // namespace emo::widgets
