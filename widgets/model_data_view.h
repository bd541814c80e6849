#pragma once
#include "model_card.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QTextBrowser;

namespace emo::widgets {

// View 1, "Model & data": open an HF folder or a bundled demo model, recent models, the model card; open
// a data set (txt, JSONL, WikiText) and see how the model tokenizes it and its size in tokens.
class ModelDataView : public QWidget {
    Q_OBJECT
public:
    explicit ModelDataView(QWidget* parent = nullptr);

    // Bundled demo models (name → folder), listed first.
    void setDemoModels(const QList<QPair<QString, QString>>& demos);
    void setRecentModels(const QStringList& folders);
    void setDatasetShortcuts(const QList<QPair<QString, QString>>& datasets);  // name → file

    const ModelCard& card() const { return m_card; }
    QString modelCardText() const;
    QString datasetSummaryText() const;

public Q_SLOTS:
    void setModelCard(const emo::widgets::ModelCard& card);
    void setDatasetPreview(const emo::widgets::DatasetPreview& preview);
    void chooseModelFolder();
    void chooseDataset();

Q_SIGNALS:
    void modelRequested(const QString& folder);
    void datasetRequested(const QString& path);

private:
    ModelCard m_card;
    QListWidget* m_models = nullptr;
    QTextBrowser* m_cardText = nullptr;
    QComboBox* m_datasets = nullptr;
    QLabel* m_datasetSummary = nullptr;
    QTextBrowser* m_tokenPreview = nullptr;
    QList<QPair<QString, QString>> m_demos;
    QStringList m_recent;
    void refillModelList();
};

} // namespace emo::widgets
