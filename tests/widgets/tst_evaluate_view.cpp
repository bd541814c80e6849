// The Evaluate view: table text and bold cells against values worked out by hand, one row per model when
// a report is replaced, the MAUVE curves as plotted, the evaluateRequested signal, the experiment folder
// (results.md rendered, PNGs shown, a clear message when results.md is missing), the export table, and a
// screenshot of demo-mle vs demo-emo.
#include "evaluate_view.h"
#include "core_metatypes.h"
#include "eval/divergence_curve.h"
#include "support/test_paths.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QImage>
#include <QLabel>
#include <QPainter>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QtTest>

#include <cmath>

using emo::eval::EvalReport;
using emo::eval::MetricValue;
using emo::widgets::EvalProtocol;
using emo::widgets::EvaluateView;

namespace {

MetricValue metric(const char* name, double mean, double std, int64_t count)
{
    MetricValue m;
    m.name = name;
    m.mean = mean;
    m.std = std;
    m.count = count;
    return m;
}

// Two reports. Best per column, by hand:
//   ppl (lower):     mle 12.34 < emo 13.02          → mle
//   fwd-ce (lower):  emo 2.950 < mle 3.100          → emo
//   mauve (higher):  emo 0.905 > mle 0.812          → emo
//   rouge-1 (higher): mle 0.412 > emo 0.398         → mle
//   rouge-l (higher): emo 0.391 > mle 0.385         → emo
EvalReport mleReport()
{
    EvalReport r;
    r.model = "/models/demo-mle";
    r.data = "/data/wiki.txt";
    r.metrics = {metric("ppl", 12.34, 0.56, 3), metric("fwd-ce", 3.1, 0.02, 3), metric("mauve", 0.812, 0.011, 3),
                 metric("rouge-1", 0.412, 0.0, 1), metric("rouge-l", 0.385, 0.0, 1)};
    r.hasMauve = true;
    r.mauve.score = 0.812;
    r.mauve.curveX = {1.0, 0.8, 0.5, 0.2, 0.0};
    r.mauve.curveY = {0.0, 0.3, 0.6, 0.85, 1.0};
    r.mauve.numClusters = 5;
    return r;
}

EvalReport emoReport()
{
    EvalReport r;
    r.model = "/models/demo-emo";
    r.data = "/data/wiki.txt";
    r.metrics = {metric("ppl", 13.02, 0.4, 3), metric("fwd-ce", 2.95, 0.03, 3), metric("mauve", 0.905, 0.008, 3),
                 metric("rouge-1", 0.398, 0.0, 1), metric("rouge-l", 0.391, 0.0, 1)};
    r.hasMauve = true;
    r.mauve.score = 0.905;
    r.mauve.curveX = {1.0, 0.9, 0.7, 0.4, 0.0};
    r.mauve.curveY = {0.0, 0.5, 0.8, 0.95, 1.0};
    r.mauve.numClusters = 5;
    return r;
}

// A MAUVE result as the core computes it from two cluster histograms (the divergence curve and its area).
void divergenceCurve(const std::vector<double>& p, const std::vector<double>& q, emo::eval::MauveResult& out)
{
    const emo::eval::MauveOptions options;
    const auto curve = emo::eval::divergenceCurve(p, q, options.curvePoints, options.scalingFactor);
    out.curveX = curve.x;
    out.curveY = curve.y;
    out.score = emo::eval::mauveArea(curve);
    out.pHistogram = p;
    out.qHistogram = q;
    out.numClusters = int64_t(p.size());
}

void writePng(const QString& path, int w, int h, const QColor& colour)
{
    QImage image(w, h, QImage::Format_RGB32);
    image.fill(colour);
    QVERIFY(image.save(path));
}

} // namespace

