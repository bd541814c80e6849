#include "compare_view.h"
#include "plot_export.h"

#include "eval/metric_catalog.h"
#include "io/documents.h"

#include <QAbstractTextDocumentLayout>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHelpEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QTextBlock>
#include <QTextBrowser>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace emo::widgets {

namespace {

using emo::generate::ComparedSample;

// Summary table rows; the metric rows carry their metric's catalog name (eval/metric_catalog.h) as key so
// setMetric can find them.
enum SummaryRow { RowMeanOwn, RowCross, RowDataPpl, RowMauve, RowRouge, FixedRows };
const char* const kMauveKey = "mauve";
const char* const kRougeKey = "rouge-l";

// The catalog's label of a metric ("mauve" → "MAUVE"); other names as they are.
QString metricLabel(const QString& key)
{
    const auto* info = emo::eval::findMetric(key.toStdString());
    return info ? QString::fromUtf8(info->label) : key;
}
const QString kDash = QStringLiteral("–");

QString formatProbability(double p)
{
    if (!std::isfinite(p))
        return kDash;
    return p >= 0.001 ? QString::number(p, 'f', 3) : QString::number(p, 'e', 2);
}

QString formatNumber(double v)
{
    if (!std::isfinite(v))
        return kDash;
    return QString::number(v, 'f', std::fabs(v) >= 1000.0 ? 1 : 3);
}

QColor mix(const QColor& a, const QColor& b, double t)
{
    t = std::clamp(t, 0.0, 1.0);
    // 8-bit channels: the colour the HTML (#rrggbb) carries is exactly this one.
    return QColor(qRound(a.red() + (b.red() - a.red()) * t), qRound(a.green() + (b.green() - a.green()) * t),
                  qRound(a.blue() + (b.blue() - a.blue()) * t));
}

// Piecewise-linear through ColorBrewer-like stops, so the light end stays readable under black text.
QColor throughStops(const QColor* stops, int count, double t)
{
    t = std::clamp(t, 0.0, 1.0) * (count - 1);
    const int i = std::min(int(t), count - 2);
    return mix(stops[i], stops[i + 1], t - i);
}

// The token as shown in the text: a newline becomes a visible ↵ followed by the break itself.
QString tokenDisplay(const std::string& text, bool isEos)
{
    QString t = QString::fromStdString(text);
    if (t.isEmpty())
        t = isEos ? QStringLiteral("[EOS]") : QStringLiteral("·");
    return t;
}

QString htmlText(const QString& text)
{
    QString out = text.toHtmlEscaped();
    out.replace(QLatin1Char('\n'), QStringLiteral("↵\n"));
    return out;
}

QString shortName(const std::string& name)
{
    const QString n = QString::fromStdString(name);
    const QString file = QFileInfo(n).fileName();
    return file.isEmpty() ? n : file;
}

} // namespace

