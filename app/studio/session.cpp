#include "session.h"

#include "eval/model_evaluation.h"
#include "eval/perplexity.h"
#include "experiment/domain_experiment.h"
#include "experiment/oracle_experiment.h"
#include "generate/model_comparison.h"
#include "inspect/inspector.h"
#include "inspect/token_sets.h"
#include "inspect/token_transport.h"
#include "io/documents.h"
#include "text/document_blocks.h"
#include "text/sequence_convention.h"
#include "model/language_model.h"
#include "model/model_folder.h"
#include "model/model_description.h"
#include "text/tokenizer.h"
#include "train/trainer.h"
#include "util/device.h"
#include "util/error.h"
#include "util/error_text.h"
#include "util/resources_dir.h"
#include "util/runtime.h"

#include <spdlog/spdlog.h>

#include <QFileInfo>
#include <QRegularExpression>
#include <QThread>

#include <algorithm>
#include <filesystem>

namespace emo::studio {

struct Session::Loaded : model::ModelFolder {};

Session::Session(QObject* parent)
    : QObject(parent)
{
}

Session::~Session() = default;

bool Session::keepGoing()
{
    while (m_paused && !m_cancel)
        QThread::msleep(50);
    return !m_cancel;
}

ProgressCallback Session::reporter()
{
    return [this](const Progress& p) {
        Q_EMIT progress(QString::fromStdString(p.stage), p.done, p.total);
        return keepGoing();
    };
}

void Session::requireModel(const char* what) const
{
    if (!m_model)
        throw Error::badInput(std::string(what) + ": open a model first");
}

QString Session::jobName(Job job)
{
    switch (job) {
    case Job::LoadingModel: return tr("Loading model");
    case Job::OpeningDataset: return tr("Opening data set");
    case Job::Training: return tr("Training");
    case Job::Inspecting: return tr("Inspecting");
    case Job::CostMatrix: return tr("Cost matrix");
    case Job::TransportPlan: return tr("Transport plan");
    case Job::Comparing: return tr("Comparing");
    case Job::Evaluating: return tr("Evaluating");
    case Job::Experiment: return tr("Running the experiment");
    }
    return {};
}

// Every job: busy on, errors turned into one message (never an exception across the Qt boundary), busy off.
template <typename Work>
void Session::runJob(Job job, Work&& work)
{
    const QString what = jobName(job);
    m_cancel = false;
    Q_EMIT busyChanged(true, job, what);
    try {
        work();
    } catch (const Error& e) {
        if (e.kind() != Error::Kind::Cancelled) {
            spdlog::error("{}: {}", what.toStdString(), e.what());
            Q_EMIT failed(what, QString::fromStdString(e.what()));
        } else {
            spdlog::info("{}: cancelled", what.toStdString());
        }
    } catch (const std::exception& e) {  // a LibTorch error among them: shown without its C++ backtrace
        const std::string text = util::errorText(e);
        spdlog::error("{}: {}", what.toStdString(), text);
        Q_EMIT failed(what, QString::fromStdString(text));
    }
    Q_EMIT busyChanged(false, job, what);
}

void Session::loadModel(const QString& folder)
{
    runJob(Job::LoadingModel, [&] {
        const std::string path = folder.toStdString();
        // The description comes from headers only, so the view shows a 7B folder even where its weights
        // would not fit in memory (loadModelFolder then says so).
        widgets::ModelCard card;
        const auto describe = [&](const model::ModelDescription& description) {
            const auto& c = description.config;
            card.folder = folder;
            card.name = QFileInfo(folder).fileName();
            card.architecture = QString::fromStdString(c.modelType);
            card.parameters = description.parameters;
            card.vocabulary = c.vocabSize;
            card.layers = c.numLayers;
            card.hidden = c.hiddenSize;
            card.heads = c.numHeads;
            card.context = c.maxPositions;
            card.tiedEmbeddings = c.tieWordEmbeddings;
            card.storedDtype = QString::fromStdString(description.storedDtype);
            card.weightsLayout = QString::fromStdString(description.weightsLayout);
            card.weightFiles = static_cast<qint64>(description.weightFiles);
            card.bytesOnDisk = static_cast<qint64>(description.bytesOnDisk);
            card.computeDtype = QStringLiteral("float32");
            card.memoryBytes = card.parameters * 4;
            card.blas = QString::fromStdString(util::detectBlas().name);
            card.hasRunHistory = std::filesystem::exists(path + "/metrics.jsonl");
            Q_EMIT modelDescribed(card);
        };
        auto loaded = model::loadModelFolder(path, torch::kCPU, reporter(), describe);
        m_model = std::move(loaded.model);
        m_tokenizer = std::move(loaded.tokenizer);
        m_inspector = std::make_unique<inspect::Inspector>(*m_model, m_tokenizer.get());
        m_folder = path;
        m_lastReport = {};
        card.device = QString::fromStdString(m_model->device().str());
        card.tokenizer = QString::fromStdString(m_tokenizer->kind());
        card.weightsLoaded = true;
        spdlog::info("loaded {} ({} parameters)", path, card.parameters);
        Q_EMIT modelLoaded(card);
    });
}

void Session::openDataset(const QString& path)
{
    runJob(Job::OpeningDataset, [&] {
        requireModel("open a data set");
        const std::string file = path.toStdString();
        const auto documents = io::readDocuments(file);
        widgets::DatasetPreview preview;
        preview.path = path;
        preview.format = QString::fromLatin1(io::toString(io::detectDocumentFormat(file)));
        preview.documents = static_cast<qint64>(documents.size());
        for (size_t i = 0; i < documents.size(); ++i) {
            preview.characters += static_cast<qint64>(documents[i].size());
            preview.tokens += static_cast<qint64>(text::encodeDocument(*m_tokenizer, documents[i]).size());
            if (i % 64 == 0) {
                Q_EMIT progress(tr("tokenizing"), static_cast<qint64>(i), static_cast<qint64>(documents.size()));
                if (!keepGoing())
                    throw Error::cancelled();
            }
        }
        const std::string head = documents.front().substr(0, 400);
        preview.previewText = QString::fromStdString(head);
        const auto ids = m_tokenizer->encode(head);
        for (size_t i = 0; i < ids.size() && i < 80; ++i)
            preview.previewTokens << QString::fromStdString(m_tokenizer->displayText(ids[i]));
        m_datasetPath = file;
        Q_EMIT datasetOpened(preview);
    });
}

void Session::startTraining(const emo::train::TrainSettings& settings)
{
    runJob(Job::Training, [&] {
        train::Trainer trainer(settings);
        const QString folder = QString::fromStdString(settings.outputDir);
        try {
            const auto result = trainer.run([&](const train::TrainProgress& p) {
                Q_EMIT trainingProgress(p);
                return keepGoing();
            });
            m_paused = false;
            Q_EMIT trainingFinished(result, folder);
        } catch (const Error& e) {
            m_paused = false;
            if (e.kind() == Error::Kind::Cancelled)
                Q_EMIT trainingCancelled(folder);
            throw;
        }
    });
    m_paused = false;
}

void Session::inspectText(const QString& text, int topK)
{
    runJob(Job::Inspecting, [&] {
        requireModel("inspect");
        inspect::InspectSettings settings;
        settings.topK = topK;
        m_lastReport = m_inspector->inspect(text.toStdString(), settings);
        Q_EMIT inspected(m_lastReport);
    });
}

void Session::computeCostMatrix(const emo::inspect::TokenSetSettings& settings)
{
    runJob(Job::CostMatrix, [&] {
        requireModel("cost matrix");
        Q_EMIT costMatrixReady(m_inspector->costMatrixFor(inspect::tokenSet(*m_inspector, settings, m_lastReport)));
    });
}

void Session::computeTransport(int tokenIndex)
{
    runJob(Job::TransportPlan, [&] {
        requireModel("transport plan");
        Q_EMIT transportReady(inspect::transportAtToken(*m_inspector, m_lastReport, tokenIndex));
    });
}

std::pair<model::LanguageModel*, text::Tokenizer*> Session::otherModel(const std::string& folder)
{
    if (folder == m_folder)
        return {m_model.get(), m_tokenizer.get()};
    auto& slot = m_others[folder];
    if (!slot) {
        slot = std::make_shared<Loaded>(Loaded{model::loadModelFolder(folder)});
    }
    return {slot->model.get(), slot->tokenizer.get()};
}

void Session::compareWith(const QString& otherFolder, const QStringList& prompts, const emo::generate::SampleSettings& settings)
{
    runJob(Job::Comparing, [&] {
        requireModel("compare");
        if (prompts.isEmpty())
            throw Error::badInput("compare: give at least one prompt");
        const auto [otherModelPtr, otherTokenizer] = otherModel(otherFolder.toStdString());
        std::vector<std::string> texts;
        for (const QString& p : prompts)
            texts.push_back(p.toStdString());
        generate::ComparedModel a{m_model.get(), m_tokenizer.get(), QFileInfo(QString::fromStdString(m_folder)).fileName().toStdString()};
        generate::ComparedModel b{otherModelPtr, otherTokenizer, QFileInfo(otherFolder).fileName().toStdString()};
        const ProgressCallback progress = reporter();
        auto comparison = generate::compareModels(a, b, texts, settings, progress);
        // Perplexity of both on (the first blocks of) the open data set, as the summary's data row.
        if (!m_datasetPath.empty()) {
            const int64_t block = std::min<int64_t>(256, std::min(m_model->config().maxPositions, otherModelPtr->config().maxPositions));
            auto blocks = text::tokenizeIntoBlocks(io::readDocuments(m_datasetPath), *m_tokenizer, block);
            blocks = blocks.slice(0, 0, std::min<int64_t>(blocks.size(0), 64));
            comparison.perplexityA = eval::computePerplexity(*m_model, blocks, 8, progress).perplexity;
            comparison.perplexityB = eval::computePerplexity(*otherModelPtr, blocks, 8, progress).perplexity;
            spdlog::info("compare: perplexity on the first {} blocks of {}: {} {:.3f}, {} {:.3f}", blocks.size(0),
                         m_datasetPath, a.name, comparison.perplexityA, b.name, comparison.perplexityB);
        }
        Q_EMIT comparisonReady(comparison);
    });
}

void Session::evaluate(const QStringList& modelFolders, const QString& data, const QString& oracle,
                       const QStringList& metrics, const emo::widgets::EvalProtocol& protocol)
{
    runJob(Job::Evaluating, [&] {
        eval::ModelEvaluationSettings settings;
        settings.metrics.clear();
        for (const QString& metric : metrics)
            settings.metrics.push_back(metric.toStdString());
        settings.continuation.prefixWords = protocol.prefixWords;
        settings.continuation.continuationWords = protocol.continuationWords;
        settings.continuation.samplesPerPrefix = protocol.samples;
        settings.continuation.seeds = protocol.seeds;
        settings.continuation.maxPrefixes = protocol.maxPrefixes;
        settings.continuation.protocol = protocol.official ? eval::ContinuationProtocol::Official
                                                           : eval::ContinuationProtocol::Pooled;
        settings.fewShot.maxExamples = protocol.maxPrefixes;
        const ProgressCallback progress = reporter();
        model::LanguageModel* oracleModel = nullptr;
        text::Tokenizer* oracleTokenizer = nullptr;
        if (!oracle.isEmpty())
            std::tie(oracleModel, oracleTokenizer) = otherModel(oracle.toStdString());
        for (const QString& folder : modelFolders) {
            const auto [model, tokenizer] = otherModel(folder.toStdString());
            auto result = eval::evaluateModel({model, tokenizer, oracleModel, oracleTokenizer}, data.toStdString(), settings, progress);
            result.report.model = folder.toStdString();
            result.report.data = data.toStdString();
            Q_EMIT evaluated(result.report);
        }
    });
}

void Session::runExperiment(const QString& kind, const QString& scale, const QString& folder)
{
    runJob(Job::Experiment, [&] {
        if (kind == QLatin1String("domains")) {
            auto settings = experiment::DomainExperimentSettings::preset(scale.toStdString());
            experiment::useBundledInputs(settings, util::resourcesDir(EMO_RESOURCES_DIR));
            settings.outputDir = folder.toStdString();
            const auto result = experiment::runDomainExperiment(settings, reporter());
            Q_EMIT experimentFinished(folder, tr("%1 runs on %2 domains").arg(result.runsDone).arg(settings.domains.size()));
            return;
        }
        auto settings = experiment::OracleExperimentSettings::preset(scale.toStdString());
        experiment::useBundledInputs(settings, util::resourcesDir(EMO_RESOURCES_DIR));
        settings.outputDir = folder.toStdString();
        const auto result = experiment::runOracleExperiment(settings, reporter());
        Q_EMIT experimentFinished(folder, tr("sanity gate %1").arg(QString::fromStdString(result.gate.message)));
    });
}

} // namespace emo::studio