class TestEvaluateView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { emo::widgets::registerCoreMetatypes(); }

    void formatting_data()
    {
        QTest::addColumn<double>("mean");
        QTest::addColumn<double>("stdDev");
        QTest::addColumn<int>("count");
        QTest::addColumn<QString>("expected");
        QTest::newRow("three runs: with std") << 12.34 << 0.56 << 3 << QStringLiteral("12.34 ± 0.56");
        QTest::newRow("one run: no std") << 12.34 << 0.56 << 1 << QStringLiteral("12.34");
        QTest::newRow("below 1: three decimals") << 0.9051 << 0.0081 << 2 << QStringLiteral("0.905 ± 0.008");
    }
    void formatting()
    {
        QFETCH(double, mean);
        QFETCH(double, stdDev);
        QFETCH(int, count);
        QFETCH(QString, expected);
        QCOMPARE(EvaluateView::formatMetric(mean, stdDev, count), expected);
    }

    void cellText_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("metric");
        QTest::addColumn<QString>("expected");
        QTest::newRow("mle ppl") << "/models/demo-mle" << "ppl" << QStringLiteral("12.34 ± 0.56");
        QTest::newRow("emo ppl") << "/models/demo-emo" << "ppl" << QStringLiteral("13.02 ± 0.40");
        QTest::newRow("mle rouge-1, count 1: no std") << "/models/demo-mle" << "rouge-1" << QStringLiteral("0.412");
        QTest::newRow("emo mauve") << "/models/demo-emo" << "mauve" << QStringLiteral("0.905 ± 0.008");
        QTest::newRow("emo fwd-ce") << "/models/demo-emo" << "fwd-ce" << QStringLiteral("2.95 ± 0.03");
    }
    void cellText()
    {
        QFETCH(QString, model);
        QFETCH(QString, metric);
        QFETCH(QString, expected);
        EvaluateView view;
        view.addReport(mleReport());
        view.addReport(emoReport());
        const QTableWidgetItem* item =
            view.findChild<QTableWidget*>("resultsTable")->item(view.modelRow(model), view.metricColumn(metric));
        QVERIFY(item);
        QCOMPARE(item->text(), expected);
    }

    void tableAndBold()
    {
        EvaluateView view;
        view.addReport(mleReport());
        view.addReport(emoReport());
        auto* table = view.findChild<QTableWidget*>("resultsTable");
        QVERIFY(table);
        QCOMPARE(table->rowCount(), 2);
        QCOMPARE(table->columnCount(), 5);
        const int mle = view.modelRow("/models/demo-mle");
        const int emo = view.modelRow("/models/demo-emo");
        QCOMPARE(mle, 0);
        QCOMPARE(emo, 1);
        QCOMPARE(table->verticalHeaderItem(mle)->text(), QStringLiteral("demo-mle"));
        QCOMPARE(view.metricColumn("ppl"), 0);  // known metrics in a fixed order
        QCOMPARE(view.metricColumn("rouge-l"), 4);

        const QMap<QString, int> bestRow = {{"ppl", mle}, {"fwd-ce", emo}, {"mauve", emo}, {"rouge-1", mle},
                                            {"rouge-l", emo}};
        for (auto it = bestRow.begin(); it != bestRow.end(); ++it) {
            const int column = view.metricColumn(it.key());
            QVERIFY2(column >= 0, qPrintable(it.key()));
            for (int row = 0; row < 2; ++row)
                QVERIFY2(table->item(row, column)->font().bold() == (row == it.value()),
                         qPrintable(QStringLiteral("%1 row %2").arg(it.key()).arg(row)));
        }

        // A metric only one model has: shown, a dash for the other, nothing bold (no comparison).
        EvalReport withFewshot = emoReport();
        withFewshot.metrics.push_back(metric("fewshot-acc", 0.61, 0.0, 1));
        view.addReport(withFewshot);
        const int fewshot = view.metricColumn("fewshot-acc");
        QCOMPARE(fewshot, 5);
        QCOMPARE(table->item(mle, fewshot)->text(), QStringLiteral("–"));
        QCOMPARE(table->item(emo, fewshot)->text(), QStringLiteral("0.610"));
        QVERIFY(!table->item(emo, fewshot)->font().bold());
    }

    void replaceKeepsOneRow()
    {
        EvaluateView view;
        view.addReport(mleReport());
        view.addReport(emoReport());
        EvalReport again = mleReport();
        again.metrics[0] = metric("ppl", 14.5, 0.25, 2);  // now worse than emo's 13.02
        again.mauve.score = 0.7;
        view.addReport(again);
        auto* table = view.findChild<QTableWidget*>("resultsTable");
        QCOMPARE(table->rowCount(), 2);
        QCOMPARE(view.reports().size(), 2);
        QCOMPARE(view.modelRow("/models/demo-mle"), 0);  // keeps its place
        const int ppl = view.metricColumn("ppl");
        QCOMPARE(table->item(0, ppl)->text(), QStringLiteral("14.50 ± 0.25"));
        QVERIFY(!table->item(0, ppl)->font().bold());
        QVERIFY(table->item(1, ppl)->font().bold());
        QCOMPARE(view.mauvePlot()->graphCount(), 2);
        QCOMPARE(view.mauvePlot()->graph(0)->name(), QStringLiteral("demo-mle (MAUVE 0.70)"));

        view.clearReports();
        QCOMPARE(view.reports().size(), 0);
        QCOMPARE(table->rowCount(), 0);
        QCOMPARE(view.mauvePlot()->graphCount(), 0);
    }

    void mauvePlot()
    {
        EvaluateView view;
        view.setModelChoices({{"MLE demo", "/models/demo-mle"}});
        view.addReport(mleReport());
        view.addReport(emoReport());
        EvalReport noMauve;
        noMauve.model = "/models/no-mauve";
        noMauve.metrics = {metric("ppl", 20.0, 0.0, 1)};
        view.addReport(noMauve);
        QCustomPlot* plot = view.mauvePlot();
        QCOMPARE(plot->graphCount(), 2);  // the report without MAUVE draws nothing
        // Named by the choice's name where there is one, else the folder's name.
        QCOMPARE(plot->graph(0)->name(), QStringLiteral("MLE demo (MAUVE 0.81)"));
        QCOMPARE(plot->graph(1)->name(), QStringLiteral("demo-emo (MAUVE 0.91)"));
        QVERIFY(plot->graph(0)->pen().color() != plot->graph(1)->pen().color());
        const EvalReport reports[] = {mleReport(), emoReport()};
        for (int g = 0; g < 2; ++g) {
            auto data = plot->graph(g)->data();
            const auto& xs = reports[g].mauve.curveX;
            const auto& ys = reports[g].mauve.curveY;
            QCOMPARE(data->size(), int(xs.size()));
            // The graph holds the points in increasing x; the report has them from x = 1 down to 0.
            for (int i = 0; i < data->size(); ++i) {
                const size_t j = xs.size() - 1 - size_t(i);
                QCOMPARE(data->at(i)->key, xs[j]);
                QCOMPARE(data->at(i)->value, ys[j]);
            }
        }
        QVERIFY(plot->xAxis->label().contains(QStringLiteral("KL(Q‖R_λ)")));
        QVERIFY(plot->yAxis->label().contains(QStringLiteral("KL(P‖R_λ)")));
        QCOMPARE(view.exportWidget(), static_cast<QWidget*>(plot));
    }

    void evaluateRequested()
    {
        EvaluateView view;
        view.setModelChoices({{"demo-mle", "/m/mle"}, {"demo-emo", "/m/emo"}, {"gpt2-large", "/m/oracle"}});
        view.setDataChoices({{"wikitext sample", "/d/wiki.txt"}, {"webtext", "/d/webtext.jsonl"}});
        auto* models = view.findChild<QListWidget*>("modelList");
        QCOMPARE(models->count(), 3);
        models->item(2)->setCheckState(Qt::Unchecked);  // the oracle is not evaluated itself
        auto* data = view.findChild<QComboBox*>("dataCombo");
        data->setCurrentIndex(1);
        auto* oracle = view.findChild<QComboBox*>("oracleCombo");
        QCOMPARE(oracle->count(), 4);  // none + 3 models
        QCOMPARE(oracle->itemText(0), QStringLiteral("none"));

        // Every metric has a one-line tooltip.
        for (const char* key : {"ppl", "oracle-ppl", "fwd-ce", "rev-ce", "mauve", "rouge", "fewshot"}) {
            auto* box = view.findChild<QCheckBox*>(QStringLiteral("metric_%1").arg(QLatin1String(key)));
            QVERIFY2(box, key);
            QVERIFY(!box->toolTip().isEmpty());
            QVERIFY(!box->toolTip().contains(QLatin1Char('\n')));
        }
        view.findChild<QCheckBox*>("metric_ppl")->setChecked(false);
        view.findChild<QCheckBox*>("metric_rouge")->setChecked(false);
        view.findChild<QCheckBox*>("metric_oracle-ppl")->setChecked(true);
        view.findChild<QCheckBox*>("metric_fewshot")->setChecked(true);
        // mauve stays checked by default

        // Defaults of the protocol, then changed values.
        const EvalProtocol defaults = view.protocol();
        QCOMPARE(defaults.prefixWords, 20);
        QCOMPARE(defaults.continuationWords, 80);
        QCOMPARE(defaults.samples, 5);
        QCOMPARE(defaults.seeds, 1);
        QCOMPARE(defaults.maxPrefixes, 100);
        view.findChild<QSpinBox*>("prefixWordsSpin")->setValue(35);
        view.findChild<QSpinBox*>("continuationWordsSpin")->setValue(64);
        view.findChild<QSpinBox*>("samplesSpin")->setValue(2);
        view.findChild<QSpinBox*>("seedsSpin")->setValue(3);
        view.findChild<QSpinBox*>("maxPrefixesSpin")->setValue(250);

        QSignalSpy spy(&view, &EvaluateView::evaluateRequested);
        auto* run = view.findChild<QPushButton*>("runButton");
        // oracle-ppl without an oracle: refused, with a reason.
        run->click();
        QCOMPARE(spy.count(), 0);
        QVERIFY(view.findChild<QLabel*>("evalStatus")->text().contains(QStringLiteral("oracle")));

        oracle->setCurrentIndex(oracle->findData(QStringLiteral("/m/oracle")));
        run->click();
        QCOMPARE(spy.count(), 1);
        const auto args = spy.takeFirst();
        QCOMPARE(args.at(0).toStringList(), (QStringList{"/m/mle", "/m/emo"}));
        QCOMPARE(args.at(1).toString(), QStringLiteral("/d/webtext.jsonl"));
        QCOMPARE(args.at(2).toString(), QStringLiteral("/m/oracle"));
        QCOMPARE(args.at(3).toStringList(), (QStringList{"oracle-ppl", "mauve", "fewshot"}));
        const auto protocol = qvariant_cast<EvalProtocol>(args.at(4));
        QCOMPARE(protocol.prefixWords, 35);
        QCOMPARE(protocol.continuationWords, 64);
        QCOMPARE(protocol.samples, 2);
        QCOMPARE(protocol.seeds, 3);
        QCOMPARE(protocol.maxPrefixes, 250);

        // A typed path that is not a listed name goes as typed.
        data->setEditText(QStringLiteral("/tmp/other.txt"));
        run->click();
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.takeFirst().at(1).toString(), QStringLiteral("/tmp/other.txt"));

        // Nothing checked: refused.
        for (int i = 0; i < models->count(); ++i)
            models->item(i)->setCheckState(Qt::Unchecked);
        run->click();
        QCOMPARE(spy.count(), 0);

        // Busy: Run off, Cancel on and emitting; progress shown.
        QSignalSpy cancelSpy(&view, &EvaluateView::cancelRequested);
        view.setBusy(true);
        QVERIFY(!run->isEnabled());
        auto* cancel = view.findChild<QPushButton*>("cancelButton");
        QVERIFY(cancel->isEnabled());
        cancel->click();
        QCOMPARE(cancelSpy.count(), 1);
        view.setProgress(QStringLiteral("Sampling"), 3, 12);
        auto* progress = view.findChild<QProgressBar*>("evalProgress");
        QCOMPARE(progress->maximum(), 12);
        QCOMPARE(progress->value(), 3);
        QVERIFY(view.findChild<QLabel*>("evalStatus")->text().contains(QStringLiteral("Sampling")));
        view.setBusy(false);
        QVERIFY(run->isEnabled());
        QVERIFY(!cancel->isEnabled());
    }

    void experimentFolder()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile md(dir.filePath("results.md"));
        QVERIFY(md.open(QIODevice::WriteOnly));
        md.write("# Oracle experiment\n\n| objective | oracle PPL | MAUVE |\n|---|---|---|\n"
                 "| mle | 31.27 | 0.712 |\n| emo | 24.08 | 0.866 |\n");
        md.close();
        QFile json(dir.filePath("results.json"));
        QVERIFY(json.open(QIODevice::WriteOnly));
        json.write("{}");
        json.close();
        writePng(dir.filePath("mauve.png"), 40, 30, Qt::red);
        writePng(dir.filePath("oracle_ppl.png"), 24, 16, Qt::blue);

        EvaluateView view;
        QVERIFY(view.openResultsFolder(dir.path()));
        auto* markdown = view.findChild<QTextBrowser*>("resultsMarkdown");
        const QString text = markdown->toPlainText();
        QVERIFY2(text.contains(QStringLiteral("Oracle experiment")), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("24.08")));
        QVERIFY(!text.contains(QStringLiteral("|---")));  // rendered as a table, not shown as source
        QVERIFY(markdown->document()->toHtml().contains(QStringLiteral("<table")));
        QCOMPARE(view.findChild<QTabWidget*>("evaluateTabs")->currentIndex(), 1);
        const auto images = view.findChildren<QLabel*>("resultImage");
        QCOMPARE(images.size(), 2);
        QCOMPARE(images[0]->pixmap().size(), QSize(40, 30));  // sorted by name: mauve.png first
        QCOMPARE(images[1]->pixmap().size(), QSize(24, 16));
        QCOMPARE(images[0]->pixmap().toImage().pixelColor(5, 5), QColor(Qt::red));

        // Missing results.md: a message naming the folder; the old images are gone.
        QTemporaryDir empty;
        QVERIFY(!view.openResultsFolder(empty.path()));
        const QString native = QDir::toNativeSeparators(QDir(empty.path()).absolutePath());
        QVERIFY2(markdown->toPlainText().contains(native), qPrintable(markdown->toPlainText()));
        QVERIFY(markdown->toPlainText().contains(QStringLiteral("results.md")));
        QVERIFY(view.findChild<QLabel*>("evalStatus")->text().contains(native));
        QCOMPARE(view.findChildren<QLabel*>("resultImage").size(), 0);
    }

    void exportData()
    {
        EvaluateView view;
        view.addReport(mleReport());
        view.addReport(emoReport());
        const auto table = view.exportData();
        QCOMPARE(table.columns, (QStringList{"model", "metric", "mean", "std", "count"}));
        QCOMPARE(table.rows.size(), 10);  // 5 metrics × 2 models
        QCOMPARE(table.rows[0][0].toString(), QStringLiteral("/models/demo-mle"));
        QCOMPARE(table.rows[0][1].toString(), QStringLiteral("ppl"));
        QCOMPARE(table.rows[0][2].toDouble(), 12.34);
        QCOMPARE(table.rows[0][3].toDouble(), 0.56);
        QCOMPARE(table.rows[0][4].toLongLong(), 3LL);
        QCOMPARE(table.rows[7][0].toString(), QStringLiteral("/models/demo-emo"));
        QCOMPARE(table.rows[7][1].toString(), QStringLiteral("mauve"));
        QCOMPARE(table.rows[7][2].toDouble(), 0.905);
    }

    void screenshot()
    {
        EvaluateView view;
        view.setModelChoices({{"demo-mle", "/work/demo/demo-mle"}, {"demo-emo", "/work/demo/demo-emo"},
                              {"gpt2-large (oracle)", "/work/models/gpt2-large"}});
        view.findChild<QListWidget*>("modelList")->item(2)->setCheckState(Qt::Unchecked);
        view.setDataChoices({{"wikitext-103 (validation)", "/work/data/wikitext103-valid.txt"}});
        auto* oracle = view.findChild<QComboBox*>("oracleCombo");
        oracle->setCurrentIndex(3);
        view.setMetricChecked("oracle-ppl", true);
        view.setMetricChecked("fwd-ce", true);
        view.setMetricChecked("rev-ce", true);
        EvalProtocol protocol;
        protocol.seeds = 3;
        view.setProtocol(protocol);

        const std::vector<double> human = {0.14, 0.12, 0.11, 0.10, 0.10, 0.09, 0.09, 0.08, 0.09, 0.08};
        const std::vector<double> mleQ = {0.30, 0.20, 0.14, 0.03, 0.13, 0.02, 0.10, 0.01, 0.06, 0.01};  // ≈ 0.78
        const std::vector<double> emoQ = {0.26, 0.18, 0.14, 0.04, 0.12, 0.03, 0.10, 0.02, 0.08, 0.03};  // ≈ 0.91
        EvalReport mle;
        mle.model = "/work/demo/demo-mle";
        mle.data = "/work/data/wikitext103-valid.txt";
        mle.hasMauve = true;
        divergenceCurve(human, mleQ, mle.mauve);
        mle.metrics = {metric("ppl", 27.41, 0.00, 1),       metric("oracle-ppl", 41.86, 1.73, 3),
                       metric("fwd-ce", 3.412, 0.006, 3),   metric("rev-ce", 3.734, 0.041, 3),
                       metric("mauve", mle.mauve.score, 0.014, 3), metric("rouge-1", 0.3712, 0.0031, 3),
                       metric("rouge-l", 0.2284, 0.0027, 3)};
        EvalReport emo = mle;
        emo.model = "/work/demo/demo-emo";
        divergenceCurve(human, emoQ, emo.mauve);
        emo.metrics = {metric("ppl", 28.05, 0.00, 1),       metric("oracle-ppl", 33.52, 1.12, 3),
                       metric("fwd-ce", 3.447, 0.008, 3),   metric("rev-ce", 3.512, 0.029, 3),
                       metric("mauve", emo.mauve.score, 0.011, 3), metric("rouge-1", 0.3786, 0.0025, 3),
                       metric("rouge-l", 0.2319, 0.0022, 3)};
        view.addReport(mle);
        view.addReport(emo);
        QVERIFY(emo.mauve.score > mle.mauve.score);  // the closer histogram has the larger area
        view.setProgress(QStringLiteral("MAUVE (k-means)"), 5, 5);
        view.setBusy(false);

        view.resize(1200, 800);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.mauvePlot()->replot();
        QCoreApplication::processEvents();
        const QString path = QString::fromStdString(emo::test::outputDir()) + "/screenshot-evaluate.png";
        QVERIFY(view.grab().save(path));
        qInfo("screenshot: %s (MAUVE mle %.3f, emo %.3f)", qPrintable(path), mle.mauve.score, emo.mauve.score);

        // The experiment tab, on a folder like `emo experiment oracle` writes (its plots made here).
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile md(dir.filePath("results.md"));
        QVERIFY(md.open(QIODevice::WriteOnly));
        md.write("# Oracle experiment: gpt2-large → demo models\n\n"
                 "Student models fine-tuned on 20k oracle samples; 100 prefixes of 20 words, 80-word continuations, "
                 "5 samples each, 3 seeds.\n\n"
                 "| objective | PPL | oracle PPL | fwd CE | rev CE | MAUVE |\n"
                 "|---|---:|---:|---:|---:|---:|\n"
                 "| MLE | 27.41 | 41.86 ± 1.73 | 3.41 ± 0.01 | 3.73 ± 0.04 | 0.776 ± 0.014 |\n"
                 "| EMO | 28.05 | **33.52 ± 1.12** | 3.45 ± 0.01 | **3.51 ± 0.03** | **0.907 ± 0.011** |\n\n"
                 "EMO trades a little forward CE (recall) for a clearly lower reverse CE (precision).\n");
        md.close();
        QVERIFY(view.mauvePlot()->savePng(dir.filePath("mauve_curves.png"), 560, 380));
        QImage bars(560, 200, QImage::Format_RGB32);
        bars.fill(Qt::white);
        {
            QPainter painter(&bars);
            painter.fillRect(60, 40, int(41.86 * 10), 50, QColor(0, 114, 178));
            painter.fillRect(60, 110, int(33.52 * 10), 50, QColor(213, 94, 0));
            painter.drawText(10, 70, "MLE");
            painter.drawText(10, 140, "EMO");
            painter.drawText(60, 25, "oracle perplexity (lower is better)");
        }
        QVERIFY(bars.save(dir.filePath("oracle_ppl.png")));
        QVERIFY(view.openResultsFolder(dir.path()));
        const auto images = view.findChildren<QLabel*>("resultImage");
        QCOMPARE(images.size(), 2);
        QCoreApplication::processEvents();
        // Stacked at full size, not squeezed over each other.
        QCOMPARE(images[0]->size(), QSize(560, 380));
        QVERIFY(images[1]->geometry().top() > images[0]->geometry().bottom());
        const QString experimentPath =
            QString::fromStdString(emo::test::outputDir()) + "/screenshot-evaluate-experiment.png";
        QVERIFY(view.grab().save(experimentPath));
    }
};

QTEST_MAIN(TestEvaluateView)
#include "tst_evaluate_view.moc"
