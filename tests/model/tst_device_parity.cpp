// The same forward, objective values and gradients on two backends (llama.cpp's test-backend-ops idea): a
// model on the CPU in float32 is the reference; the same weights on CUDA in float32 and under bf16 autocast,
// and on the CPU under bf16 autocast, must agree with it within the stated tolerances. Without a CUDA device
// the cuda rows say "skipped: no CUDA device"; the cpu bf16 rows run everywhere.
#include "model/language_model.h"
#include "objective/cost_embedding.h"
#include "support/reference_tensors.h"
#include "support/test_devices.h"
#include "support/tiny_models.h"
#include "train/block_objective.h"
#include "util/precision.h"

#include <QTemporaryDir>
#include <QtTest>

#include <map>

using emo::model::LanguageModel;

namespace {

// Tolerances, relative to the largest magnitude of the compared quantity. float32 on another backend: the
// same sums in another order (GEMM blocking, reductions). bf16 autocast: operands rounded to 8 bits of mantissa;
// on the CPU measured up to 0.45 % (logits), 1.3e-5 (objective values: errors average out over the tokens) and
// 1.25 % (gradients) on these tiny models; the bounds leave room for another backend's accumulation order.
struct Tolerance {
    double logits, values, gradients;
};
constexpr Tolerance kFloat32{1e-4, 1e-5, 1e-3};
constexpr Tolerance kBFloat16{0.02, 2e-3, 0.05};

struct Measured {
    torch::Tensor logits;                        // [B,T,V] float32, on the CPU
    std::map<std::string, double> values;        // objective → its loss
    std::vector<torch::Tensor> gradients;        // ∂ EMO loss / ∂ each parameter, on the CPU
};

double relative(const torch::Tensor& a, const torch::Tensor& b)
{
    return emo::test::maxAbsDiff(a, b) / std::max(1e-30, b.abs().max().item<double>());
}

Measured measure(const std::string& folder, const torch::Device& device, torch::ScalarType precision,
                 const torch::Tensor& ids)
{
    auto model = LanguageModel::load(folder, device);
    const emo::objective::CostEmbedding cost(model->lmHeadWeight().detach());
    const torch::Tensor onDevice = ids.to(device);
    Measured m;
    {
        torch::NoGradGuard noGrad;
        emo::util::AutocastScope autocast(device, precision);
        m.logits = model->forward(onDevice).to(torch::kCPU, torch::kFloat32);
        for (const char* name : {"mle", "emo", "tailr", "mixce"}) {
            emo::objective::ObjectiveSettings settings;
            emo::objective::parseObjectiveKind(name, &settings.kind);
            m.values[name] = emo::train::blockObjective(*model, settings, onDevice, &cost).loss.item<double>();
        }
    }
    emo::objective::ObjectiveSettings emo;
    emo.kind = emo::objective::ObjectiveKind::Emo;
    emo::objective::ObjectiveResult r;
    {
        emo::util::AutocastScope autocast(device, precision);
        r = emo::train::blockObjective(*model, emo, onDevice, &cost);
    }
    r.loss.backward();
    for (const auto& parameter : model->parameters())
        if (parameter.grad().defined())
            m.gradients.push_back(parameter.grad().to(torch::kCPU, torch::kFloat32));
    return m;
}

} // namespace

class TestDeviceParity : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_temp;

private Q_SLOTS:
    void forwardObjectivesAndGradients_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<QString>("device");
        QTest::addColumn<QString>("precision");
        for (const char* arch : {"gpt2", "llama"}) {
            QTest::addRow("%s cuda fp32", arch) << arch << "cuda" << "fp32";
            QTest::addRow("%s cuda bf16", arch) << arch << "cuda" << "bf16";
            QTest::addRow("%s cpu bf16", arch) << arch << "cpu" << "bf16";
        }
    }

    void forwardObjectivesAndGradients()
    {
        QFETCH(QString, arch);
        QFETCH(QString, device);
        QFETCH(QString, precision);
        EMO_REQUIRE_DEVICE(device);
        const std::string folder = emo::test::writeTinyModel(m_temp.filePath(arch).toStdString(), arch.toStdString(),
                                                             arch == "gpt2", 3);
        torch::manual_seed(5);
        const torch::Tensor ids = torch::randint(0, 300, {2, 12}, torch::kLong);
        const Measured reference = measure(folder, torch::kCPU, torch::kFloat32, ids);
        const torch::Device on(device.toStdString());
        const torch::ScalarType type = emo::util::parsePrecision(precision.toStdString(), on);
        const Measured got = measure(folder, on, type, ids);
        const Tolerance tol = type == torch::kFloat32 ? kFloat32 : kBFloat16;

        const double logits = relative(got.logits, reference.logits);
        double values = 0.0;
        for (const auto& [name, value] : reference.values)
            values = std::max(values, std::abs(got.values.at(name) - value) / std::abs(value));
        QCOMPARE(got.gradients.size(), reference.gradients.size());
        double gradients = 0.0;
        for (std::size_t i = 0; i < got.gradients.size(); ++i)
            gradients = std::max(gradients, relative(got.gradients[i], reference.gradients[i]));
        qInfo("%s vs cpu fp32: logits %.2e, objective values %.2e, gradients %.2e (relative)",
              qPrintable(QTest::currentDataTag()), logits, values, gradients);
        QVERIFY2(logits <= tol.logits, qPrintable(QString::number(logits)));
        QVERIFY2(values <= tol.values, qPrintable(QString::number(values)));
        QVERIFY2(gradients <= tol.gradients, qPrintable(QString::number(gradients)));
        if (type != torch::kFloat32)
            QVERIFY2(logits > 0.0, "autocast changed nothing");
    }
};

QTEST_GUILESS_MAIN(TestDeviceParity)
#include "tst_device_parity.moc"
