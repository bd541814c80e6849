// The Compare view (view 5): token shading against extremes found by hand, the summary numbers against
// hand-summed log-probs, the compareRequested signal, prompt files, the export table, setMetric, and a
// screenshot of a realistic two-model comparison.
#include "compare_view.h"
#include "core_metatypes.h"
#include "support/test_paths.h"

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextDocument>
#include <QToolTip>
#include <QtTest>

#include <cmath>

using emo::generate::ComparedSample;
using emo::generate::ModelComparison;
using emo::widgets::CompareView;
using Side = CompareView::Side;
using Shading = CompareView::Shading;

namespace {

ComparedSample makeSample(int prompt, const std::string& promptText, std::vector<std::string> tokens,
                          std::vector<double> own, std::vector<double> other, bool eos = false)
{
    ComparedSample s;
    s.sample.promptIndex = prompt;
    s.sample.sampleIndex = 0;
    s.sample.prompt = promptText;
    for (size_t i = 0; i < tokens.size(); ++i) {
        s.sample.tokenIds.push_back(int64_t(100 + i));
        s.sample.text += tokens[i];
    }
    s.sample.modelLogprobs = own;
    s.sample.logprobs = own;
    s.sample.finishedByEos = eos;
    s.tokenTexts = std::move(tokens);
    s.otherLogprobs = std::move(other);
    return s;
}

// 2 prompts × 1 sample per model. By hand:
//   lowest other-model log-prob: B sample 1, token 1 (" story", −6.2; next lowest −5.9)
//   lowest own-model log-prob:   A sample 0, token 6 (" breeze", −5.1; next lowest −2.6)
//   largest |own − other|:       A sample 1, token 4 (" sea", −0.8 − (−5.9) = 5.1; next 3.7)
//   A's other log-probs sum to −(15.0 + 11.4) = −26.4 over 13 tokens; B's to −(12.2 + 14.7) = −26.9 over 13.
//   A's own log-probs sum to −(12.7 + 5.4) = −18.1; B's to −(8.7 + 7.2) = −15.9.
const double kCrossAUnderB = std::exp(26.4 / 13.0);
const double kCrossBUnderA = std::exp(26.9 / 13.0);
const double kMeanOwnA = -18.1 / 13.0;
const double kMeanOwnB = -15.9 / 13.0;

ModelComparison handMade()
{
    ModelComparison c;
    c.modelA = "/models/gpt2-emo";
    c.modelB = "/models/gpt2-mle";
    c.a.push_back(makeSample(0, "The weather today is", {" sunny", " and", " warm", " with", " a", " light", " breeze"},
                             {-1.2, -0.4, -2.1, -1.0, -0.3, -2.6, -5.1}, {-3.4, -0.5, -2.0, -1.5, -0.2, -3.0, -4.4}));
    c.a.push_back(makeSample(1, "My favourite book is", {" a", " novel", " about", " the", " sea", "."},
                             {-0.9, -1.8, -1.1, -0.2, -0.8, -0.6}, {-1.0, -2.2, -1.3, -0.3, -5.9, -0.7}));
    c.b.push_back(makeSample(0, "The weather today is", {" cold", " and", " rainy", " in", " the", " north"},
                             {-2.3, -0.6, -1.7, -1.4, -0.5, -2.2}, {-4.1, -0.9, -2.5, -1.2, -0.4, -3.1}));
    c.b.push_back(makeSample(1, "My favourite book is", {" the", " story", " of", " my", " life", ".", "<|endoftext|>"},
                             {-0.7, -2.5, -0.3, -1.9, -0.8, -0.4, -0.6}, {-1.1, -6.2, -0.4, -2.8, -1.7, -0.9, -1.6},
                             true));
    c.crossPerplexityAUnderB = kCrossAUnderB;  // as the core sends it
    c.crossPerplexityBUnderA = 0.0;            // not sent: the view computes it from the samples
    return c;
}

struct TokenRef {
    Side side;
    int sample;
    int token;
};

// Every token whose colour is the far end of the scale.
QList<TokenRef> extremeTokens(const CompareView& view, const QColor& extreme)
{
    QList<TokenRef> out;
    const ModelComparison& c = view.comparison();
    for (Side side : {Side::A, Side::B}) {
        const auto& list = side == Side::A ? c.a : c.b;
        for (int i = 0; i < int(list.size()); ++i)
            for (int t = 0; t < int(list[size_t(i)].sample.tokenIds.size()); ++t)
                if (view.tokenColor(side, i, t) == extreme)
                    out.append({side, i, t});
    }
    return out;
}

// The background and tooltip of the text fragment that shows `text` in the rendered document.
bool findFragment(const QTextDocument* doc, const QString& text, const QString& tooltipNeedle, QColor* background,
                  QString* tooltip, int* position = nullptr)
{
    for (QTextBlock block = doc->begin(); block.isValid(); block = block.next()) {
        for (auto it = block.begin(); !it.atEnd(); ++it) {
            const QTextFragment f = it.fragment();
            if (f.text() == text && f.charFormat().toolTip().contains(tooltipNeedle)) {
                *background = f.charFormat().background().color();
                *tooltip = f.charFormat().toolTip();
                if (position)
                    *position = f.position();
                return true;
            }
        }
    }
    return false;
}

void setHandMetrics(CompareView& view)
{
    view.setMetric("A", "MAUVE", 0.873);
    view.setMetric("/models/gpt2-mle", "rouge-l", 0.41);
    view.setMetric("gpt2-mle", "MAUVE", 0.655);
    view.setMetric("unknown-model", "MAUVE", 0.1);  // ignored
    view.setMetric("B", "BLEU", 12.5);               // a new row
    view.setMetric("A", "rouge-1", 0.5);             // a new row under the catalog's label
}

double cell(const CompareView& view, const QString& metric, int column)
{
    bool ok = false;
    const double v = view.summaryText(view.summaryRow(metric), column).toDouble(&ok);
    return ok ? v : std::nan("");
}

} // namespace

