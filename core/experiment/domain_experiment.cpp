#include "experiment/domain_experiment.h"

#include "eval/model_evaluation.h"
#include "eval/sequence_scoring.h"
#include "eval/token_cross_entropy.h"
#include "io/documents.h"
#include "model/model_folder.h"
#include "report/plot_writer.h"
#include "text/document_blocks.h"
#include "text/tokenizer.h"
#include "train/run_files.h"
#include "util/atomic_file.h"
#include "util/device.h"
#include "util/error.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace emo::experiment {
namespace {

const int kFormat = 1;
const char* const kSplits[] = {"train", "validation", "test"};

// The paper's Table 1 (GPT-2 rows), MAUVE × 100, by data set (RESULTS.md).
struct PaperColumn {
    const char* dataSet;
    double mle, tailr, mixce, emo;
};
const PaperColumn kPaperTable1[] = {
    {"WikiText2", 77.5, 79.6, 78.3, 87.5},  {"WikiText103", 77.1, 78.0, 77.6, 82.1},
    {"WebText_test", 75.5, 76.5, 76.3, 80.5}, {"PTB", 76.1, 73.8, 76.9, 79.6},
    {"WritingPrompts", 83.6, 84.1, 82.7, 87.4}, {"AG", 75.0, 75.8, 76.6, 84.9},
};

std::string domainFile(const DomainExperimentSettings& s, const DomainCorpus& d, const std::string& split)
{
    return joinPath(joinPath(s.dataDir, d.name), split + ".txt");
}

json domainsJson(const std::vector<DomainCorpus>& domains)
{
    json out = json::array();
    for (const auto& d : domains)
        out.push_back({{"name", d.name}, {"label", d.label}, {"prefix_words", d.prefixWords},
                       {"continuation_tokens", d.continuationTokens}, {"analogue", d.analogue}});
    return out;
}

json settingsJson(const DomainExperimentSettings& s)
{
    const auto absolute = [](const std::string& p) { return p.empty() ? p : fs::absolute(p).lexically_normal().string(); };
    const auto& b = s.base;
    const auto& f = s.fineTune;
    return {{"format", kFormat},
            {"experiment", "domains"},
            {"scale", s.scale},
            {"data", absolute(s.dataDir)},
            {"surrogate", absolute(s.surrogatePath)},
            {"base_model", absolute(s.basePath)},
            {"base", s.basePath.empty() ? json{{"layers", b.layers}, {"hidden", b.hidden}, {"heads", b.heads},
                                               {"steps", b.steps}, {"batch", b.batch}, {"block", b.blockSize},
                                               {"lr", b.learningRate}, {"corpus", absolute(b.dataPath)}}
                                        : json(nullptr)},
            {"fine_tune", {{"block", f.blockSize}, {"epochs", f.epochs}, {"steps", f.steps}, {"batch", f.batch},
                           {"lr", f.learningRate}, {"validate_every", f.validateEvery}}},
            {"evaluation", {{"protocol", eval::toString(s.protocol)}, {"samples_per_prefix", s.samplesPerPrefix},
                            {"max_prefixes", s.maxPrefixes}, {"cross_entropy_blocks", s.crossEntropyBlocks}}},
            {"domains", domainsJson(s.domains)},
            {"seeds", s.seeds},
            {"configs", configsJson(s.configs)}};
}

int64_t wordCount(const std::string& text)
{
    std::istringstream in(text);
    int64_t n = 0;
    for (std::string w; in >> w;)
        ++n;
    return n;
}

// Everything a run will read, before any training: the folders, each domain's three files (readable, with
// documents; test documents long enough for a prefix), the base's vocabulary.
void checkSettings(const DomainExperimentSettings& s)
{
    if (s.outputDir.empty())
        throw Error::badInput("out: no output folder given");
    if (s.surrogatePath.empty() || !fs::is_regular_file(joinPath(s.surrogatePath, "config.json")))
        throw Error::badInput("surrogate: " + s.surrogatePath + " is not a model folder (no config.json)");
    if (!s.basePath.empty() && !fs::is_regular_file(joinPath(s.basePath, "config.json")))
        throw Error::badInput("base: " + s.basePath + " is not a model folder (no config.json)");
    if (s.basePath.empty() && (s.base.dataPath.empty() || !fs::is_regular_file(s.base.dataPath)))
        throw Error::badInput("base corpus: " + s.base.dataPath + " is not a file");
    if (s.seeds.empty() || s.configs.empty() || s.domains.empty())
        throw Error::badInput("experiment: no seeds, no objective configs or no domains");
    if (s.configs.front().objective.kind != objective::ObjectiveKind::Mle)
        throw Error::badInput("experiment: the first config must be MLE (the baseline of the tests)");
    if (s.samplesPerPrefix <= 0 || s.maxPrefixes <= 0 || s.crossEntropyBlocks <= 0)
        throw Error::badInput("experiment: samples, prefixes and cross-entropy blocks must be positive");
    if (s.fineTune.steps <= 0 && s.fineTune.epochs <= 0)
        throw Error::badInput("experiment: fine-tuning needs epochs or steps");
    for (const auto& d : s.domains) {
        if (d.name.empty() || d.prefixWords <= 0 || d.continuationTokens <= 0)
            throw Error::badInput("domain '" + d.name + "': a name and positive prefix and continuation lengths are needed");
        io::readDocuments(domainFile(s, d, "train"));  // missing, unreadable or empty: BadInput naming the file
        io::readDocuments(domainFile(s, d, "validation"));
        int64_t usable = 0;
        for (const auto& doc : io::readDocuments(domainFile(s, d, "test")))
            usable += wordCount(doc) > d.prefixWords;
        if (usable < 2)
            throw Error::badInput(domainFile(s, d, "test") + ": " + std::to_string(usable) +
                                  " documents longer than the prefix (" + std::to_string(d.prefixWords) +
                                  " words); MAUVE needs at least 2");
    }
}

// The evaluation of one model on one domain: MAUVE (surrogate features) and test perplexity by the
// continuation protocol, then Figure 2's cross-entropies against the surrogate on the domain's validation
// blocks [N,T] (the surrogate's ids, which are the model's: the vocabularies are checked equal).
json scoreOnDomain(const DomainExperimentSettings& s, const DomainCorpus& d, const torch::Tensor& validationBlocks,
                   model::LanguageModel& model, const text::Tokenizer& tokenizer, model::LanguageModel& surrogate,
                   const text::Tokenizer& surrogateTokenizer,
                   uint64_t firstSeed, int64_t seeds, ExperimentReporter& reporter, const std::string& what,
                   const std::string& modelDir, const std::string& scoresDir)
{
    const auto start = ExperimentClock::now();
    eval::ContinuationModels models;
    models.model = &model;
    models.tokenizer = &tokenizer;
    models.oracle = &surrogate;  // MAUVE's feature model
    models.oracleTokenizer = &surrogateTokenizer;
    eval::ModelEvaluationSettings settings;
    settings.metrics = {"mauve", "ppl"};
    settings.pplBlock = s.fineTune.blockSize;
    settings.seed = firstSeed;
    settings.continuation.protocol = s.protocol;
    settings.continuation.continuationTokens = d.continuationTokens;
    settings.continuation.prefixWords = d.prefixWords;
    settings.continuation.continuationWords = d.continuationTokens;
    settings.continuation.samplesPerPrefix = s.samplesPerPrefix;
    settings.continuation.maxPrefixes = s.maxPrefixes;
    settings.continuation.seeds = seeds;
    settings.continuation.firstSeed = firstSeed;
    const auto evaluation = eval::evaluateModel(models, domainFile(s, d, "test"), settings, [&](const Progress& p) {
        return reporter.report(what + ": " + p.stage + (p.total > 0 ? " " + std::to_string(p.done) + "/" +
                                                                          std::to_string(p.total) : ""));
    });
    reporter.check(what + ": cross-entropy against the surrogate");
    const auto ce = eval::tokenCrossEntropies(model, surrogate, validationBlocks, 8, s.crossEntropyBlocks);
    return writeScores(scoresDir, modelDir, firstSeed, seeds, secondsSince(start), evaluation.report.metrics,
                       {{"forward_ce", ce.forward}, {"reverse_ce", ce.reverse}, {"ce_positions", ce.positions}});
}

const DomainResultRow* findRow(const std::vector<DomainResultRow>& rows, const std::string& domain, const std::string& config)
{
    for (const auto& r : rows)
        if (r.domain == domain && r.config == config)
            return &r;
    return nullptr;
}

// One table over the domains: a row per config (then the base), `cell` formatting each.
template <typename Cell>
std::string domainTable(const DomainExperimentSettings& s, const std::vector<DomainResultRow>& rows, Cell cell)
{
    std::ostringstream md;
    md << "| objective |";
    std::string separator = "|---|";
    for (const auto& d : s.domains) {
        md << " " << d.label << " |";
        separator += "---:|";
    }
    md << "\n" << separator << "\n";
    std::vector<std::pair<std::string, std::string>> order;
    for (const auto& c : s.configs)
        order.emplace_back(c.name, c.label);
    order.emplace_back("base", "base, before fine-tuning");
    for (const auto& [config, label] : order) {
        md << "| " << label << " |";
        for (const auto& d : s.domains) {
            const DomainResultRow* row = findRow(rows, d.name, config);
            md << " " << (row ? cell(*row) : std::string("–")) << " |";
        }
        md << "\n";
    }
    return md.str();
}

std::string formatted(const char* format, double a, double b = 0.0)
{
    char text[96];
    std::snprintf(text, sizeof(text), format, a, b);
    return text;
}

void writePlots(const DomainExperimentSettings& s, const std::vector<DomainResultRow>& rows)
{
    for (const auto& d : s.domains) {
        for (int which = 0; which < 2; ++which) {
            report::Plot plot;
            plot.kind = report::Plot::Kind::Bars;
            report::PlotSeries series;
            if (which == 0) {
                plot.title = "MAUVE on " + d.label + " (higher is better)";
                plot.subtitle = "mean ± std over " + std::to_string(s.seeds.size()) + " seeds; prefix " +
                                std::to_string(d.prefixWords) + " words, " + std::to_string(d.continuationTokens) + " new tokens";
                plot.yLabel = "MAUVE";
                plot.yCeiling = 1.0;
                series.name = "mauve";
            } else {
                plot.title = "Forward and reverse CE against the surrogate, " + d.label + " (lower is better)";
                plot.subtitle = "(forward + reverse) / 2, token level, validation set; mean over seeds";
                plot.yLabel = "nats per token";
                series.name = "cross-entropy";
            }
            for (const auto& row : rows) {
                if (row.domain != d.name)
                    continue;
                plot.categories.push_back(row.config == "base" ? "base" : row.label);
                plot.categoryColours.push_back(objectiveColour(row.objective));
                if (which == 0) {
                    series.y.push_back(row.mauve.count > 0 ? row.mauve.mean : NAN);
                    series.error.push_back(row.mauve.std);
                } else {
                    series.y.push_back(0.5 * (row.forwardCe + row.reverseCe));
                    series.error.push_back(0.0);
                }
            }
            plot.series.push_back(series);
            report::writePlot(plot, joinPath(s.outputDir, (which == 0 ? "mauve-" : "cross-entropy-") + d.name));
        }
    }
}

std::string setupMarkdown(const DomainExperimentSettings& s, const json& surrogateInfo, const json& baseInfo)
{
    std::ostringstream md;
    md << "- **Base** (GPT-2's place): " << baseInfo.value("summary", "");
    if (s.basePath.empty())
        md << ", LLaMA-family, pretrained from scratch with MLE on `" << fs::path(s.base.dataPath).parent_path().filename().string()
           << "/" << fs::path(s.base.dataPath).filename().string() << "` for " << s.base.steps << " steps × " << s.base.batch
           << " blocks of " << s.base.blockSize << " tokens, the surrogate's tokenizer";
    else
        md << ", `" << s.basePath << "`";
    md << ". Its LM head, as pretrained, is EMO's frozen Ê.\n";
    md << "- **Surrogate target** (GPT-Neo-1.3B's place in Figure 2, GPT-2-Large's as MAUVE's feature model): `"
       << fs::path(s.surrogatePath).filename().string() << "` (" << surrogateInfo.value("summary", "")
       << ").\n";
    md << "- **Fine-tuning**: each objective from the same base on each domain's training documents (BOS before and "
          "EOS after each), ";
    if (s.fineTune.steps > 0)
        md << s.fineTune.steps << " steps";
    else
        md << s.fineTune.epochs << " epochs";
    md << " × " << s.fineTune.batch << " blocks of " << s.fineTune.blockSize << " tokens, AdamW lr "
       << shortNumber(s.fineTune.learningRate) << ", linear decay, validation every " << s.fineTune.validateEvery
       << " steps, the best validation checkpoint kept; seeds";
    for (auto seed : s.seeds)
        md << " " << seed;
    md << ". TaiLr and MixCE at one weight of the paper's grid (the MLE share 0.9, fixed before any run), as the EMO "
          "repository runs them.\n";
    md << "- **MAUVE** (protocol `" << eval::toString(s.protocol) << "`): up to " << s.maxPrefixes
       << " test documents per domain; each gives a prefix of its first words and its next words as the human "
          "reference; " << s.samplesPerPrefix << " unbiased samples per prefix, each exactly the domain's new-token "
          "count; MAUVE once per sample index against the references and averaged, the surrogate's last-token "
          "features. Lengths are the paper's Table 4 halved (our blocks hold 128 tokens, its 256):\n\n"
       << "| domain | prefix words | new tokens | the paper's data set of its kind | train / validation / test documents |\n"
          "|---|---:|---:|---|---|\n";
    for (const auto& d : s.domains) {
        md << "| " << d.label << " | " << d.prefixWords << " | " << d.continuationTokens << " | " << d.analogue << " | ";
        for (const char* split : kSplits)
            md << io::readDocuments(domainFile(s, d, split)).size() << (std::string(split) == "test" ? "" : " / ");
        md << " |\n";
    }
    md << "\n- **Test PPL**: the model's perplexity of the domain's test documents (blocks of " << s.fineTune.blockSize
       << ").\n- **Figure 2**: at every position of up to " << s.crossEntropyBlocks
       << " validation blocks, forward CE −Σ_v P(v) log Q(v) and reverse CE −Σ_v Q(v) log P(v), P the surrogate, Q "
          "the model, the same context for both.\n";
    return md.str();
}

} // namespace