CompareView::CompareView(QWidget* parent)
    : QWidget(parent)
{
    // Inputs: the second model, prompts, sampling settings, shading.
    auto* inputs = new QGroupBox(tr("Compare the loaded model (A) with"), this);
    m_otherModel = new QComboBox(inputs);
    m_otherModel->setObjectName("otherModelCombo");
    m_otherModel->setEditable(true);
    m_otherModel->setInsertPolicy(QComboBox::NoInsert);
    m_otherModel->lineEdit()->setPlaceholderText(tr("Second model folder (B)"));
    m_otherModel->setToolTip(tr("A Hugging Face folder with the same tokenizer as the loaded model"));
    auto* browse = new QPushButton(tr("Browse…"), inputs);
    browse->setObjectName("browseOtherButton");
    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(m_otherModel, 1);
    modelRow->addWidget(browse);

    m_prompts = new QPlainTextEdit(inputs);
    m_prompts->setObjectName("promptsEdit");
    m_prompts->setPlaceholderText(tr("One prompt per line"));
    m_prompts->setLineWrapMode(QPlainTextEdit::NoWrap);
    auto* loadPrompts = new QPushButton(tr("Load prompts from file…"), inputs);
    loadPrompts->setObjectName("loadPromptsButton");

    m_samples = new QSpinBox(inputs);
    m_samples->setObjectName("samplesSpin");
    m_samples->setRange(1, 64);
    m_samples->setValue(1);
    m_maxNew = new QSpinBox(inputs);
    m_maxNew->setObjectName("maxNewTokensSpin");
    m_maxNew->setRange(1, 4096);
    m_maxNew->setValue(50);
    m_seed = new QSpinBox(inputs);
    m_seed->setObjectName("seedSpin");
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setToolTip(tr("Both models sample with the same seed"));
    m_mode = new QComboBox(inputs);
    m_mode->setObjectName("modeCombo");
    m_mode->addItem(tr("Ancestral (sample)"), int(generate::SamplingMode::Ancestral));
    m_mode->addItem(tr("Greedy (argmax)"), int(generate::SamplingMode::Greedy));
    m_mode->setToolTip(tr("Ancestral with temperature 1 and no filters is the paper's unbiased sampling"));
    m_temperature = new QDoubleSpinBox(inputs);
    m_temperature->setObjectName("temperatureSpin");
    m_temperature->setRange(0.05, 5.0);
    m_temperature->setSingleStep(0.05);
    m_temperature->setDecimals(2);
    m_temperature->setValue(1.0);
    m_topK = new QSpinBox(inputs);
    m_topK->setObjectName("topKSpin");
    m_topK->setRange(0, 1000000);
    m_topK->setSpecialValueText(tr("off"));
    m_topP = new QDoubleSpinBox(inputs);
    m_topP->setObjectName("topPSpin");
    m_topP->setRange(0.01, 1.0);
    m_topP->setSingleStep(0.05);
    m_topP->setDecimals(2);
    m_topP->setValue(1.0);
    m_topP->setToolTip(tr("1.00 = off"));

    m_shade = new QComboBox(inputs);
    m_shade->setObjectName("shadeCombo");
    m_shade->addItem(tr("probability under the other model"), int(Shading::OtherModel));
    m_shade->addItem(tr("probability under its own model"), int(Shading::OwnModel));
    m_shade->addItem(tr("difference (own − other log-prob)"), int(Shading::Difference));

    m_compare = new QPushButton(tr("Compare"), inputs);
    m_compare->setObjectName("compareButton");
    m_compare->setDefault(true);
    m_status = new QLabel(tr("No comparison yet."), inputs);
    m_status->setObjectName("compareStatus");
    m_status->setWordWrap(true);

    auto* form = new QFormLayout;
    form->addRow(tr("Samples per prompt:"), m_samples);
    form->addRow(tr("Max new tokens:"), m_maxNew);
    form->addRow(tr("Seed:"), m_seed);
    form->addRow(tr("Sampling:"), m_mode);
    form->addRow(tr("Temperature:"), m_temperature);
    form->addRow(tr("Top-k:"), m_topK);
    form->addRow(tr("Top-p:"), m_topP);
    form->addRow(tr("Shade by:"), m_shade);

    auto* inputLayout = new QVBoxLayout(inputs);
    inputLayout->addWidget(new QLabel(tr("Model B:"), inputs));
    inputLayout->addLayout(modelRow);
    inputLayout->addWidget(new QLabel(tr("Prompts:"), inputs));
    inputLayout->addWidget(m_prompts, 1);
    inputLayout->addWidget(loadPrompts);
    inputLayout->addLayout(form);
    inputLayout->addWidget(m_compare);
    inputLayout->addWidget(m_status);

    // Output: summary numbers above the side-by-side continuations.
    auto* output = new QWidget(this);
    m_summary = new QTableWidget(FixedRows, 2, output);
    m_summary->setObjectName("summaryTable");
    m_summary->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_summary->setSelectionMode(QAbstractItemView::NoSelection);
    m_summary->setFocusPolicy(Qt::NoFocus);
    m_summary->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_summary->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_summary->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_summary->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    const QStringList rowTitles = {tr("Mean log-prob per token (own model)"),
                                   tr("Cross-perplexity (under the other model)"), tr("Perplexity on data"),
                                   metricLabel(QLatin1String(kMauveKey)), metricLabel(QLatin1String(kRougeKey))};
    const QStringList rowTips = {
        tr("Mean natural-log probability of each sampled token under the model that sampled it"),
        tr("exp(mean −log p) of the model's samples scored by the other model (A's under B, B's under A)"),
        tr("Perplexity of each model on the data set (when computed)"),
        tr("MAUVE of the samples against the reference texts (filled by an evaluation)"),
        tr("ROUGE-L of the samples against the reference texts (filled by an evaluation)")};
    const char* const keys[] = {"meanOwn", "cross", "dataPerplexity", kMauveKey, kRougeKey};
    for (int r = 0; r < FixedRows; ++r) {
        auto* header = new QTableWidgetItem(rowTitles[r]);
        header->setData(Qt::UserRole, QString::fromLatin1(keys[r]));
        header->setToolTip(rowTips[r]);
        m_summary->setVerticalHeaderItem(r, header);
    }
    fillSummary();

    m_result = new QTextBrowser(output);
    m_result->setObjectName("compareResult");
    m_result->setOpenLinks(false);
    m_result->setPlaceholderText(tr("Pick a second model, type prompts and press Compare: each model's "
                                    "continuations appear side by side, every token shaded by how probable "
                                    "the other model finds it."));
    m_result->viewport()->installEventFilter(this);
    m_result->viewport()->setMouseTracking(true);
    installExportMenu(m_result, [this] { return exportData(); });

    auto* outputLayout = new QVBoxLayout(output);
    outputLayout->setContentsMargins(0, 0, 0, 0);
    outputLayout->addWidget(m_summary);
    outputLayout->addWidget(m_result, 1);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(inputs);
    splitter->addWidget(output);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({320, 880});
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    connect(browse, &QPushButton::clicked, this, &CompareView::chooseOtherFolder);
    connect(loadPrompts, &QPushButton::clicked, this, &CompareView::choosePromptFile);
    connect(m_compare, &QPushButton::clicked, this, &CompareView::requestCompare);
    connect(m_mode, &QComboBox::currentIndexChanged, this, [this] { updateEnabled(); });
    connect(m_shade, &QComboBox::currentIndexChanged, this,
            [this] { setShading(Shading(m_shade->currentData().toInt())); });
    updateEnabled();
}