class TestCompareView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { emo::widgets::registerCoreMetatypes(); }
    void shadingExtremes_data();
    void shadingExtremes();
    void otherModelShades();
    void differenceIsSymmetric();
    void renderedColoursAndTooltips();
    void summaryNumbers();
    void compareRequestedCarriesInputs();
    void promptsFromFiles();
    void exportRows();
    void metrics_data();
    void metrics();
    void newComparisonClearsMetrics();
    void screenshot();
};

void TestCompareView::shadingExtremes_data()
{
    // The extremes of handMade(), found by hand there. The difference is diverging over [−5.1, 5.1].
    QTest::addColumn<int>("comboIndex");
    QTest::addColumn<int>("shading");
    QTest::addColumn<int>("side");
    QTest::addColumn<int>("sample");
    QTest::addColumn<int>("token");
    QTest::addColumn<double>("scaleMin");
    QTest::newRow("other model (the default)") << 0 << int(Shading::OtherModel) << int(Side::B) << 1 << 1 << -6.2;
    QTest::newRow("own model") << 1 << int(Shading::OwnModel) << int(Side::A) << 0 << 6 << -5.1;
    QTest::newRow("difference") << 2 << int(Shading::Difference) << int(Side::A) << 1 << 4 << -5.1;
}

void TestCompareView::shadingExtremes()
{
    QFETCH(int, comboIndex);
    QFETCH(int, shading);
    QFETCH(int, side);
    QFETCH(int, sample);
    QFETCH(int, token);
    QFETCH(double, scaleMin);
    CompareView view;
    view.setComparison(handMade());
    QCOMPARE(view.shading(), Shading::OtherModel);
    auto* combo = view.findChild<QComboBox*>("shadeCombo");
    QVERIFY(combo);
    combo->setCurrentIndex(comboIndex);
    QCOMPARE(view.shading(), Shading(shading));
    // Exactly one token at the far end of the scale.
    const QList<TokenRef> ext = extremeTokens(view, CompareView::sequentialColor(1.0));
    QCOMPARE(ext.size(), 1);
    QVERIFY(ext[0].side == Side(side) && ext[0].sample == sample && ext[0].token == token);
    QVERIFY2(std::fabs(view.scaleMin() - scaleMin) < 1e-12, qPrintable(QString::number(view.scaleMin(), 'g', 17)));
}

void TestCompareView::otherModelShades()
{
    CompareView view;
    view.setComparison(handMade());
    QCOMPARE(view.tokenColor(Side::A, 0, 4), CompareView::sequentialColor(0.2 / 6.2));  // p = e^−0.2, nearly white
    QVERIFY(view.tokenColor(Side::A, 0, 4).lightness() > view.tokenColor(Side::A, 0, 0).lightness());
}