DomainExperimentSettings DomainExperimentSettings::preset(const std::string& scale)
{
    using objective::ObjectiveKind;
    DomainExperimentSettings s;
    s.scale = scale;
    // Table 4's prefix / generation lengths halved (blocks of 128 tokens here, 256 there).
    const std::vector<DomainCorpus> all = {
        {"austen", "Austen", 10, 40, "WikiText-103 (20 / 80)"},
        {"melville", "Melville", 18, 40, "WritingPrompts (35 / 80)"},
        {"handbook", "Debian Handbook", 10, 40, "WebText (20 / 80)"},
        {"jargon", "Jargon File", 10, 40, "WikiText-2 (20 / 80)"},
        {"kjv", "KJV New Testament", 3, 13, "PTB (5 / 25)"},
        {"fortunes", "Fortunes", 5, 15, "AG News (10 / 30)"},
    };
    s.configs = {makeObjectiveConfig(ObjectiveKind::Mle), makeObjectiveConfig(ObjectiveKind::Tailr, 0.9),
                 makeObjectiveConfig(ObjectiveKind::Mixce, 0.9), makeObjectiveConfig(ObjectiveKind::Emo)};
    s.fineTune.validateEvery = 20;
    if (scale == "full") {
        s.domains = all;
    } else if (scale == "quick") {
        s.domains = {all[0], all[2], all[4], all[5]};
        s.base.steps = 120;
        s.fineTune.epochs = 1;
        s.maxPrefixes = 40;
        s.crossEntropyBlocks = 16;
        s.seeds = {1};
    } else if (scale == "micro") {
        s.domains = {all[3], all[5]};
        for (auto& d : s.domains) {
            d.prefixWords = 3;
            d.continuationTokens = 6;
        }
        s.base.layers = 1;
        s.base.hidden = 32;
        s.base.heads = 2;
        s.base.steps = 4;
        s.base.batch = 4;
        s.base.blockSize = 32;
        s.fineTune.blockSize = 32;
        s.fineTune.epochs = 0;
        s.fineTune.steps = 3;
        s.fineTune.batch = 4;
        s.fineTune.validateEvery = 2;
        s.samplesPerPrefix = 2;
        s.maxPrefixes = 4;
        s.crossEntropyBlocks = 2;
        s.seeds = {1, 2};
    } else {
        throw Error::badInput("scale: unknown scale '" + scale + "' (full, quick, micro)");
    }
    return s;
}

