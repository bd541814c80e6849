// The pure parts of resuming: trainer_state.safetensors round trip, the epoch order, run.json and
// metrics.jsonl (de)serialisation.
#include "io/safetensors.h"
#include "train/batch_order.h"
#include "train/blocked_adamw.h"
#include "train/run_files.h"
#include "train/trainer_state.h"
#include "util/atomic_file.h"
#include "util/error.h"

#include <QtTest/QtTest>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

using namespace emo::train;

class TestTrainerState : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // The sliced AdamW against torch::optim::AdamW: same parameters after several steps, with a tensor that spans
    // three slices, a small one, a non-contiguous one, two groups (weight decay on one) and non-default options.
    void blockedAdamWMatchesAdamW()
    {
        torch::manual_seed(11);
        const std::vector<torch::Tensor> initial{torch::randn({700, 800}), torch::randn({7}),
                                                 torch::randn({30, 40}).t()};
        auto makeParams = [&] {
            std::vector<torch::Tensor> params;
            for (const auto& t : initial)
                params.push_back(t.clone(torch::MemoryFormat::Preserve).requires_grad_(true));
            return params;
        };
        std::vector<torch::Tensor> a = makeParams(), b = makeParams();
        QVERIFY(!a[2].is_contiguous());
        auto options = torch::optim::AdamWOptions(3e-3).betas(std::make_tuple(0.8, 0.95)).eps(1e-6).weight_decay(0.1);
        auto groups = [&](std::vector<torch::Tensor>& p) {
            std::vector<torch::optim::OptimizerParamGroup> g;
            g.emplace_back(std::vector<torch::Tensor>{p[0], p[2]}, std::make_unique<torch::optim::AdamWOptions>(options));
            auto noDecay = options;
            noDecay.weight_decay(0.0);
            g.emplace_back(std::vector<torch::Tensor>{p[1]}, std::make_unique<torch::optim::AdamWOptions>(noDecay));
            return g;
        };
        torch::optim::AdamW reference(groups(a), options);
        emo::train::BlockedAdamW blocked(groups(b), options);
        for (int step = 0; step < 4; ++step) {
            for (size_t i = 0; i < a.size(); ++i) {
                const auto grad = torch::randn(a[i].sizes()) * double(i + 1);
                a[i].mutable_grad() = grad.clone();
                b[i].mutable_grad() = grad.clone();
            }
            reference.step();
            blocked.step();
        }
        for (size_t i = 0; i < a.size(); ++i) {
            const double diff = (a[i] - b[i]).abs().max().item<double>();
            const double moved = (a[i] - initial[i]).abs().max().item<double>();
            QVERIFY2(diff <= 1e-6 * moved, qPrintable(QString("tensor %1: diff %2 of a move of %3").arg(i).arg(diff).arg(moved)));
            QVERIFY(moved > 1e-3);
        }
        QCOMPARE(blocked.state().size(), reference.state().size());
    }

    void stateRoundTrip()
    {
        QTemporaryDir dir;
        torch::manual_seed(3);
        TrainerState state;
        state.step = 17;
        state.epoch = 2;
        state.position = 5;
        state.totalSteps = 40;
        state.trainBlocks = 9;
        state.bestValidationLoss = 2.5;
        state.bestStep = 12;
        state.order = {3, 1, 4, 0, 5, 8, 2, 6, 7};
        state.rngState = torch::randint(0, 255, {64}, torch::kUInt8);
        // names deliberately out of alphabetical order: the loader must keep the model's order
        state.parameters = {{"wte.weight", torch::randn({5, 3})}, {"h.0.ln.bias", torch::randn({3})}};
        state.expAvg = {{"wte.weight", torch::randn({5, 3})}, {"h.0.ln.bias", torch::randn({3})}};
        state.expAvgSq = {{"wte.weight", torch::rand({5, 3})}, {"h.0.ln.bias", torch::rand({3})}};
        state.adamSteps = {{"wte.weight", 17}, {"h.0.ln.bias", 16}};
        const std::string path = dir.filePath("trainer_state.safetensors").toStdString();
        state.save(path);

        const auto loaded = TrainerState::load(path);
        QCOMPARE(loaded.step, int64_t(17));
        QCOMPARE(loaded.epoch, int64_t(2));
        QCOMPARE(loaded.position, int64_t(5));
        QCOMPARE(loaded.totalSteps, int64_t(40));
        QCOMPARE(loaded.trainBlocks, int64_t(9));
        QCOMPARE(loaded.bestValidationLoss, 2.5);
        QCOMPARE(loaded.bestStep, int64_t(12));
        QVERIFY(loaded.order == state.order);
        QVERIFY(torch::equal(loaded.rngState, state.rngState));
        QCOMPARE(loaded.parameters.size(), std::size_t(2));
        for (std::size_t i = 0; i < 2; ++i) {
            QCOMPARE(loaded.parameters[i].first, state.parameters[i].first);
            QVERIFY(torch::equal(loaded.parameters[i].second, state.parameters[i].second));
            QVERIFY(torch::equal(loaded.expAvg[i].second, state.expAvg[i].second));
            QVERIFY(torch::equal(loaded.expAvgSq[i].second, state.expAvgSq[i].second));
        }
        std::map<std::string, int64_t> steps(loaded.adamSteps.begin(), loaded.adamSteps.end());
        QCOMPARE(steps.at("wte.weight"), int64_t(17));
        QCOMPARE(steps.at("h.0.ln.bias"), int64_t(16));
    }

    void stateWithoutBestKeepsNan()
    {
        QTemporaryDir dir;
        TrainerState state;
        state.order = {0};
        state.parameters = {{"w", torch::zeros({2})}};
        const std::string path = dir.filePath("s.safetensors").toStdString();
        state.save(path);
        const auto loaded = TrainerState::load(path);
        QVERIFY(std::isnan(loaded.bestValidationLoss));
        QVERIFY(loaded.expAvg.empty());
    }

    void notAStateIsBadInput()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("x.safetensors").toStdString();
        emo::io::writeSafetensors(path, {{"w", torch::zeros({2})}});
        try {
            TrainerState::load(path);
            QFAIL("no error");
        } catch (const emo::Error& e) {
            QCOMPARE(e.kind(), emo::Error::Kind::BadInput);
            QVERIFY(QString(e.what()).contains("x.safetensors"));
        }
    }

    void epochOrderIsAReproduciblePermutation()
    {
        const auto a = epochOrder(50, 7, 0);
        const auto b = epochOrder(50, 7, 0);
        const auto c = epochOrder(50, 7, 1);
        const auto d = epochOrder(50, 8, 0);
        QVERIFY(a == b);
        QVERIFY(a != c);
        QVERIFY(a != d);
        auto sorted = a;
        std::sort(sorted.begin(), sorted.end());
        for (int64_t i = 0; i < 50; ++i)
            QCOMPARE(sorted[std::size_t(i)], i);
        std::vector<int64_t> identity(50);
        std::iota(identity.begin(), identity.end(), 0);
        QVERIFY(a != identity);
        QVERIFY(epochOrder(0, 1, 0).empty());
        QCOMPARE(epochOrder(1, 1, 0).size(), std::size_t(1));
    }

    void settingsRoundTrip()
    {
        TrainSettings s;
        s.objective.kind = emo::objective::ObjectiveKind::Tailr;
        s.objective.emoMode = emo::objective::EmoMode::Llama;
        s.objective.tailrGamma = 0.25;
        s.maxSteps = 77;
        s.batchSize = 3;
        s.blockSize = 19;
        s.learningRate = 1.5e-4;
        s.schedule = "cosine";
        s.warmupSteps = 4;
        s.gradientAccumulation = 2;
        s.clipNorm = 1.0;
        s.validateEvery = 5;
        s.seed = 0xFFFFFFFFFFFFull;
        s.dataPath = "a.txt";
        s.extraDataPaths = {"b.txt", "c.jsonl"};
        s.modelPath = "m";
        s.outputDir = "o";
        const auto back = settingsFromJson(nlohmann::json::parse(settingsToJson(s).dump()), "test");
        QCOMPARE(settingsToJson(back).dump(), settingsToJson(s).dump());
        QCOMPARE(back.objective.kind, emo::objective::ObjectiveKind::Tailr);
        QCOMPARE(back.seed, s.seed);
        QCOMPARE(back.extraDataPaths.size(), std::size_t(2));
    }

    void paperRecipeDefaults()
    {
        const TrainSettings s;
        QCOMPARE(s.objective.kind, emo::objective::ObjectiveKind::Emo);
        QCOMPARE(s.objective.emoMode, emo::objective::EmoMode::Paper);
        QCOMPARE(s.learningRate, 5e-5);
        QCOMPARE(s.weightDecay, 0.0);
        QCOMPARE(s.schedule, std::string("linear"));
        QCOMPARE(s.warmupSteps, int64_t(0));
        QCOMPARE(s.batchSize, int64_t(32));
        QCOMPARE(s.blockSize, int64_t(256));
        QCOMPARE(s.epochs, int64_t(3));
    }

    void runJsonRoundTripWritesNullForNan()
    {
        QTemporaryDir dir;
        RunRecord r;
        r.status = "running";
        r.step = 2;
        r.totalSteps = 10;
        TrainProgress p;
        p.step = 1;
        p.loss = 3.5;
        p.mlePart = 3.0;
        r.steps.push_back(p);
        TrainProgress v;
        v.step = 2;
        v.validationLoss = 2.75;
        v.bestValidationLoss = 2.75;
        v.bestStep = 2;
        r.validations.push_back(v);
        r.bestStep = 2;
        r.bestValidationLoss = 2.75;
        const std::string path = dir.filePath("run.json").toStdString();
        writeRunJson(path, r);
        const auto json = nlohmann::json::parse(emo::util::readTextFile(path));
        QVERIFY(json["history"]["steps"][0]["demd"].is_null());  // NaN is not JSON
        QCOMPARE(json["best_step"].get<int64_t>(), int64_t(2));
        const auto back = readRunJson(path);
        QCOMPARE(back.steps.size(), std::size_t(1));
        QCOMPARE(back.steps[0].loss, 3.5);
        QVERIFY(std::isnan(back.steps[0].demdPart));
        QCOMPARE(back.validations[0].validationLoss, 2.75);
        QCOMPARE(back.bestValidationLoss, 2.75);
    }

    void truncateMetricsDropsLaterAndCutLines()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("metrics.jsonl").toStdString();
        for (int step = 1; step <= 5; ++step)
            appendMetricsLine(path, {{"type", "step"}, {"step", step}});
        {
            std::ofstream out(path, std::ios::app);
            out << "{\"type\":\"step\",\"st";  // a line cut by a crash
        }
        truncateMetrics(path, 3);
        std::ifstream in(path);
        std::string line;
        int count = 0;
        while (std::getline(in, line)) {
            ++count;
            QCOMPARE(nlohmann::json::parse(line)["step"].get<int>(), count);
        }
        QCOMPARE(count, 3);
    }
};

QTEST_GUILESS_MAIN(TestTrainerState)
#include "tst_trainer_state.moc"