void TestCompareView::differenceIsSymmetric()
{
    CompareView view;
    view.setComparison(handMade());
    view.findChild<QComboBox*>("shadeCombo")->setCurrentIndex(2);
    QCOMPARE(view.shading(), Shading::Difference);
    QVERIFY(std::fabs(view.scaleMax() - 5.1) < 1e-12);
    QVERIFY(std::fabs(view.scaleMin() + 5.1) < 1e-12);
    // A token the other model likes more than its own (−0.7 at A0 t6) is on the blue side.
    const QColor neg = view.tokenColor(Side::A, 0, 6);
    QVERIFY(neg.blue() > neg.red());
}

void TestCompareView::renderedColoursAndTooltips()
{
    CompareView view;
    view.setComparison(handMade());
    const QTextDocument* doc = view.findChild<QTextBrowser*>("compareResult")->document();
    QColor bg;
    QString tip;
    QVERIFY(findFragment(doc, " story", "gpt2-mle", &bg, &tip));
    QCOMPARE(bg, CompareView::sequentialColor(1.0));
    QVERIFY2(tip.contains("0.082"), qPrintable(tip));    // own: e^−2.5 = 0.0821
    QVERIFY2(tip.contains("0.002"), qPrintable(tip));    // other: e^−6.2 = 0.00203
    QVERIFY2(tip.contains("+3.700"), qPrintable(tip));   // −2.5 − (−6.2)
    // The prompt is in the document before the continuation, in grey, with no shading.
    QVERIFY(doc->toPlainText().contains("My favourite book is the story of my life."));
    QVERIFY(findFragment(doc, " light", "gpt2-emo", &bg, &tip));
    QCOMPARE(bg, CompareView::sequentialColor(3.0 / 6.2));

    view.setShading(Shading::OwnModel);
    QVERIFY(findFragment(doc, " breeze", "gpt2-emo", &bg, &tip));
    QCOMPARE(bg, CompareView::sequentialColor(1.0));
    QVERIFY(findFragment(doc, " story", "gpt2-mle", &bg, &tip));
    QCOMPARE(bg, CompareView::sequentialColor(2.5 / 5.1));

    // Hovering the middle of " story" shows its tooltip; hovering empty space shows none.
    auto* browser = view.findChild<QTextBrowser*>("compareResult");
    view.resize(1000, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    int position = -1;
    QVERIFY(findFragment(doc, " story", "gpt2-mle", &bg, &tip, &position));
    QTextCursor cursor(browser->document());
    cursor.setPosition(position + 3);  // between "st" and "ory"
    const QRect caret = browser->cursorRect(cursor);
    const QPoint inside(caret.center().x() + 2, caret.center().y());
    QHelpEvent hover(QEvent::ToolTip, inside, browser->viewport()->mapToGlobal(inside));
    QApplication::sendEvent(browser->viewport(), &hover);
    QVERIFY(QToolTip::isVisible());
    QVERIFY2(QToolTip::text().contains("story") && QToolTip::text().contains("gpt2-emo"), qPrintable(QToolTip::text()));
    const QPoint empty(browser->viewport()->width() - 5, browser->viewport()->height() - 5);
    QHelpEvent away(QEvent::ToolTip, empty, browser->viewport()->mapToGlobal(empty));
    QApplication::sendEvent(browser->viewport(), &away);
    QTRY_VERIFY(!QToolTip::isVisible());
}

void TestCompareView::summaryNumbers()
{
    CompareView view;
    view.setComparison(handMade());
    const QString cross = "Cross-perplexity (under the other model)";
    QVERIFY(view.summaryRow(cross) >= 0);
    // A: the struct's value; B: recomputed by the view. Both must equal the hand sums.
    QVERIFY(std::fabs(cell(view, cross, 0) - kCrossAUnderB) < 1e-3);
    QVERIFY(std::fabs(cell(view, cross, 1) - kCrossBUnderA) < 1e-3);
    QVERIFY(std::fabs(emo::generate::crossPerplexity(view.comparison().a) - kCrossAUnderB) < 1e-12);
    const QString mean = "Mean log-prob per token (own model)";
    QVERIFY(std::fabs(cell(view, mean, 0) - kMeanOwnA) < 1e-3);
    QVERIFY(std::fabs(cell(view, mean, 1) - kMeanOwnB) < 1e-3);
    // Perplexity on data: "–" while 0, the number once given.
    QCOMPARE(view.summaryText(view.summaryRow("Perplexity on data"), 0), QStringLiteral("–"));
    ModelComparison c = handMade();
    c.perplexityA = 23.456;
    c.perplexityB = 31.5;
    view.setComparison(c);
    QCOMPARE(cell(view, "Perplexity on data", 0), 23.456);
    QCOMPARE(cell(view, "Perplexity on data", 1), 31.5);
    QCOMPARE(view.summaryText(view.summaryRow("MAUVE"), 0), QStringLiteral("–"));
    QCOMPARE(view.summaryText(view.summaryRow("ROUGE-L"), 1), QStringLiteral("–"));
}

void TestCompareView::compareRequestedCarriesInputs()
{
    CompareView view;
    view.setModelChoices({{"demo-tiny (MLE)", "/opt/emo/demo-tiny-mle"}, {"demo-tiny (EMO)", "/opt/emo/demo-tiny-emo"}});
    auto* combo = view.findChild<QComboBox*>("otherModelCombo");
    combo->setCurrentIndex(1);
    QCOMPARE(view.otherFolder(), QStringLiteral("/opt/emo/demo-tiny-emo"));

    auto* prompts = view.findChild<QPlainTextEdit*>("promptsEdit");
    prompts->setFocus();
    QTest::keyClicks(prompts, "Once upon a time");
    QTest::keyClick(prompts, Qt::Key_Return);
    QTest::keyClick(prompts, Qt::Key_Return);  // a blank line is no prompt
    QTest::keyClicks(prompts, "The capital of France is");
    view.findChild<QSpinBox*>("samplesSpin")->setValue(3);
    view.findChild<QSpinBox*>("maxNewTokensSpin")->setValue(40);
    view.findChild<QSpinBox*>("seedSpin")->setValue(1234);
    view.findChild<QDoubleSpinBox*>("temperatureSpin")->setValue(0.7);
    view.findChild<QSpinBox*>("topKSpin")->setValue(50);
    view.findChild<QDoubleSpinBox*>("topPSpin")->setValue(0.9);

    QSignalSpy spy(&view, &CompareView::compareRequested);
    QTest::mouseClick(view.findChild<QPushButton*>("compareButton"), Qt::LeftButton);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy[0][0].toString(), QStringLiteral("/opt/emo/demo-tiny-emo"));
    QCOMPARE(spy[0][1].toStringList(), QStringList({"Once upon a time", "The capital of France is"}));
    const auto s = spy[0][2].value<emo::generate::SampleSettings>();
    QCOMPARE(s.samplesPerPrompt, int64_t(3));
    QCOMPARE(s.maxNewTokens, int64_t(40));
    QCOMPARE(s.seed, uint64_t(1234));
    QCOMPARE(s.temperature, 0.7);
    QCOMPARE(s.topK, int64_t(50));
    QCOMPARE(s.topP, 0.9);
    QVERIFY(s.mode == emo::generate::SamplingMode::Ancestral);

    // A typed folder that is no listed name travels as typed; busy disables the button.
    combo->setEditText("/home/me/models/gpt2-tailr");
    view.findChild<QComboBox*>("modeCombo")->setCurrentIndex(1);
    QVERIFY(!view.findChild<QDoubleSpinBox*>("temperatureSpin")->isEnabled());
    QTest::mouseClick(view.findChild<QPushButton*>("compareButton"), Qt::LeftButton);
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy[1][0].toString(), QStringLiteral("/home/me/models/gpt2-tailr"));
    QVERIFY(spy[1][2].value<emo::generate::SampleSettings>().mode == emo::generate::SamplingMode::Greedy);
    view.setBusy(true);
    QVERIFY(!view.findChild<QPushButton*>("compareButton")->isEnabled());
    view.setBusy(false);
    QVERIFY(view.findChild<QPushButton*>("compareButton")->isEnabled());

    // Defaults: ancestral, temperature 1, filters off.
    CompareView fresh;
    const auto d = fresh.settings();
    QVERIFY(d.mode == emo::generate::SamplingMode::Ancestral);
    QCOMPARE(d.temperature, 1.0);
    QCOMPARE(d.topK, int64_t(0));
    QCOMPARE(d.topP, 1.0);
}

