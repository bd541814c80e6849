#include "model_data_view.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QPushButton>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace emo::widgets {

ModelDataView::ModelDataView(QWidget* parent)
    : QWidget(parent)
{
    auto* modelBox = new QGroupBox(tr("Model"), this);
    m_models = new QListWidget(modelBox);
    m_models->setObjectName("modelList");
    m_models->setToolTip(tr("Double-click a model to load it"));
    auto* openFolder = new QPushButton(tr("Open folder…"), modelBox);
    openFolder->setObjectName("openModelButton");
    auto* loadSelected = new QPushButton(tr("Load selected"), modelBox);
    m_cardText = new QTextBrowser(modelBox);
    m_cardText->setObjectName("modelCard");
    m_cardText->setPlaceholderText(tr("No model loaded. Pick a demo model or open a Hugging Face folder "
                                      "(config.json, model.safetensors, tokenizer files)."));
    auto* modelButtons = new QHBoxLayout;
    modelButtons->addWidget(loadSelected);
    modelButtons->addWidget(openFolder);
    modelButtons->addStretch();
    auto* modelLayout = new QVBoxLayout(modelBox);
    modelLayout->addWidget(new QLabel(tr("Demo and recent models:"), modelBox));
    modelLayout->addWidget(m_models, 1);
    modelLayout->addLayout(modelButtons);
    modelLayout->addWidget(m_cardText, 2);

    auto* dataBox = new QGroupBox(tr("Data set"), this);
    m_datasets = new QComboBox(dataBox);
    m_datasets->setObjectName("datasetCombo");
    auto* openData = new QPushButton(tr("Open file…"), dataBox);
    auto* useData = new QPushButton(tr("Use"), dataBox);
    useData->setObjectName("useDatasetButton");
    m_datasetSummary = new QLabel(tr("No data set open."), dataBox);
    m_datasetSummary->setObjectName("datasetSummary");
    m_datasetSummary->setWordWrap(true);
    m_tokenPreview = new QTextBrowser(dataBox);
    m_tokenPreview->setObjectName("tokenPreview");
    auto* dataButtons = new QHBoxLayout;
    dataButtons->addWidget(m_datasets, 1);
    dataButtons->addWidget(useData);
    dataButtons->addWidget(openData);
    auto* dataLayout = new QVBoxLayout(dataBox);
    dataLayout->addLayout(dataButtons);
    dataLayout->addWidget(m_datasetSummary);
    dataLayout->addWidget(new QLabel(tr("How the model tokenizes the first document (alternate shading = token boundaries):"), dataBox));
    dataLayout->addWidget(m_tokenPreview, 1);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(modelBox);
    splitter->addWidget(dataBox);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    auto loadItem = [this](QListWidgetItem* item) {
        if (item)
            Q_EMIT modelRequested(item->data(Qt::UserRole).toString());
    };
    connect(m_models, &QListWidget::itemDoubleClicked, this, loadItem);
    connect(loadSelected, &QPushButton::clicked, this, [this, loadItem] { loadItem(m_models->currentItem()); });
    connect(openFolder, &QPushButton::clicked, this, &ModelDataView::chooseModelFolder);
    connect(openData, &QPushButton::clicked, this, &ModelDataView::chooseDataset);
    connect(useData, &QPushButton::clicked, this, [this] {
        const QString path = m_datasets->currentData().toString();
        if (!path.isEmpty())
            Q_EMIT datasetRequested(path);
    });
}

void ModelDataView::setDemoModels(const QList<QPair<QString, QString>>& demos)
{
    m_demos = demos;
    refillModelList();
}

void ModelDataView::setRecentModels(const QStringList& folders)
{
    m_recent = folders;
    refillModelList();
}

void ModelDataView::refillModelList()
{
    m_models->clear();
    for (const auto& demo : m_demos) {
        auto* item = new QListWidgetItem(tr("%1 (demo)").arg(demo.first), m_models);
        item->setData(Qt::UserRole, demo.second);
        item->setToolTip(demo.second);
    }
    for (const QString& folder : m_recent) {
        bool isDemo = false;
        for (const auto& demo : m_demos)
            isDemo = isDemo || QFileInfo(demo.second).canonicalFilePath() == QFileInfo(folder).canonicalFilePath();
        if (isDemo)
            continue;
        auto* item = new QListWidgetItem(tr("%1 (recent)").arg(QFileInfo(folder).fileName()), m_models);
        item->setData(Qt::UserRole, folder);
        item->setToolTip(folder);
    }
    if (m_models->count() > 0)
        m_models->setCurrentRow(0);
}

