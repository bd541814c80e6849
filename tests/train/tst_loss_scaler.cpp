// Dynamic loss scaling for float16 (GradScaler's rule), checked by hand: the gradients divided by the scale,
// an overflow reported and the scale halved, doubled after the growth interval, disabled = a no-op.
#include "train/loss_scaler.h"

#include <QtTest/QtTest>
#include <torch/torch.h>

#include <limits>

using emo::train::LossScaler;

class TestLossScaler : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void unscalesAndGrows()
    {
        LossScaler scaler(true, 8.0, 3);
        QCOMPARE(scaler.scale(), 8.0);
        torch::Tensor g = torch::tensor({8.0f, -16.0f, 4.0f});
        QVERIFY(scaler.unscale({g, torch::Tensor()}));  // undefined gradients are skipped
        QVERIFY(torch::equal(g, torch::tensor({1.0f, -2.0f, 0.5f})));
        scaler.update(true);
        scaler.update(true);
        QCOMPARE(scaler.scale(), 8.0);
        QCOMPARE(scaler.finiteSteps(), int64_t(2));
        scaler.update(true);  // the third finite step in a row
        QCOMPARE(scaler.scale(), 16.0);
        QCOMPARE(scaler.finiteSteps(), int64_t(0));
    }

    void overflowHalvesTheScale()
    {
        LossScaler scaler(true, 1024.0, 2);
        scaler.update(true);
        torch::Tensor a = torch::ones({4});
        torch::Tensor b = torch::tensor({1.0f, std::numeric_limits<float>::infinity()});
        QVERIFY(!scaler.unscale({a, b}));
        torch::Tensor nan = torch::tensor({std::numeric_limits<float>::quiet_NaN()});
        QVERIFY(!scaler.unscale({nan}));
        scaler.update(false);
        QCOMPARE(scaler.scale(), 512.0);
        QCOMPARE(scaler.finiteSteps(), int64_t(0));  // the run of finite steps starts again
        scaler.restore(64.0, 1);
        scaler.update(true);
        QCOMPARE(scaler.scale(), 128.0);
    }

    void disabledIsANoOp()
    {
        LossScaler scaler;
        QVERIFY(!scaler.enabled());
        QCOMPARE(scaler.scale(), 1.0);
        torch::Tensor g = torch::tensor({std::numeric_limits<float>::infinity()});
        QVERIFY(scaler.unscale({g}));  // the trainer's own non-finite checks apply instead
        scaler.update(false);
        QCOMPARE(scaler.scale(), 1.0);
    }
};

QTEST_GUILESS_MAIN(TestLossScaler)
#include "tst_loss_scaler.moc"
