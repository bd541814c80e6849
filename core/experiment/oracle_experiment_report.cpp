#include "experiment/oracle_experiment_report.h"

#include "experiment/experiment_runs.h"
#include "experiment/oracle_experiment.h"
#include "report/plot_writer.h"
#include "util/atomic_file.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace emo::experiment {

const std::vector<ExperimentMetric>& oracleMetrics()
{
    static const std::vector<ExperimentMetric> metrics = {
        {"oracle-ppl", "oracle PPL ↓", "Oracle perplexity of samples (lower is better)"},
        {"ppl", "test PPL ↓", "Test perplexity (lower is better)"},
        {"mauve", "MAUVE ↑", "MAUVE against held-out oracle text (higher is better)"},
        {"rouge-1", "ROUGE-1 ↑", "ROUGE-1 F (higher is better)"},
        {"rouge-l", "ROUGE-L ↑", "ROUGE-L F (higher is better)"},
    };
    return metrics;
}

namespace {

// Whether a paired test says `row` beats MLE on metric k at the paper's level (its bold).
bool significantlyBetter(const ResultRow& row, size_t k)
{
    return k < row.versusMle.size() && experiment::significantlyBetter(row.versusMle[k], oracleMetrics()[k].name);
}


// A Markdown header over the metrics: "| first | <metric headers> | extra… |" and its separator line
// (numbers right-aligned).
std::string metricTableHeader(const std::string& first, const std::vector<std::string>& extra)
{
    std::string header = "| " + first + " |", separator = "|---|";
    for (const auto& metric : oracleMetrics()) {
        header += std::string(" ") + metric.header + " |";
        separator += "---:|";
    }
    for (const auto& column : extra) {
        header += " " + column + " |";
        separator += "---:|";
    }
    return header + "\n" + separator + "\n";
}

void writePlots(const OracleExperimentSettings& s, const std::vector<ResultRow>& rows, const std::vector<Curve>& curves)
{
    std::vector<const ResultRow*> configRows;
    for (const auto& r : rows)
        if (r.objective != "reference")
            configRows.push_back(&r);
    for (size_t k = 0; k < std::size(oracleMetrics()); ++k) {
        report::Plot plot;
        plot.kind = report::Plot::Kind::Bars;
        plot.title = oracleMetrics()[k].title;
        plot.subtitle = "mean ± std over " + std::to_string(s.seeds.size()) + " seeds; student fine-tuned on oracle samples";
        plot.yLabel = oracleMetrics()[k].header;
        report::PlotSeries series;
        series.name = oracleMetrics()[k].name;
        for (const auto* r : configRows) {
            plot.categories.push_back(r->label);
            plot.categoryColours.push_back(objectiveColour(r->objective));
            series.y.push_back(r->metrics[k].count > 0 ? r->metrics[k].mean : NAN);
            series.error.push_back(r->metrics[k].std);
        }
        plot.series.push_back(series);
        if (series.name == "mauve")
            plot.yCeiling = 1.0;
        report::writePlot(plot, joinPath(s.outputDir, oracleMetrics()[k].name));
    }
    {
        report::Plot plot;
        plot.kind = report::Plot::Kind::Bars;
        plot.title = "Forward and reverse CE against the oracle (lower is better)";
        plot.subtitle = "(forward + reverse) / 2, token level, validation set; the paper's Figure 2 with the exact target";
        plot.yLabel = "nats per token";
        report::PlotSeries series;
        series.name = "cross-entropy";
        for (const auto& r : rows) {
            plot.categories.push_back(r.label);
            plot.categoryColours.push_back(objectiveColour(r.objective));
            series.y.push_back(0.5 * (r.forwardCe + r.reverseCe));
        }
        plot.series.push_back(series);
        report::writePlot(plot, joinPath(s.outputDir, "cross-entropy"));
    }
    for (int which = 0; which < 2; ++which) {
        report::Plot plot;
        plot.kind = report::Plot::Kind::Lines;
        plot.title = which == 0 ? "Validation cross-entropy while fine-tuning" : "Training cross-entropy while fine-tuning";
        plot.subtitle = which == 0 ? "oracle-sampled validation set; mean over seeds"
                                   : "mean over seeds and windows of steps (the objectives' own losses differ)";
        plot.xLabel = "optimizer step";
        plot.yLabel = "cross-entropy (nats per token)";
        for (const Curve& c : curves) {
            report::PlotSeries series;
            series.name = c.label;
            series.colour = c.colour;
            series.dash = c.dash;
            series.x = which == 0 ? c.validationSteps : c.trainSteps;
            series.y = which == 0 ? c.validationCe : c.trainCe;
            plot.series.push_back(series);
        }
        plot.height = 480;
        report::writePlot(plot, joinPath(s.outputDir, which == 0 ? "training-curves" : "training-ce"));
    }
}

std::string setupMarkdown(const OracleExperimentSettings& s, const json& oracleInfo, const json& studentInfo)
{
    std::ostringstream md;
    const auto fileName = [](const std::string& p) {
        return fs::path(p).parent_path().filename().string() + "/" + fs::path(p).filename().string();
    };
    md << "- **Oracle**: `" << fs::path(s.oraclePath).filename().string() << "` (" << oracleInfo.value("summary", "")
       << "), sampling " << s.trainDocuments << " training, " << s.validationDocuments << " validation and "
       << s.testDocuments << " test documents of at most " << s.documentTokens
       << " tokens each, unconditionally (from the family's start token, as in its training), by unbiased ancestral "
          "sampling.\n";
    md << "- **Student**: LLaMA-family, " << s.studentLayers << " layers, d " << s.studentHidden << ", "
       << s.studentHeads << " heads, the oracle's vocabulary (" << studentInfo.value("summary", "")
       << "), pretrained from scratch with MLE on `" << fileName(s.studentDataPath) << "` for " << s.studentPretrainSteps
       << " steps × " << s.studentPretrainBatch << " blocks (as GPT-2 and GPT-2-Large were both pretrained on WebText, "
          "the default is the oracle's own pretraining corpus). Its LM head, as pretrained, is EMO's frozen Ê.\n";
    md << "- **Fine-tuning**: each objective from the same student, ";
    if (s.fineTuneSteps > 0)
        md << s.fineTuneSteps << " steps";
    else
        md << s.fineTuneEpochs << " epochs";
    md << " × " << s.fineTuneBatch << " blocks of " << s.blockSize << " tokens, AdamW lr " << shortNumber(s.fineTuneLearningRate)
       << ", linear decay, no warm-up, validation every " << s.validateEvery
       << " steps, the best validation checkpoint kept; seeds";
    for (auto seed : s.seeds)
        md << " " << seed;
    md << " (data order and sampling). TaiLr and MixCE as the EMO paper ran them (its repository's modes): "
          "r·mle + (1−r)·w·mle with TaiLr's w at γ = 1 − r, and η·mle + (1−η)·sg(q_y)·mle.\n";
    md << "- **Diagnostics** (seed " << s.seeds.front() << "): EMO with Ê from the oracle's LM head and from a random "
          "Gaussian matrix, beside the paper's Ê (the student's head).\n";
    md << "- **Scoring** on the oracle's held-out test documents, protocol `" << eval::toString(s.protocol) << "`: prefix "
       << s.prefixWords << " words, " << s.samplesPerPrefix << " samples per prefix for up to " << s.maxPrefixes
       << " prefixes (unbiased sampling), ";
    if (s.protocol == eval::ContinuationProtocol::Official)
        md << "every sample exactly " << (s.continuationTokens > 0 ? s.continuationTokens : s.continuationWords)
           << " new tokens (EOS banned before, as the official evaluation's min_new_tokens); references of "
           << s.continuationWords << " words. Oracle PPL = the oracle's perplexity of each whole sample text, prefix "
              "included (mean of batch means over 64 texts, as the official compute_ppl); MAUVE once per sample index "
              "and averaged (as 5 runs of one sample per prefix), oracle last-token features; ROUGE-1/L F without "
              "stemming, prefix-inclusive; test PPL = the model's perplexity of the test documents.\n";
    else
        md << "samples stop at EOS and are cut to " << s.continuationWords << " words. Oracle PPL = exp(mean NLL of the "
              "sampled tokens under the oracle); MAUVE of all samples pooled vs references with the oracle's last-token "
              "features; ROUGE-1/L F with stemming, prefix-inclusive; test PPL = the model's perplexity of the test "
              "documents.\n";
    return md.str();
}

} // namespace