void useBundledInputs(DomainExperimentSettings& settings, const std::string& resourcesDir)
{
    if (settings.dataDir.empty())
        settings.dataDir = resourcesDir + "/data/domains";
    if (settings.surrogatePath.empty())
        settings.surrogatePath = resourcesDir + "/models/demo-base";
    if (settings.base.dataPath.empty() && settings.basePath.empty())
        settings.base.dataPath = resourcesDir + "/data/pretrain/train.txt";
}

std::string domainMauveTable(const DomainExperimentSettings& s, const std::vector<DomainResultRow>& rows)
{
    return domainTable(s, rows, [](const DomainResultRow& r) {
        if (r.mauve.count == 0)
            return std::string("–");
        const bool bold = significantlyBetter(r.mauveVsMle, "mauve");
        const std::string value = r.mauve.count > 1 ? formatted("%.1f ± %.1f", 100.0 * r.mauve.mean, 100.0 * r.mauve.std)
                                                    : formatted("%.1f", 100.0 * r.mauve.mean);
        return bold ? "**" + value + "**" : value;
    });
}

DomainExperimentResult runDomainExperiment(const DomainExperimentSettings& s, const ProgressCallback& progress)
{
    const auto start = ExperimentClock::now();
    checkSettings(s);
    const int64_t totalRuns = static_cast<int64_t>(s.domains.size() * s.configs.size() * s.seeds.size());
    ExperimentReporter reporter(progress, totalRuns);
    reporter.check("loading the surrogate");
    const auto device = util::parseDevice(s.device);
    auto [surrogate, surrogateTokenizer] = model::loadModelFolder(s.surrogatePath, device);
    if (!s.basePath.empty()) {
        const auto baseTokenizer = text::loadTokenizer(s.basePath);
        if (!eval::sameVocabulary(*baseTokenizer, *surrogateTokenizer))
            throw Error::badInput("base: " + s.basePath + " has another vocabulary than the surrogate " + s.surrogatePath +
                                  " (" + std::to_string(baseTokenizer->vocabSize()) + " vs " +
                                  std::to_string(surrogateTokenizer->vocabSize()) + " pieces); Figure 2 compares "
                                  "their distributions token by token");
    }
    // A corpus too small for one training or validation block is named now, not after the base's pretraining;
    // the validation blocks are kept for Figure 2's cross-entropies.
    std::map<std::string, torch::Tensor> validationBlocks;
    for (const auto& d : s.domains)
        for (const char* split : {"train", "validation"}) {
            const std::string file = domainFile(s, d, split);
            try {
                auto blocks = text::tokenizeIntoBlocks(io::readDocuments(file), *surrogateTokenizer, s.fineTune.blockSize);
                if (std::string(split) == "validation")
                    validationBlocks[d.name] = std::move(blocks);
            } catch (const Error& e) {
                if (e.kind() != Error::Kind::BadInput)
                    throw;
                throw Error::badInput(file + ": " + e.what());
            }
        }
    claimExperimentFolder(s.outputDir, settingsJson(s));
    DomainExperimentResult result;
    result.outputDir = s.outputDir;

    const std::string baseDir = s.basePath.empty() ? joinPath(s.outputDir, "base") : s.basePath;
    if (s.basePath.empty()) {
        StudentRecipe recipe = s.base;
        recipe.tokenizerFrom = s.surrogatePath;
        recipe.device = s.device;
        pretrainStudent(recipe, baseDir, reporter, "pretraining the base");
    }
    FineTuneRecipe recipe = s.fineTune;
    recipe.device = s.device;

    std::vector<DomainResultRow> rows;
    json runsJson = json::array();
    int64_t done = 0;
    for (const auto& d : s.domains) {
        std::vector<SeedUnits> unitsOfConfig;
        const size_t firstRow = rows.size();
        for (const auto& config : s.configs) {
            DomainResultRow row;
            row.domain = d.name;
            row.config = config.name;
            row.label = config.label;
            row.objective = objective::toString(config.objective.kind);
            std::vector<double> mauve, ppl;
            SeedUnits units;
            double seconds = 0.0, best = 0.0, steps = 0.0;
            for (uint64_t seed : s.seeds) {
                const std::string name = runName(config, seed);
                const std::string dir = joinPath(joinPath(joinPath(s.outputDir, "runs"), d.name), name);
                const std::string what = "run " + std::to_string(done + 1) + "/" + std::to_string(totalRuns) + " " +
                                         d.name + "/" + name;
                reporter.setRunsDone(done);
                const bool trained = fineTuneRun(recipe, config, config.costFrom, seed, baseDir, domainFile(s, d, "train"),
                                                 domainFile(s, d, "validation"), dir, reporter, what);
                json scores = readScores(dir);
                const bool scored = scores.is_null();
                if (scored) {
                    reporter.check(what + ": loading");
                    auto loaded = model::loadModelFolder(dir, device);
                    scores = scoreOnDomain(s, d, validationBlocks.at(d.name), *loaded.model, *loaded.tokenizer, *surrogate, *surrogateTokenizer, seed, 1,
                                           reporter, what, dir, dir);
                }
                const auto record = train::readRunJson(joinPath(dir, train::kRunJson));
                seconds += trainSeconds(record);
                best += static_cast<double>(record.bestStep);
                steps += record.steps.empty() ? 0.0 : static_cast<double>(record.steps.back().step);
                const auto m = metricFromScores(scores, "mauve"), p = metricFromScores(scores, "ppl");
                mauve.push_back(m.mean);
                ppl.push_back(p.mean);
                units[seed]["mauve"] = m.units;
                units[seed]["ppl"] = p.units;
                row.forwardCe += scores.value("forward_ce", 0.0) / static_cast<double>(s.seeds.size());
                row.reverseCe += scores.value("reverse_ce", 0.0) / static_cast<double>(s.seeds.size());
                runsJson.push_back({{"domain", d.name}, {"name", name}, {"config", config.name}, {"seed", seed},
                                    {"mauve", m.mean}, {"ppl", p.mean}, {"forward_ce", scores.value("forward_ce", 0.0)},
                                    {"reverse_ce", scores.value("reverse_ce", 0.0)},
                                    {"train_seconds", trainSeconds(record)}, {"eval_seconds", scores.value("eval_seconds", 0.0)},
                                    {"best_step", record.bestStep},
                                    {"steps", record.steps.empty() ? 0 : record.steps.back().step}});
                ++done;
                result.runsSkipped += !trained && !scored;
                reporter.setRunsDone(done);
                reporter.report(what + ": done");
            }
            row.mauve = eval::summarizeMetric("mauve", mauve);
            row.ppl = eval::summarizeMetric("ppl", ppl);
            const double n = static_cast<double>(s.seeds.size());
            row.trainSeconds = seconds / n;
            row.bestStep = std::llround(best / n);
            row.totalSteps = std::llround(steps / n);
            rows.push_back(row);
            unitsOfConfig.push_back(units);
        }
        for (size_t c = 1; c < s.configs.size(); ++c) {
            rows[firstRow + c].mauveVsMle = pairedAgainstMle(unitsOfConfig[c], unitsOfConfig[0], "mauve");
            rows[firstRow + c].pplVsMle = pairedAgainstMle(unitsOfConfig[c], unitsOfConfig[0], "ppl");
        }
        // The base before fine-tuning, over the same sampling seeds.
        const std::string scoresDir = joinPath(joinPath(s.outputDir, "base-scores"), d.name);
        fs::create_directories(scoresDir);
        json scores = readScores(scoresDir);
        if (scores.is_null()) {
            const std::string what = d.name + ": scoring the base before fine-tuning";
            reporter.check(what);
            auto loaded = model::loadModelFolder(baseDir, device);
            scores = scoreOnDomain(s, d, validationBlocks.at(d.name), *loaded.model, *loaded.tokenizer, *surrogate, *surrogateTokenizer, s.seeds.front(),
                                   static_cast<int64_t>(s.seeds.size()), reporter, what, baseDir, scoresDir);
        }
        DomainResultRow base;
        base.domain = d.name;
        base.config = "base";
        base.label = "base";
        base.objective = "reference";
        base.mauve = metricFromScores(scores, "mauve");
        base.ppl = metricFromScores(scores, "ppl");
        base.forwardCe = scores.value("forward_ce", 0.0);
        base.reverseCe = scores.value("reverse_ce", 0.0);
        rows.push_back(base);
    }
    result.runsDone = done;

    // Results: JSON, Markdown, plots.
    reporter.check("writing results");
    const json surrogateInfo = modelSummaryJson(*surrogate);
    json baseInfo;
    {
        auto base = model::LanguageModel::load(baseDir, torch::kCPU);
        baseInfo = modelSummaryJson(*base);
    }
    const auto testJson = [](const eval::PairedTestResult& t, const char* metric) {
        return pairedTestJson(t, significantlyBetter(t, metric));
    };
    json rowsJson = json::array();
    for (const auto& r : rows)
        rowsJson.push_back({{"domain", r.domain}, {"config", r.config}, {"label", r.label}, {"objective", r.objective},
                            {"mauve", {{"mean", r.mauve.mean}, {"std", r.mauve.std}, {"count", r.mauve.count}}},
                            {"ppl", {{"mean", r.ppl.mean}, {"std", r.ppl.std}, {"count", r.ppl.count}}},
                            {"versus_mle", {{"mauve", testJson(r.mauveVsMle, "mauve")}, {"ppl", testJson(r.pplVsMle, "ppl")}}},
                            {"forward_ce", r.forwardCe}, {"reverse_ce", r.reverseCe},
                            {"train_seconds", r.trainSeconds}, {"best_step", r.bestStep}, {"steps", r.totalSteps}});
    result.seconds = secondsSince(start);
    const json results = {{"format", kFormat}, {"experiment", "domains"}, {"settings", settingsJson(s)},
                          {"protocol", eval::toString(s.protocol)}, {"significance_level", kSignificanceLevel},
                          {"test", "paired sign-flip (permutation) test against MLE, two-sided, per domain"},
                          {"surrogate", surrogateInfo}, {"base", baseInfo}, {"rows", rowsJson}, {"runs", runsJson},
                          {"seconds_this_invocation", result.seconds}, {"runs_skipped", result.runsSkipped}};
    util::writeTextFileAtomically(joinPath(s.outputDir, "results.json"), results.dump(2) + "\n");

    const bool plotted = report::canWritePlots();
    if (plotted)
        writePlots(s, rows);

    std::ostringstream md;
    md << "# Domains experiment (" << s.scale << " scale)\n\n"
       << "The design of the EMO paper's Table 1 and Figure 2 with models this machine trains: one base model "
          "fine-tuned with each objective on corpora of different domains, its continuations of held-out prefixes "
          "scored by MAUVE against the human text that follows them.\n\n"
       << "## MAUVE × 100 (Table 1)\n\n"
       << "Mean ± sample standard deviation over " << s.seeds.size() << " seeds (fine-tuning and sampling). **Bold**: "
          "better than MLE on that domain by a paired sign-flip test over (seed, sample index), p < 0.001 (the paper's bold).\n\n"
       << domainMauveTable(s, rows) << "\n"
       << "### The paper's Table 1 (GPT-2 rows, MAUVE × 100; RESULTS.md)\n\n| objective |";
    for (const auto& c : kPaperTable1)
        md << " " << c.dataSet << " |";
    md << "\n|---|";
    for (size_t i = 0; i < std::size(kPaperTable1); ++i)
        md << "---:|";
    md << "\n";
    const char* paperRows[] = {"MLE", "TaiLr", "MixCE", "EMO"};
    for (int r = 0; r < 4; ++r) {
        md << "| " << paperRows[r] << " |";
        for (const auto& c : kPaperTable1)
            md << " " << formatted("%.1f", r == 0 ? c.mle : r == 1 ? c.tailr : r == 2 ? c.mixce : c.emo) << " |";
        md << "\n";
    }
    md << "\n(Its TaiLr and MixCE are the best of the {0.9, 0.8, 0.7} sweep; every EMO number there is bold.)\n\n"
       << "## Test perplexity\n\nMean ± std over seeds; **bold**: lower than MLE by a paired test over (seed, test block), "
          "p < 0.001.\n\n"
       << domainTable(s, rows, [](const DomainResultRow& r) {
              if (r.ppl.count == 0)
                  return std::string("–");
              const std::string value = r.ppl.count > 1 ? formatted("%.1f ± %.1f", r.ppl.mean, r.ppl.std)
                                                        : formatted("%.1f", r.ppl.mean);
              return significantlyBetter(r.pplVsMle, "ppl") ? "**" + value + "**" : value;
          })
       << "\n## Forward / reverse cross-entropy against the surrogate (Figure 2)\n\n"
          "Token level, nats per token, mean over seeds: forward (recall) / reverse (precision), and in brackets their "
          "mean, which the paper's Figure 2 plots (lower is better).\n\n"
       << domainTable(s, rows, [](const DomainResultRow& r) {
              return formatted("%.3f / %.3f", r.forwardCe, r.reverseCe) +
                     formatted(" (%.3f)", 0.5 * (r.forwardCe + r.reverseCe));
          })
       << "\n## Paired tests against MLE\n\nMean difference (model − MLE; test PPL as mean −log p in nats), two-sided "
          "p-value, pairs.\n\n| domain | objective | MAUVE | test PPL |\n|---|---|---|---|\n";
    for (const auto& r : rows) {
        if (r.mauveVsMle.pairs == 0 && r.pplVsMle.pairs == 0)
            continue;
        const auto cell = [](const eval::PairedTestResult& t) {
            char text[96];
            std::snprintf(text, sizeof(text), "%+.3g (p %.2g, n %lld)", t.meanDifference, t.pValue,
                          static_cast<long long>(t.pairs));
            return std::string(t.pairs ? text : "–");
        };
        md << "| " << r.domain << " | " << r.label << " | " << cell(r.mauveVsMle) << " | " << cell(r.pplVsMle) << " |\n";
    }
    md << "\n## Training\n\nBest validation step / steps run, and fine-tune wall time per run on this machine.\n\n"
       << domainTable(s, rows, [](const DomainResultRow& r) {
              return r.config == "base" ? std::string("–")
                                        : formatted("%.0f / %.0f", static_cast<double>(r.bestStep), static_cast<double>(r.totalSteps)) +
                                              formatted(", %.0f s", r.trainSeconds);
          })
       << "\n## Setup\n\n" << setupMarkdown(s, surrogateInfo, baseInfo) << "\n";
    if (plotted) {
        md << "## Plots\n\n";
        for (const auto& d : s.domains)
            md << "![MAUVE on " << d.label << "](mauve-" << d.name << ".png)\n![cross-entropy on " << d.label
               << "](cross-entropy-" << d.name << ".png)\n";
    } else {
        md << "(No plots: this build of emo has no cairo.)\n";
    }
    util::writeTextFileAtomically(joinPath(s.outputDir, "results.md"), md.str());
    result.rows = rows;
    return result;
}

} // namespace emo::experiment