void TestCompareView::promptsFromFiles()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString jsonl = dir.filePath("prompts.jsonl");
    {
        QFile f(jsonl);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"text\": \"In 1905, Einstein\"}\n\n{\"prompt\": \"The recipe calls for\", \"id\": 2}\n");
    }
    const QString txt = dir.filePath("prompts.txt");
    {
        QFile f(txt);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("First prompt\n\nSecond prompt\n");
    }
    const QString bad = dir.filePath("bad.jsonl");
    {
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"title\": \"no text\"}\n");
    }
    CompareView view;
    QVERIFY(view.loadPromptsFromFile(jsonl));
    QCOMPARE(view.prompts(), QStringList({"In 1905, Einstein", "The recipe calls for"}));
    QVERIFY(view.loadPromptsFromFile(txt));
    QCOMPARE(view.prompts(), QStringList({"First prompt", "Second prompt"}));
    QString error;
    QVERIFY(!view.loadPromptsFromFile(bad, &error));
    QVERIFY2(error.contains("bad.jsonl:1:"), qPrintable(error));  // file and line, as the CLI says it
    QCOMPARE(view.prompts(), QStringList({"First prompt", "Second prompt"}));  // unchanged
}

void TestCompareView::exportRows()
{
    CompareView view;
    view.setComparison(handMade());
    QCOMPARE(view.exportWidget(), static_cast<QWidget*>(view.findChild<QTextBrowser*>("compareResult")));
    const emo::widgets::DataTable t = view.exportData();
    QCOMPARE(t.columns, QStringList({"model", "prompt_index", "sample_index", "position", "token", "own_logprob",
                                     "other_logprob"}));
    QCOMPARE(t.rows.size(), 7 + 6 + 6 + 7);
    // Row 0: A's first token; row 7 + 6 + 6 + 1: B's " story".
    QCOMPARE(t.rows[0][0].toString(), QStringLiteral("gpt2-emo"));
    QCOMPARE(t.rows[0][4].toString(), QStringLiteral(" sunny"));
    QCOMPARE(t.rows[0][5].toDouble(), -1.2);
    QCOMPARE(t.rows[0][6].toDouble(), -3.4);
    const auto& story = t.rows[7 + 6 + 6 + 1];
    QCOMPARE(story[0].toString(), QStringLiteral("gpt2-mle"));
    QCOMPARE(story[1].toLongLong(), 1LL);
    QCOMPARE(story[2].toLongLong(), 0LL);
    QCOMPARE(story[3].toLongLong(), 1LL);
    QCOMPARE(story[4].toString(), QStringLiteral(" story"));
    QCOMPARE(story[5].toDouble(), -2.5);
    QCOMPARE(story[6].toDouble(), -6.2);
    // The sum of the exported other log-probs of A is the hand sum.
    double sumA = 0.0;
    for (const auto& row : t.rows)
        if (row[0].toString() == QLatin1String("gpt2-emo"))
            sumA += row[6].toDouble();
    QVERIFY(std::fabs(sumA + 26.4) < 1e-9);
}