// Mean over the seeds' run.json histories: validation CE at each validation step, and the training CE of
// each step averaged over windows of `window` steps (the per-step value is noisy).
Curve meanCurve(const std::vector<train::RunRecord>& records, int64_t window)
{
    std::map<int64_t, std::pair<double, int>> validation, training;
    for (const auto& r : records) {
        for (const auto& v : r.validations)
            if (std::isfinite(v.validationLoss)) {
                validation[v.step].first += v.validationLoss;
                validation[v.step].second += 1;
            }
        for (const auto& st : r.steps)
            if (std::isfinite(st.mlePart)) {
                const int64_t bucket = ((st.step - 1) / window + 1) * window;
                training[bucket].first += st.mlePart;
                training[bucket].second += 1;
            }
    }
    Curve curve;
    for (const auto& [step, sum] : validation) {
        curve.validationSteps.push_back(static_cast<double>(step));
        curve.validationCe.push_back(sum.first / sum.second);
    }
    for (const auto& [step, sum] : training) {
        curve.trainSteps.push_back(static_cast<double>(step));
        curve.trainCe.push_back(sum.first / sum.second);
    }
    return curve;
}

std::string resultsMarkdownTable(const std::vector<ResultRow>& rows)
{
    std::ostringstream md;
    md << metricTableHeader("model", {"best step", "fine-tune time"});
    for (const auto& row : rows) {
        md << "| " << row.label << " |";
        for (size_t k = 0; k < row.metrics.size(); ++k) {
            const bool bold = significantlyBetter(row, k);
            md << " " << (bold ? "**" : "") << formatMetricMean(row.metrics[k]) << (bold ? "**" : "") << " |";
        }
        char time[32], best[48];
        std::snprintf(time, sizeof(time), "%.0f s", row.trainSeconds);
        std::snprintf(best, sizeof(best), "%lld / %lld", static_cast<long long>(row.bestStep),
                      static_cast<long long>(row.totalSteps));
        const bool reference = row.objective == "reference";
        md << " " << (reference ? "–" : best) << " | " << (reference ? "–" : time) << " |\n";
    }
    return md.str();
}