void CompareView::setModelChoices(const QList<QPair<QString, QString>>& choices)
{
    const QString current = m_otherModel->currentText();
    m_otherModel->clear();
    for (const auto& [name, folder] : choices) {
        m_otherModel->addItem(name, folder);
        m_otherModel->setItemData(m_otherModel->count() - 1, folder, Qt::ToolTipRole);
    }
    m_otherModel->setCurrentIndex(-1);
    m_otherModel->setEditText(current);
}

QString CompareView::otherFolder() const
{
    // A listed name stands for its folder; anything else typed is a folder path.
    const QString text = m_otherModel->currentText().trimmed();
    const int index = m_otherModel->findText(text);
    if (index >= 0)
        return m_otherModel->itemData(index).toString();
    return text;
}

QStringList CompareView::prompts() const
{
    QStringList out;
    for (const QString& line : m_prompts->toPlainText().split(QLatin1Char('\n'))) {
        if (!line.trimmed().isEmpty())
            out << line;
    }
    return out;
}

void CompareView::setPrompts(const QStringList& prompts)
{
    m_prompts->setPlainText(prompts.join(QLatin1Char('\n')));
}

generate::SampleSettings CompareView::settings() const
{
    generate::SampleSettings s;
    s.samplesPerPrompt = m_samples->value();
    s.maxNewTokens = m_maxNew->value();
    s.seed = uint64_t(m_seed->value());
    s.mode = generate::SamplingMode(m_mode->currentData().toInt());
    s.temperature = m_temperature->value();
    s.topK = m_topK->value();
    s.topP = m_topP->value();
    return s;
}

bool CompareView::loadPromptsFromFile(const QString& path, QString* error)
{
    std::vector<std::string> read;
    try {
        read = emo::io::readPrompts(QFile::encodeName(path).toStdString());
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
    QStringList out;
    for (const std::string& prompt : read) {
        // The prompt box holds one prompt per line, so a multi-line prompt is joined with spaces.
        out << QString::fromStdString(prompt).replace(QLatin1Char('\n'), QLatin1Char(' '));
    }
    setPrompts(out);
    return true;
}

void CompareView::chooseOtherFolder()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Second model folder"), otherFolder());
    if (!folder.isEmpty())
        m_otherModel->setEditText(folder);
}