void TestCompareView::metrics_data()
{
    // After setHandMetrics(): by side, folder name or path; labels as the catalog writes them.
    QTest::addColumn<QString>("label");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("expected");
    QTest::newRow("MAUVE of A") << "MAUVE" << 0 << QStringLiteral("0.873");
    QTest::newRow("MAUVE of B, by folder name") << "MAUVE" << 1 << QStringLiteral("0.655");
    QTest::newRow("ROUGE-L of A: none") << "ROUGE-L" << 0 << QStringLiteral("–");
    QTest::newRow("ROUGE-L of B, by path") << "ROUGE-L" << 1 << QStringLiteral("0.410");
    QTest::newRow("BLEU: a new row") << "BLEU" << 1 << QStringLiteral("12.500");
    QTest::newRow("rouge-1: a new row under the catalog's label") << "ROUGE-1" << 0 << QStringLiteral("0.500");
}

void TestCompareView::metrics()
{
    QFETCH(QString, label);
    QFETCH(int, column);
    QFETCH(QString, expected);
    CompareView view;
    view.setComparison(handMade());
    setHandMetrics(view);
    QVERIFY(view.summaryRow(label) >= 0);
    QCOMPARE(view.summaryText(view.summaryRow(label), column), expected);
}

void TestCompareView::newComparisonClearsMetrics()
{
    CompareView view;
    view.setComparison(handMade());
    setHandMetrics(view);
    // A new comparison clears metrics of the old samples.
    view.setComparison(handMade());
    QCOMPARE(view.summaryText(view.summaryRow("MAUVE"), 0), QStringLiteral("–"));
    QCOMPARE(view.summaryRow("BLEU"), -1);
}

