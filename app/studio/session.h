#pragma once
// The engine side of the app: one Session per window lives on a worker QThread and owns the loaded model,
// its tokenizer, the inspector and the training run (whose Trainer owns the optimizer and device). Views
// talk to it only through queued calls and receive plain data through its signals, so the GUI thread never
// waits on torch. cancel() and setPaused() are safe to call from any thread.
#include "core_metatypes.h"
#include "eval_protocol.h"
#include "model_card.h"
#include "util/progress.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <map>
#include <memory>
#include <string>

namespace emo::model { class LanguageModel; }
namespace emo::text { class Tokenizer; }
namespace emo::inspect { class Inspector; }

namespace emo::studio {

class Session : public QObject {
    Q_OBJECT
public:
    explicit Session(QObject* parent = nullptr);
    ~Session() override;

    // Thread-safe: the running job stops at its next check (between training steps, sampling steps or
    // batches); a cancelled training run leaves a resumable state in its folder.
    void cancel() { m_cancel = true; }
    void setPaused(bool paused) { m_paused = paused; }
    bool isPaused() const { return m_paused; }

    // The jobs the worker runs, one at a time; the main window tells which view is busy by this, and shows
    // jobName(job).
    enum class Job { LoadingModel, OpeningDataset, Training, Inspecting, CostMatrix, TransportPlan, Comparing,
                     Evaluating, Experiment };
    Q_ENUM(Job)
    static QString jobName(Job job);

public Q_SLOTS:
    // Each runs on the worker thread (call through QMetaObject::invokeMethod or a queued connection).
    void loadModel(const QString& folder);
    void openDataset(const QString& path);
    void startTraining(const emo::train::TrainSettings& settings);
    void inspectText(const QString& text, int topK);
    void computeCostMatrix(const emo::inspect::TokenSetSettings& settings);
    void computeTransport(int tokenIndex);  // q at a position of the last report vs the gold one-hot
    void compareWith(const QString& otherFolder, const QStringList& prompts, const emo::generate::SampleSettings& settings);
    // Each model's metrics on the data set, one `evaluated` report per model.
    void evaluate(const QStringList& modelFolders, const QString& data, const QString& oracle, const QStringList& metrics,
                  const emo::widgets::EvalProtocol& protocol);
    // `emo experiment <kind>` ("oracle" | "domains") at `scale` ("full" | "quick" | "micro") into `folder`, with the
    // bundled models and corpora; running it again on the same folder resumes. experimentFinished(folder, a
    // one-line summary: the oracle's sanity gate, the domains' run count) when it is complete.
    void runExperiment(const QString& kind, const QString& scale, const QString& folder);

Q_SIGNALS:
    void modelDescribed(const emo::widgets::ModelCard& card);  // from headers, before the weights load
    void modelLoaded(const emo::widgets::ModelCard& card);
    void datasetOpened(const emo::widgets::DatasetPreview& preview);
    void trainingProgress(const emo::train::TrainProgress& progress);
    void trainingFinished(const emo::train::TrainResult& result, const QString& outputDir);
    void trainingCancelled(const QString& outputDir);
    void inspected(const emo::inspect::InspectReport& report);
    void costMatrixReady(const emo::inspect::CostMatrixReport& report);
    void transportReady(const emo::inspect::TransportReport& report);
    void comparisonReady(const emo::generate::ModelComparison& comparison);
    void evaluated(const emo::eval::EvalReport& report);
    void experimentFinished(const QString& folder, const QString& summary);
    // Long work: stage text, done/total (total 0 = unknown); busy(false) when it ends, however it ends.
    void progress(const QString& stage, qint64 done, qint64 total);
    void busyChanged(bool busy, emo::studio::Session::Job job, const QString& what);  // what: jobName(job)
    // One sentence for the user: what failed and which file or field.
    void failed(const QString& what, const QString& message);

private:
    template <typename Work> void runJob(Job job, Work&& work);
    bool keepGoing();
    ProgressCallback reporter();  // forwards to progress(), false once cancelled, waits while paused  // false once cancelled; blocks (on this worker thread) while paused
    void requireModel(const char* what) const;
    std::pair<model::LanguageModel*, text::Tokenizer*> otherModel(const std::string& folder);

    std::atomic<bool> m_cancel{false};
    std::atomic<bool> m_paused{false};
    std::string m_folder;
    std::shared_ptr<model::LanguageModel> m_model;
    std::unique_ptr<text::Tokenizer> m_tokenizer;
    std::unique_ptr<inspect::Inspector> m_inspector;
    inspect::InspectReport m_lastReport;
    std::string m_datasetPath;  // the data set last opened: the Compare view's perplexities are on it
    struct Loaded;
    std::map<std::string, std::shared_ptr<Loaded>> m_others;  // second models of the Compare view
};

} // namespace emo::studio