std::string pValueTable(const std::vector<ResultRow>& rows)
{
    std::ostringstream md;
    md << metricTableHeader("model vs MLE", {});
    for (const auto& row : rows) {
        if (row.objective == "reference" || row.objective == "mle")
            continue;
        md << "| " << row.label << " |";
        for (size_t k = 0; k < std::size(oracleMetrics()); ++k) {
            if (k >= row.versusMle.size() || row.versusMle[k].pairs == 0) {
                md << " – |";
                continue;
            }
            const auto& t = row.versusMle[k];
            char text[96];
            std::snprintf(text, sizeof(text), "%+.3g (p %.2g, n %lld)", t.meanDifference, t.pValue,
                          static_cast<long long>(t.pairs));
            md << " " << text << " |";
        }
        md << "\n";
    }
    return md.str();
}

void writeOracleResults(const OracleResultsInput& in)
{
    const OracleExperimentSettings& s = in.settings;
    const OracleExperimentResult& result = in.result;
    const std::vector<ResultRow>& rows = result.rows;
    const std::vector<Curve>& curves = in.curves;
    const SanityGate& gate = result.gate;
    const json& runsJson = in.runs;
    const json& oracleInfo = in.oracle;
    const json& studentInfo = in.student;
    json rowsJson = json::array();
    for (const auto& row : rows) {
        json metrics = json::array();
        for (const auto& m : row.metrics)
            metrics.push_back({{"name", m.name}, {"mean", m.mean}, {"std", m.std}, {"count", m.count}});
        json tests = json::object();
        for (size_t k = 0; k < row.versusMle.size() && k < oracleMetrics().size(); ++k)
            if (row.versusMle[k].pairs > 0)
                tests[oracleMetrics()[k].name] = pairedTestJson(row.versusMle[k], significantlyBetter(row, k));
        rowsJson.push_back({{"name", row.name}, {"label", row.label}, {"objective", row.objective},
                            {"metrics", metrics}, {"versus_mle", tests}, {"train_seconds", row.trainSeconds},
                            {"best_step", row.bestStep}, {"steps", row.totalSteps},
                            {"mean_sample_tokens", row.meanSampleTokens}, {"eos_share", row.eosShare},
                            {"forward_ce", row.forwardCe}, {"reverse_ce", row.reverseCe}});
    }
    json curvesJson = json::array();
    for (const auto& c : curves)
        curvesJson.push_back({{"config", c.label}, {"validation_steps", c.validationSteps}, {"validation_ce", c.validationCe},
                              {"train_steps", c.trainSteps}, {"train_ce", c.trainCe}});
    json transportJson = json::array();
    for (const auto& t : result.transport)
        transportJson.push_back({{"model", t.model}, {"cost_from", t.costFrom}, {"tokens", t.tokens},
                                 {"mean_demd", t.meanDemd}, {"mean_ce", t.meanCe}, {"percentiles", {5, 25, 50, 75, 95}},
                                 {"demd", t.demd}, {"mle_over_demd", t.ratio}});
    const json gateJson = {{"passed", gate.passed}, {"student_ppl", gate.studentPpl}, {"mle_ppl", gate.mlePpl},
                           {"student_oracle_ppl", gate.studentOraclePpl}, {"mle_oracle_ppl", gate.mleOraclePpl},
                           {"message", gate.message}};
    const json results = {{"format", kOracleExperimentFormat}, {"experiment", "oracle"}, {"settings", settingsJson(s)},
                          {"protocol", eval::toString(s.protocol)}, {"significance_level", kSignificanceLevel},
                          {"test", "paired sign-flip (permutation) test against MLE, two-sided"},
                          {"sanity_gate", gateJson}, {"oracle", oracleInfo}, {"student", studentInfo},
                          {"rows", rowsJson}, {"runs", runsJson}, {"transport", transportJson},
                          {"curves", curvesJson}, {"seconds_this_invocation", result.seconds},
                          {"runs_skipped", result.runsSkipped}};
    util::writeTextFileAtomically(joinPath(s.outputDir, "results.json"), results.dump(2) + "\n");

    bool plotted = report::canWritePlots();
    if (plotted)
        writePlots(s, rows, curves);

    std::ostringstream md;
    md << "# Oracle experiment (" << s.scale << " scale)\n\n"
       << "The design of the EMO paper's oracle experiment (Table 2) with models this machine trains: the oracle's "
          "samples stand in for human text, so the oracle's perplexity of a model's samples measures precision and "
          "the model's perplexity of held-out oracle text measures recall.\n\n"
       << "**Sanity gate " << gate.message << ".**\n\n"
       << "Mean ± sample standard deviation over " << s.seeds.size() << " seeds (fine-tuning and sampling); "
          "diagnostics are one seed. **Bold**: better than MLE by a paired sign-flip test with p < 0.001 (the paper's "
          "bold). Best step: the mean step of the best validation checkpoint, of the steps run. Fine-tune time is wall "
          "time per run on this machine.\n\n"
       << resultsMarkdownTable(rows) << "\n"
       << "### The paper's Table 2 (GPT-2 student, GPT-2-Large oracle; RESULTS.md)\n\n"
       << "| method | PPL_oracle ↓ | MAUVE ↑ | ROUGE-1 ↑ | ROUGE-L ↑ |\n|---|---:|---:|---:|---:|\n"
       << "| MLE | 114.46 | 77.5 | 34.59 | 29.85 |\n| TaiLr | 95.22 | 77.4 | 34.95 | 30.09 |\n"
       << "| MixCE | 79.46 | 78.4 | 35.31 | 30.26 |\n| EMO | 55.85 | 83.4 | 37.37 | 31.17 |\n\n"
       << "(The paper reports MAUVE and ROUGE × 100 and no test PPL; its TaiLr and MixCE rows are the best of the "
          "{0.9, 0.8, 0.7} sweep.)\n\n"
       << "### Paired tests against MLE\n\n"
       << "Mean difference (model − MLE; perplexities as mean −log p in nats), two-sided p-value, pairs: "
          "(seed, prefix) for ROUGE and oracle PPL, (seed, sample index) for MAUVE, (seed, test block) for test PPL.\n\n"
       << pValueTable(rows) << "\n"
       << "### Transport on the validation set\n\n"
       << "Per-token DEMD and mle/demd (the weight paper-mode EMO puts on DEMD), percentiles 5/25/50/75/95, at the "
          "start of fine-tuning (the student, its own head as Ê) and at the end (each EMO run of seed "
       << s.seeds.front() << ", with its Ê).\n\n"
       << "| model | Ê | mean CE | mean DEMD | DEMD p5 / p25 / p50 / p75 / p95 | mle/demd p5 / p25 / p50 / p75 / p95 |\n"
          "|---|---|---:|---:|---|---|\n";
    for (const auto& t : result.transport) {
        char line[512];
        std::snprintf(line, sizeof(line),
                      "| %s | %s | %.3f | %.4f | %.3f / %.3f / %.3f / %.3f / %.3f | %.1f / %.1f / %.1f / %.1f / %.1f |\n",
                      t.model.c_str(), t.costFrom.empty() ? "student's head" : t.costFrom.c_str(), t.meanCe, t.meanDemd,
                      t.demd[0], t.demd[1], t.demd[2], t.demd[3], t.demd[4], t.ratio[0], t.ratio[1], t.ratio[2],
                      t.ratio[3], t.ratio[4]);
        md << line;
    }
    md << "\n### Unconditional samples\n\n64 samples of each model (seed " << s.seeds.front()
       << " for the fine-tunes) from the start token, stopped at EOS or after " << s.documentTokens
       << " tokens, as the oracle's own documents were drawn.\n\n| model | mean tokens | ended by EOS |\n|---|---:|---:|\n";
    for (const auto& row : rows) {
        char line[256];
        std::snprintf(line, sizeof(line), "| %s | %.1f | %.0f %% |\n", row.label.c_str(), row.meanSampleTokens,
                      100.0 * row.eosShare);
        md << line;
    }
    md << "\n### Forward / reverse cross-entropy against the oracle (Figure 2, with the exact target)\n\n"
       << "Token level on " << kCrossEntropyBlocks << " validation blocks, nats per token, mean over the row's seeds: "
          "forward −Σ_v P log Q (recall: Q covers what the oracle P puts mass on), reverse −Σ_v Q log P (precision: "
          "Q puts mass only where P does), and their mean, which the paper's Figure 2 plots against a surrogate "
          "(here the target itself; the oracle's row is its own entropy).\n\n"
          "| model | forward CE ↓ | reverse CE ↓ | mean ↓ |\n|---|---:|---:|---:|\n";
    for (const auto& row : rows) {
        char line[256];
        std::snprintf(line, sizeof(line), "| %s | %.3f | %.3f | %.3f |\n", row.label.c_str(), row.forwardCe,
                      row.reverseCe, 0.5 * (row.forwardCe + row.reverseCe));
        md << line;
    }
    md << "\n## Setup\n\n"
       << setupMarkdown(s, oracleInfo, studentInfo) << "\n";
    if (plotted) {
        md << "## Plots\n\n";
        for (const auto& metric : oracleMetrics())
            md << "![" << metric.title << "](" << metric.name << ".png)\n";
        md << "![cross-entropy against the oracle](cross-entropy.png)\n"
           << "![validation cross-entropy](training-curves.png)\n![training cross-entropy](training-ce.png)\n";
    } else {
        md << "(No plots: this build of emo has no cairo.)\n";
    }
    util::writeTextFileAtomically(joinPath(s.outputDir, "results.md"), md.str());
}

} // namespace emo::experiment