namespace {

// Splits text into GPT-2-like tokens (a leading space stays with the word; punctuation alone) and gives
// each a deterministic log-prob from its text, so the picture varies like a real run.
ComparedSample realistic(int prompt, int sampleIndex, const std::string& promptText, const std::string& text,
                         double otherBias, unsigned salt)
{
    std::vector<std::string> tokens;
    std::string cur;
    for (char ch : text) {
        const bool punct = std::ispunct(static_cast<unsigned char>(ch)) && ch != '\'' && ch != '-';
        if ((ch == ' ' || punct) && !cur.empty()) {
            tokens.push_back(cur);
            cur.clear();
        }
        cur += ch;
        if (punct) {
            tokens.push_back(cur);
            cur.clear();
        }
    }
    if (!cur.empty())
        tokens.push_back(cur);
    std::vector<double> own, other;
    for (const std::string& t : tokens) {
        unsigned h = salt;
        for (char ch : t)
            h = h * 131u + static_cast<unsigned char>(ch);
        const double u = double(h % 1000u) / 1000.0, v = double((h / 1000u) % 1000u) / 1000.0;
        own.push_back(-0.05 - 3.0 * u * u);
        const double w = double((h / 1000000u) % 100u) / 100.0;  // sometimes the other model likes it more
        other.push_back(std::min(-0.02, own.back() - otherBias * v * v * v - (t.size() > 7 ? 1.5 * v : 0.0) + 1.2 * w * w));
    }
    ComparedSample s = makeSample(prompt, promptText, tokens, own, other);
    s.sample.sampleIndex = sampleIndex;
    return s;
}

} // namespace

void TestCompareView::screenshot()
{
    ModelComparison c;
    c.modelA = "/home/me/runs/gpt2-wikitext-emo";
    c.modelB = "/home/me/runs/gpt2-wikitext-mle";
    const std::string p0 = "The history of the city begins in";
    const std::string p1 = "Scientists studying the deep ocean have found";
    c.a.push_back(realistic(0, 0, p0,
                            " the early twelfth century, when a small market grew up around the ford of the river. "
                            "By 1300 it had a charter, a stone bridge and two parish churches.", 5.0, 7));
    c.a.push_back(realistic(0, 1, p0,
                            " 1086, when the Domesday Book records a mill and forty households on the north bank.", 5.0, 11));
    c.a.push_back(realistic(1, 0, p1,
                            " that many species of fish produce their own light, which they use to attract prey "
                            "and to signal to one another in the dark.", 5.0, 13));
    c.a.push_back(realistic(1, 1, p1,
                            " a new kind of coral living more than two kilometres below the surface.", 5.0, 17));
    c.b.push_back(realistic(0, 0, p0,
                            " the the city of the city, which was a city in the city of the north. The city was "
                            "the largest city in the region.", 2.0, 19));
    c.b.push_back(realistic(0, 1, p0,
                            " 1086 with the building of a castle by the Normans, who held the town until 1154.", 2.0, 23));
    c.b.push_back(realistic(1, 0, p1,
                            " that the ocean is very deep and that it is very dark, and that there are many fish "
                            "in the ocean.", 2.0, 29));
    c.b.push_back(realistic(1, 1, p1,
                            " evidence of microbes feeding on methane seeping from vents in the sea floor.", 2.0, 31));
    c.perplexityA = 24.87;
    c.perplexityB = 23.91;

    CompareView view;
    view.setModelChoices({{"demo-tiny (MLE)", "/opt/emo/demo-tiny-mle"}});
    view.findChild<QComboBox*>("otherModelCombo")->setEditText(QString::fromStdString(c.modelB));
    view.setPrompts({QString::fromStdString(p0), QString::fromStdString(p1)});
    view.findChild<QSpinBox*>("samplesSpin")->setValue(2);
    view.setComparison(c);
    view.setMetric("A", "MAUVE", 0.912);
    view.setMetric("B", "MAUVE", 0.874);
    view.resize(1200, 800);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QTest::qWait(50);
    const QString dir = QString::fromStdString(emo::test::outputDir());
    QDir().mkpath(dir);
    const QString path = dir + QStringLiteral("/screenshot-compare.png");
    QVERIFY(view.grab().save(path));
    qInfo("screenshot: %s", qPrintable(path));
    // The diverging scale of the difference, on the result area alone (what Export image saves).
    view.setShading(Shading::Difference);
    QTest::qWait(20);
    const QString diffPath = dir + QStringLiteral("/screenshot-compare-difference.png");
    QVERIFY(view.exportWidget()->grab().save(diffPath));
    qInfo("screenshot: %s", qPrintable(diffPath));
}

QTEST_MAIN(TestCompareView)
#include "tst_compare_view.moc"