void CompareView::choosePromptFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Load prompts"), QString(),
                                                      tr("Prompts (*.txt *.jsonl);;All files (*)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!loadPromptsFromFile(path, &error))
        QMessageBox::warning(this, tr("Load prompts"), error);
}

void CompareView::requestCompare()
{
    const QString other = otherFolder();
    const QStringList list = prompts();
    if (other.isEmpty()) {
        m_status->setText(tr("Choose the second model (B) first."));
        return;
    }
    if (list.isEmpty()) {
        m_status->setText(tr("Type at least one prompt."));
        return;
    }
    Q_EMIT compareRequested(other, list, settings());
}

void CompareView::setBusy(bool busy)
{
    m_busy = busy;
    if (busy)
        m_status->setText(tr("Comparing…"));
    updateEnabled();
}

void CompareView::updateEnabled()
{
    m_compare->setEnabled(!m_busy);
    const bool ancestral = generate::SamplingMode(m_mode->currentData().toInt()) == generate::SamplingMode::Ancestral;
    m_temperature->setEnabled(ancestral);
    m_topK->setEnabled(ancestral);
    m_topP->setEnabled(ancestral);
}

void CompareView::setShading(Shading shading)
{
    m_shading = shading;
    const int index = m_shade->findData(int(shading));
    if (index != m_shade->currentIndex()) {
        m_shade->setCurrentIndex(index);  // re-enters through the combo's signal
        return;
    }
    updateScale();
    renderResult();
}

const ComparedSample* CompareView::sampleAt(Side side, int sample) const
{
    const auto& list = side == Side::A ? m_comparison.a : m_comparison.b;
    return sample >= 0 && size_t(sample) < list.size() ? &list[size_t(sample)] : nullptr;
}

double CompareView::shadeValue(Side side, int sample, int token) const
{
    const ComparedSample* s = sampleAt(side, sample);
    if (!s || token < 0)
        return std::numeric_limits<double>::quiet_NaN();
    const size_t t = size_t(token);
    const double own = t < s->sample.modelLogprobs.size() ? s->sample.modelLogprobs[t] : std::numeric_limits<double>::quiet_NaN();
    const double other = t < s->otherLogprobs.size() ? s->otherLogprobs[t] : std::numeric_limits<double>::quiet_NaN();
    switch (m_shading) {
    case Shading::OtherModel: return other;
    case Shading::OwnModel: return own;
    case Shading::Difference: return own - other;
    }
    return std::numeric_limits<double>::quiet_NaN();
}

void CompareView::updateScale()
{
    // One scale over both models, so equal colours mean equal values on either side.
    double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
    for (Side side : {Side::A, Side::B}) {
        const auto& list = side == Side::A ? m_comparison.a : m_comparison.b;
        for (size_t i = 0; i < list.size(); ++i) {
            for (size_t t = 0; t < list[i].sample.tokenIds.size(); ++t) {
                const double v = shadeValue(side, int(i), int(t));
                if (std::isfinite(v)) {
                    lo = std::min(lo, v);
                    hi = std::max(hi, v);
                }
            }
        }
    }
    if (!std::isfinite(lo)) {
        lo = hi = 0.0;
    }
    if (m_shading == Shading::Difference) {
        const double m = std::max(std::fabs(lo), std::fabs(hi));
        m_scaleMin = -m;
        m_scaleMax = m;
    } else {
        // Log-probs: p = 1 (log 0) is white, the least probable token shown is the full colour.
        m_scaleMin = std::min(lo, 0.0);
        m_scaleMax = 0.0;
    }
}

QColor CompareView::sequentialColor(double fraction)
{
    static const QColor stops[] = {QColor(0xff, 0xff, 0xff), QColor(0xfe, 0xe6, 0xce), QColor(0xfd, 0xae, 0x6b),
                                   QColor(0xf1, 0x69, 0x13)};
    return throughStops(stops, 4, fraction);
}