void ModelDataView::setDatasetShortcuts(const QList<QPair<QString, QString>>& datasets)
{
    m_datasets->clear();
    for (const auto& d : datasets)
        m_datasets->addItem(d.first, d.second);
}

void ModelDataView::chooseModelFolder()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Open a Hugging Face model folder"));
    if (!folder.isEmpty())
        Q_EMIT modelRequested(folder);
}

void ModelDataView::chooseDataset()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("Open a data set"), QString(),
                                                      tr("Text data (*.txt *.jsonl *.raw *.tokens);;All files (*)"));
    if (file.isEmpty())
        return;
    m_datasets->addItem(QFileInfo(file).fileName(), file);
    m_datasets->setCurrentIndex(m_datasets->count() - 1);
    Q_EMIT datasetRequested(file);
}

QString ModelDataView::modelCardText() const
{
    return m_cardText->toPlainText();
}

QString ModelDataView::datasetSummaryText() const
{
    return m_datasetSummary->text();
}

void ModelDataView::setModelCard(const ModelCard& card)
{
    m_card = card;
    const QLocale locale;
    auto row = [](const QString& name, const QString& value) {
        return QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(name.toHtmlEscaped(), value.toHtmlEscaped());
    };
    QString html = QStringLiteral("<h3>%1</h3><table cellspacing='4'>").arg(card.name.toHtmlEscaped());
    html += row(tr("Folder"), card.folder);
    html += row(tr("Architecture"), card.architecture);
    html += row(tr("Parameters"), locale.toString(card.parameters));
    html += row(tr("Layers × hidden × heads"), QStringLiteral("%1 × %2 × %3").arg(card.layers).arg(card.hidden).arg(card.heads));
    html += row(tr("Context"), tr("%1 tokens").arg(card.context));
    html += row(tr("Vocabulary"), tr("%1 (%2)").arg(locale.toString(card.vocabulary), card.tokenizer));
    html += row(tr("Embeddings"), card.tiedEmbeddings ? tr("tied to the LM head") : tr("separate LM head"));
    const QString files = card.weightFiles == 1 ? tr("1 file") : tr("%1 files").arg(card.weightFiles);
    html += row(tr("Stored as"), tr("%1 in %2 (%3, %4)")
                                     .arg(card.storedDtype, card.weightsLayout, files, locale.formattedDataSize(card.bytesOnDisk)));
    html += row(tr("Computes in"), card.weightsLoaded ? tr("%1 on %2").arg(card.computeDtype, card.device)
                                                      : tr("%1 (weights not loaded yet)").arg(card.computeDtype));
    html += row(tr("Memory (weights)"), locale.formattedDataSize(card.memoryBytes));
    html += row(tr("BLAS"), card.blas);
    html += row(tr("Training history"), card.hasRunHistory ? tr("yes (open it in Train)") : tr("none"));
    html += QStringLiteral("</table>");
    m_cardText->setHtml(html);
}

void ModelDataView::setDatasetPreview(const DatasetPreview& preview)
{
    const QLocale locale;
    m_datasetSummary->setText(tr("%1 — %2: %3 documents, %4 characters, %5 tokens under this model's tokenizer.")
                                  .arg(QFileInfo(preview.path).fileName(), preview.format, locale.toString(preview.documents),
                                       locale.toString(preview.characters), locale.toString(preview.tokens)));
    const QColor shades[2] = {palette().color(QPalette::AlternateBase), palette().color(QPalette::Midlight)};
    QString html;
    for (int i = 0; i < preview.previewTokens.size(); ++i) {
        QString text = preview.previewTokens[i].toHtmlEscaped();
        text.replace(' ', QStringLiteral("&nbsp;"));
        text.replace('\n', QStringLiteral("↵<br>"));
        html += QStringLiteral("<span style='background:%1'>%2</span>").arg(shades[i % 2].name(), text);
    }
    m_tokenPreview->setHtml(html);
    if (m_datasets->findData(preview.path) < 0)
        m_datasets->addItem(QFileInfo(preview.path).fileName(), preview.path);
    m_datasets->setCurrentIndex(m_datasets->findData(preview.path));
}

} // namespace emo::widgets
