#pragma once
#include "session.h"

#include <QMainWindow>
#include <QPointer>

#include <memory>

class QLabel;
class QProgressBar;
class QPushButton;
class QTabWidget;
class QThread;

namespace emo::widgets {
class ClassroomView;
class CompareView;
class CostMatrixView;
class EvaluateView;
class GuiStallProbe;
class InspectorView;
class LogPanel;
class ModelDataView;
class TrainView;
struct ModelCard;
}

namespace emo::studio {

class LogSink;

// The window: seven views as tabs, the log panel as a dock, the status bar (device, memory, busy work with
// Cancel), menus with shortcuts. It owns the worker thread of its Session and wires the views to it
// with queued calls only; the GUI thread never waits on the engine (except at close, for the running step).
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    struct Options {
        QString model;        // opened at start (empty: the last one, else demo-base)
        QString data;         // data set preselected (empty: the fine-tuning corpus)
        QString runsFolder;   // empty: <app data>/runs
        bool restoreLayout = true;
    };
    explicit MainWindow(const Options& options, QWidget* parent = nullptr);
    ~MainWindow() override;

    enum View { ModelData, Train, Inspector, CostMatrix, Compare, Evaluate, Classroom, ViewCount };
    QWidget* view(View which) const;
    void showView(View which);

    widgets::ModelDataView* modelDataView() const { return m_modelData; }
    widgets::TrainView* trainView() const { return m_train; }
    widgets::InspectorView* inspectorView() const { return m_inspector; }
    widgets::CostMatrixView* costMatrixView() const { return m_costMatrix; }
    widgets::CompareView* compareView() const { return m_compare; }
    widgets::ClassroomView* classroomView() const { return m_classroom; }
    widgets::EvaluateView* evaluateView() const { return m_evaluate; }
    Session* session() const { return m_session; }
    widgets::GuiStallProbe* stallProbe() const { return m_probe; }
    bool isBusy() const { return m_busy; }
    QString lastError() const { return m_lastError; }
    QString modelFolder() const { return m_modelFolder; }

    static QString resourcesDir();

public Q_SLOTS:
    void openModel(const QString& folder);
    void openDataset(const QString& path);
    void exportCurrentImage();
    void exportCurrentData();
    void applyTheme(const QString& theme);  // "system" | "light" | "dark", remembered

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    template <typename Call> void onWorker(Call&& call);
    void buildMenus();
    void wireSession();
    void updateTitle();
    void updateMemory();
    void showError(const QString& what, const QString& message);

    QThread* m_thread = nullptr;
    Session* m_session = nullptr;
    QTabWidget* m_tabs = nullptr;
    widgets::ModelDataView* m_modelData = nullptr;
    widgets::TrainView* m_train = nullptr;
    widgets::InspectorView* m_inspector = nullptr;
    widgets::CostMatrixView* m_costMatrix = nullptr;
    widgets::CompareView* m_compare = nullptr;
    widgets::ClassroomView* m_classroom = nullptr;
    widgets::EvaluateView* m_evaluate = nullptr;
    widgets::LogPanel* m_log = nullptr;
    widgets::GuiStallProbe* m_probe = nullptr;
    QLabel* m_deviceLabel = nullptr;
    QLabel* m_memoryLabel = nullptr;
    QLabel* m_busyLabel = nullptr;
    QProgressBar* m_busyProgress = nullptr;
    QPushButton* m_busyCancel = nullptr;
    QString m_modelFolder;
    QString m_runFolder;
    QString m_dataPath;
    QString m_lastError;
    QString m_currentJob;                                    // its name, for the status bar
    Session::Job m_currentJobKind = Session::Job::LoadingModel;  // valid while m_busy
    bool m_busy = false;
    std::shared_ptr<LogSink> m_logSink;
};

} // namespace emo::studio