QColor CompareView::divergingColor(double fraction)
{
    // Negative (the other model likes the token more than its own model): blue; positive: orange.
    static const QColor blues[] = {QColor(0xff, 0xff, 0xff), QColor(0xc6, 0xdb, 0xef), QColor(0x6b, 0xae, 0xd6)};
    if (fraction < 0.0)
        return throughStops(blues, 3, -fraction);
    return sequentialColor(fraction);
}

QColor CompareView::tokenColor(Side side, int sample, int token) const
{
    const double v = shadeValue(side, sample, token);
    if (!std::isfinite(v))
        return QColor(Qt::white);
    if (m_shading == Shading::Difference)
        return divergingColor(m_scaleMax > 0.0 ? v / m_scaleMax : 0.0);
    return sequentialColor(m_scaleMin < 0.0 ? v / m_scaleMin : 0.0);
}

QString CompareView::modelName(Side side) const
{
    const std::string& name = side == Side::A ? m_comparison.modelA : m_comparison.modelB;
    const QString n = shortName(name);
    return n.isEmpty() ? (side == Side::A ? tr("model A") : tr("model B")) : n;
}

QString CompareView::tokenToolTip(Side side, int sample, int token) const
{
    const ComparedSample* s = sampleAt(side, sample);
    if (!s || token < 0 || size_t(token) >= s->sample.tokenIds.size())
        return {};
    const size_t t = size_t(token);
    const double own = t < s->sample.modelLogprobs.size() ? s->sample.modelLogprobs[t] : std::nan("");
    const double other = t < s->otherLogprobs.size() ? s->otherLogprobs[t] : std::nan("");
    const bool isEos = s->sample.finishedByEos && t + 1 == s->sample.tokenIds.size();
    const QString text = t < s->tokenTexts.size() ? tokenDisplay(s->tokenTexts[t], isEos) : QString();
    const Side otherSide = side == Side::A ? Side::B : Side::A;
    QString visible = text.toHtmlEscaped();
    visible.replace(QLatin1Char(' '), QStringLiteral("␣")).replace(QLatin1Char('\n'), QStringLiteral("↵"));
    return tr("<b>%1</b> (token %2)<br/>p under its own model (%3): %4<br/>p under the other model (%5): %6"
              "<br/>own − other log-prob: %7 nats")
        .arg(visible)
        .arg(token + 1)
        .arg(modelName(side).toHtmlEscaped(), formatProbability(std::exp(own)),
             modelName(otherSide).toHtmlEscaped(), formatProbability(std::exp(other)))
        .arg(std::isfinite(own - other) ? QString::asprintf("%+.3f", own - other) : kDash);
}

QString CompareView::legendHtml() const
{
    // One short line (title, ends of the scale, swatches) and a note on reading it, so it never forces a
    // horizontal scroll bar at narrow widths.
    QString title, left, right, note;
    const bool diverging = m_shading == Shading::Difference;
    switch (m_shading) {
    case Shading::OtherModel:
        title = tr("Probability under the other model");
        note = tr("Orange: tokens the other model finds improbable (surprising to it). Hover a token for both probabilities.");
        break;
    case Shading::OwnModel:
        title = tr("Probability under its own model");
        note = tr("Orange: tokens the sampling model itself found improbable. Hover a token for both probabilities.");
        break;
    case Shading::Difference:
        title = tr("Own − other log-prob");
        note = tr("Orange: more probable under its own model than under the other (surprising to the other model); "
                  "blue: the other model finds it more probable.");
        break;
    }
    if (diverging) {
        left = QString::asprintf("%+.2f", m_scaleMin);
        right = tr("%1 nats").arg(QString::asprintf("%+.2f", m_scaleMax));
    } else {
        left = tr("p = 1");
        right = tr("p = %1").arg(formatProbability(std::exp(m_scaleMin)));
    }
    QString swatches;
    const int steps = 12;
    for (int i = 0; i < steps; ++i) {
        const double f = double(i) / (steps - 1);
        const QColor c = diverging ? divergingColor(2.0 * f - 1.0) : sequentialColor(f);
        swatches += QStringLiteral("<td width=\"14\" bgcolor=\"%1\">&nbsp;</td>").arg(c.name());
    }
    return QStringLiteral("<table cellspacing=\"0\" cellpadding=\"2\"><tr>"
                          "<td style=\"white-space:nowrap\"><b>%1</b>&nbsp;&nbsp;&nbsp;</td>"
                          "<td style=\"white-space:nowrap; color:#555\">%2&nbsp;</td>%3"
                          "<td style=\"white-space:nowrap; color:#555\">&nbsp;%4</td></tr></table>"
                          "<p style=\"margin-top:2px; margin-bottom:6px; color:#777; font-size:small\">%5</p>")
        .arg(title.toHtmlEscaped(), left.toHtmlEscaped(), swatches, right.toHtmlEscaped(), note.toHtmlEscaped());
}

