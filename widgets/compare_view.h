#pragma once
#include "exportable_view.h"
#include "core_metatypes.h"  // SampleSettings / ModelComparison metatypes for the signal and slot

#include <QColor>
#include <QList>
#include <QMap>
#include <QPair>
#include <QStringList>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTextBrowser;

namespace emo::widgets {

// View 5, "Compare": the loaded model (A) and a second model (B) continue the same prompts with the same
// settings and seed; the continuations stand side by side, every token shaded by its probability under
// the other model, under its own model, or by the difference of the two log-probs, with a summary table
// (mean own log-prob, cross-perplexity, perplexity on data, and MAUVE / ROUGE-L filled in later).
class CompareView : public QWidget, public ExportableView {
    Q_OBJECT
public:
    // OtherModel: p under the other model. OwnModel: p under the model that sampled it. Difference:
    // own − other log-prob (positive = surprising to the other model), on a diverging scale.
    enum class Shading { OtherModel, OwnModel, Difference };
    Q_ENUM(Shading)
    enum class Side { A, B };

    explicit CompareView(QWidget* parent = nullptr);

    // Names shown in the second-model combo (name → folder), e.g. the bundled demo models.
    void setModelChoices(const QList<QPair<QString, QString>>& choices);
    QString otherFolder() const;   // the folder the combo / line edit names
    QStringList prompts() const;   // the non-empty lines of the prompt box
    void setPrompts(const QStringList& prompts);
    emo::generate::SampleSettings settings() const;
    // One prompt per line, or JSONL whose objects carry "text" or "prompt"; false and *error on failure.
    bool loadPromptsFromFile(const QString& path, QString* error = nullptr);

    void setShading(Shading shading);
    Shading shading() const { return m_shading; }
    const emo::generate::ModelComparison& comparison() const { return m_comparison; }

    // Test access to what is drawn. `sample` indexes ModelComparison::a or ::b.
    double shadeValue(Side side, int sample, int token) const;   // the measure the colour encodes
    QColor tokenColor(Side side, int sample, int token) const;
    double scaleMin() const { return m_scaleMin; }               // of the measure, over both models
    double scaleMax() const { return m_scaleMax; }
    QString tokenToolTip(Side side, int sample, int token) const;
    // The colour map: fraction 0..1 of the sequential scale (white → orange), or −1..1 of the diverging one.
    static QColor sequentialColor(double fraction);
    static QColor divergingColor(double fraction);
    // Mean log-probability of the samples under their own model (cross-perplexity: generate::crossPerplexity).
    static double meanOwnLogprob(const std::vector<emo::generate::ComparedSample>& samples);
    QString summaryText(int row, int column) const;   // what the summary table shows
    int summaryRow(const QString& metric) const;      // −1 when no such row
    bool isBusy() const { return m_busy; }

    QWidget* exportWidget() override;
    DataTable exportData() const override;

public Q_SLOTS:
    void setComparison(const emo::generate::ModelComparison& comparison);
    void setBusy(bool busy);
    // `model`: "A", "B" or either model's name; `metric`: a row title such as "MAUVE" or "ROUGE-L" (a new
    // row is added for any other name). Cleared by the next setComparison.
    void setMetric(const QString& model, const QString& metric, double value);
    void chooseOtherFolder();
    void choosePromptFile();
    void requestCompare();

Q_SIGNALS:
    void compareRequested(const QString& otherFolder, const QStringList& prompts,
                          const emo::generate::SampleSettings& settings);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;  // token tooltips on the result area

private:
    const emo::generate::ComparedSample* sampleAt(Side side, int sample) const;
    void updateScale();
    void renderResult();
    void fillSummary();
    QString legendHtml() const;
    QString sampleHtml(Side side, int sample) const;
    QString modelName(Side side) const;
    void updateEnabled();

    emo::generate::ModelComparison m_comparison;
    bool m_hasComparison = false;
    Shading m_shading = Shading::OtherModel;
    double m_scaleMin = 0.0;
    double m_scaleMax = 0.0;
    bool m_busy = false;
    QMap<QString, QPair<QString, QString>> m_metrics;  // metric row title → (A text, B text)

    QComboBox* m_otherModel = nullptr;
    QPlainTextEdit* m_prompts = nullptr;
    QSpinBox* m_samples = nullptr;
    QSpinBox* m_maxNew = nullptr;
    QSpinBox* m_seed = nullptr;
    QComboBox* m_mode = nullptr;
    QDoubleSpinBox* m_temperature = nullptr;
    QSpinBox* m_topK = nullptr;
    QDoubleSpinBox* m_topP = nullptr;
    QComboBox* m_shade = nullptr;
    QPushButton* m_compare = nullptr;
    QLabel* m_status = nullptr;
    QTableWidget* m_summary = nullptr;
    QTextBrowser* m_result = nullptr;
};

} // namespace emo::widgets