QString CompareView::sampleHtml(Side side, int sample) const
{
    const ComparedSample* s = sampleAt(side, sample);
    if (!s)
        return QString();
    // The prompt in grey, then each token on its own background; pre-wrap keeps the tokens' spaces.
    QString html = QStringLiteral("<p style=\"white-space:pre-wrap; margin:0\"><span style=\"color:#8a8a8a\">%1</span>")
                       .arg(htmlText(QString::fromStdString(s->sample.prompt)));
    const size_t n = s->sample.tokenIds.size();
    for (size_t t = 0; t < n; ++t) {
        const bool isEos = s->sample.finishedByEos && t + 1 == n;
        const QString text = t < s->tokenTexts.size() ? tokenDisplay(s->tokenTexts[t], isEos) : QStringLiteral("·");
        const QColor c = tokenColor(side, sample, int(t));
        html += QStringLiteral("<span style=\"background-color:%1%2\" title=\"%3\">%4</span>")
                    .arg(c.name(), isEos ? QStringLiteral("; color:#777; font-size:small") : QString(),
                         tokenToolTip(side, sample, int(t)).toHtmlEscaped(), htmlText(text));
    }
    html += QStringLiteral("</p>");
    return html;
}

void CompareView::renderResult()
{
    if (!m_hasComparison) {
        m_result->clear();
        return;
    }
    const int scroll = m_result->verticalScrollBar()->value();
    QString html = QStringLiteral("<html><body>") + legendHtml();
    html += QStringLiteral("<table width=\"100%\" cellspacing=\"0\" cellpadding=\"6\" border=\"0\">"
                           "<tr><th width=\"50%\" align=\"left\" style=\"border-bottom:1px solid #999\">%1</th>"
                           "<th width=\"50%\" align=\"left\" style=\"border-bottom:1px solid #999\">%2</th></tr>")
                .arg(tr("A · %1").arg(modelName(Side::A)).toHtmlEscaped(),
                     tr("B · %1").arg(modelName(Side::B)).toHtmlEscaped());
    const size_t rows = std::max(m_comparison.a.size(), m_comparison.b.size());
    int64_t lastPrompt = -1;
    // Samples are numbered only when there are several per prompt.
    const bool several = std::any_of(m_comparison.a.begin(), m_comparison.a.end(),
                                     [](const ComparedSample& c) { return c.sample.sampleIndex > 0; });
    for (size_t i = 0; i < rows; ++i) {
        const ComparedSample* ref = sampleAt(Side::A, int(i)) ? sampleAt(Side::A, int(i)) : sampleAt(Side::B, int(i));
        if (ref->sample.promptIndex != lastPrompt) {
            lastPrompt = ref->sample.promptIndex;
            html += QStringLiteral("<tr><td colspan=\"2\" bgcolor=\"#eef1f5\" style=\"color:#333\"><b>%1</b></td></tr>")
                        .arg(tr("Prompt %1").arg(lastPrompt + 1).toHtmlEscaped());
        }
        QString label;
        if (several)
            label = QStringLiteral("<p style=\"margin:0; color:#999; font-size:small\">%1</p>")
                        .arg(tr("sample %1").arg(ref->sample.sampleIndex + 1).toHtmlEscaped());
        html += QStringLiteral("<tr><td valign=\"top\">%1%2</td><td valign=\"top\">%1%3</td></tr>")
                    .arg(label, sampleHtml(Side::A, int(i)), sampleHtml(Side::B, int(i)));
    }
    html += QStringLiteral("</table></body></html>");
    m_result->setHtml(html);
    m_result->verticalScrollBar()->setValue(scroll);
}

double CompareView::meanOwnLogprob(const std::vector<ComparedSample>& samples)
{
    double sum = 0.0;
    size_t count = 0;
    for (const ComparedSample& s : samples) {
        for (double lp : s.sample.modelLogprobs) {
            sum += lp;
            ++count;
        }
    }
    return count ? sum / double(count) : std::numeric_limits<double>::quiet_NaN();
}

void CompareView::fillSummary()
{
    m_summary->setHorizontalHeaderLabels({m_hasComparison ? tr("A · %1").arg(modelName(Side::A)) : tr("Model A"),
                                          m_hasComparison ? tr("B · %1").arg(modelName(Side::B)) : tr("Model B")});
    m_summary->setRowCount(FixedRows + int(std::count_if(m_metrics.keyBegin(), m_metrics.keyEnd(), [](const QString& k) {
                               return k != QLatin1String(kMauveKey) && k != QLatin1String(kRougeKey);
                           })));
    auto set = [this](int row, int column, const QString& text, const QString& tip = QString()) {
        auto* item = new QTableWidgetItem(text);
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        item->setToolTip(tip);
        m_summary->setItem(row, column, item);
    };
    for (int column = 0; column < 2; ++column) {
        const Side side = column == 0 ? Side::A : Side::B;
        const auto& samples = side == Side::A ? m_comparison.a : m_comparison.b;
        if (!m_hasComparison) {
            for (int r = 0; r < FixedRows; ++r)
                set(r, column, kDash);
            continue;
        }
        set(RowMeanOwn, column, formatNumber(meanOwnLogprob(samples)));
        // The core's number when it sent one; else the same formula over the samples shown.
        const double given = side == Side::A ? m_comparison.crossPerplexityAUnderB : m_comparison.crossPerplexityBUnderA;
        const double fromSamples = emo::generate::crossPerplexity(samples);
        set(RowCross, column, formatNumber(given > 0.0 ? given : fromSamples),
            tr("%1's samples scored by %2; from the tokens shown: %3")
                .arg(modelName(side), modelName(side == Side::A ? Side::B : Side::A), formatNumber(fromSamples)));
        const double ppl = side == Side::A ? m_comparison.perplexityA : m_comparison.perplexityB;
        set(RowDataPpl, column, ppl > 0.0 ? formatNumber(ppl) : kDash);
    }
    // Metric rows: the two placeholders, then any other metric in name order.
    int extra = FixedRows;
    for (auto it = m_metrics.cbegin(); it != m_metrics.cend(); ++it) {
        int row = it.key() == QLatin1String(kMauveKey) ? RowMauve : it.key() == QLatin1String(kRougeKey) ? RowRouge : -1;
        if (row < 0) {
            row = extra++;
            auto* header = new QTableWidgetItem(metricLabel(it.key()));
            header->setData(Qt::UserRole, it.key());
            m_summary->setVerticalHeaderItem(row, header);
        }
        set(row, 0, it.value().first.isEmpty() ? kDash : it.value().first);
        set(row, 1, it.value().second.isEmpty() ? kDash : it.value().second);
    }
    for (const char* key : {kMauveKey, kRougeKey}) {
        if (!m_metrics.contains(QLatin1String(key))) {
            const int row = QLatin1String(key) == QLatin1String(kMauveKey) ? RowMauve : RowRouge;
            set(row, 0, kDash);
            set(row, 1, kDash);
        }
    }
    // Tall enough for every row, no scroll bar.
    int height = m_summary->horizontalHeader()->sizeHint().height() + 2 * m_summary->frameWidth();
    for (int r = 0; r < m_summary->rowCount(); ++r)
        height += m_summary->verticalHeader()->sectionSizeHint(r);
    m_summary->setFixedHeight(height);
}

QString CompareView::summaryText(int row, int column) const
{
    const QTableWidgetItem* item = m_summary->item(row, column);
    return item ? item->text() : QString();
}

int CompareView::summaryRow(const QString& metric) const
{
    for (int r = 0; r < m_summary->rowCount(); ++r) {
        const QTableWidgetItem* header = m_summary->verticalHeaderItem(r);
        if (header && (header->data(Qt::UserRole).toString().compare(metric, Qt::CaseInsensitive) == 0 ||
                       header->text().compare(metric, Qt::CaseInsensitive) == 0))
            return r;
    }
    return -1;
}

void CompareView::setMetric(const QString& model, const QString& metric, double value)
{
    const QString a = QString::fromStdString(m_comparison.modelA), b = QString::fromStdString(m_comparison.modelB);
    // A folder path names the model whose folder name (or path) the comparison shows.
    const QString modelName = shortName(model.toStdString());
    // The same folder on both sides (a model compared with itself) fills both columns.
    auto names = [&](const QString& side, const QString& folder) {
        return model.compare(side, Qt::CaseInsensitive) == 0 ||
               (!folder.isEmpty() && (model == folder || model == shortName(folder.toStdString()) ||
                                      modelName == shortName(folder.toStdString())));
    };
    const bool isA = names(QStringLiteral("A"), a), isB = names(QStringLiteral("B"), b);
    if (!isA && !isB)
        return;  // neither model of the comparison shown
    // A catalog metric under its catalog name whatever the case, so "MAUVE" fills the row of "mauve".
    QString key = metric;
    for (const auto& info : emo::eval::metricCatalog())
        if (metric.compare(QLatin1String(info.name), Qt::CaseInsensitive) == 0)
            key = QLatin1String(info.name);
    auto& cell = m_metrics[key];
    if (isA)
        cell.first = QString::number(value, 'f', 3);
    if (isB)
        cell.second = QString::number(value, 'f', 3);
    fillSummary();
}

void CompareView::setComparison(const emo::generate::ModelComparison& comparison)
{
    m_comparison = comparison;
    m_hasComparison = true;
    m_metrics.clear();  // evaluations of the previous samples no longer apply
    const int64_t promptCount = comparison.a.empty() ? 0 : comparison.a.back().sample.promptIndex + 1;
    m_status->setText(tr("%1 continuations per model for %2 prompts.").arg(comparison.a.size()).arg(promptCount));
    updateScale();
    fillSummary();
    renderResult();
}

bool CompareView::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_result->viewport() && event->type() == QEvent::ToolTip) {
        // The character under the mouse (not the nearest cursor gap) decides the token.
        auto* help = static_cast<QHelpEvent*>(event);
        const QPointF docPos = QPointF(help->pos()) + QPointF(m_result->horizontalScrollBar()->value(),
                                                              m_result->verticalScrollBar()->value());
        const int position = m_result->document()->documentLayout()->hitTest(docPos, Qt::ExactHit);
        QString tip;
        if (position >= 0) {
            QTextCursor cursor(m_result->document());
            cursor.setPosition(position);
            cursor.movePosition(QTextCursor::NextCharacter);
            tip = cursor.charFormat().toolTip();
        }
        if (tip.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), tip, m_result->viewport());
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

QWidget* CompareView::exportWidget()
{
    return m_result;
}

DataTable CompareView::exportData() const
{
    DataTable table;
    table.title = tr("Compare: %1 vs %2").arg(modelName(Side::A), modelName(Side::B));
    table.columns = {QStringLiteral("model"), QStringLiteral("prompt_index"), QStringLiteral("sample_index"),
                     QStringLiteral("position"), QStringLiteral("token"), QStringLiteral("own_logprob"),
                     QStringLiteral("other_logprob")};
    for (Side side : {Side::A, Side::B}) {
        const auto& list = side == Side::A ? m_comparison.a : m_comparison.b;
        const QString name = modelName(side);
        for (const ComparedSample& s : list) {
            for (size_t t = 0; t < s.sample.tokenIds.size(); ++t) {
                table.rows.append({name, qlonglong(s.sample.promptIndex), qlonglong(s.sample.sampleIndex), qlonglong(t),
                                   t < s.tokenTexts.size() ? QString::fromStdString(s.tokenTexts[t]) : QString(),
                                   t < s.sample.modelLogprobs.size() ? QVariant(s.sample.modelLogprobs[t]) : QVariant(),
                                   t < s.otherLogprobs.size() ? QVariant(s.otherLogprobs[t]) : QVariant()});
            }
        }
    }
    return table;
}

} // namespace emo::widgets
