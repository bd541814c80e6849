// The few-row kernels (nn.Linear and GPT-2 Conv1D layouts) against the product computed in double precision by
// torch::matmul (another algorithm, another precision): every row count they take, sizes off their tile widths,
// a strided input; and the cases they must leave to the GEMM.
#include "model/few_row_matmul.h"

#include <QtTest/QtTest>

using emo::model::ops::fewRowConv1d;
using emo::model::ops::fewRowLinear;

class TestFewRowMatmul : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesDoublePrecision_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("inputs");
        QTest::addColumn<int>("outputs");
        for (int rows = 2; rows <= int(emo::model::ops::kFewRowsMax); ++rows)
            QTest::addRow("%d rows, 256 -> 96", rows) << rows << 256 << 96;
        QTest::newRow("K not a multiple of 8, odd outputs") << 5 << 101 << 33;
        QTest::newRow("K below 8") << 3 << 5 << 7;
        QTest::newRow("one output") << 8 << 64 << 1;
        QTest::newRow("LM head") << 4 << 768 << 5003;
    }
    void matchesDoublePrecision()
    {
        if (!emo::model::ops::fewRowMatmulAvailable())
            QSKIP("this CPU has no AVX2 and FMA: the GEMM runs instead");
        QFETCH(int, rows);
        QFETCH(int, inputs);
        QFETCH(int, outputs);
        torch::manual_seed(rows * 1000 + inputs);
        const auto x = torch::randn({rows, inputs});
        const auto weight = torch::randn({outputs, inputs}) * 0.05;
        const auto y = fewRowLinear(x, weight);
        QVERIFY(y.defined());
        QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{rows, outputs}));
        const auto reference = torch::matmul(x.to(torch::kFloat64), weight.to(torch::kFloat64).t());
        // fp32 sums of `inputs` products of size ~0.05: a few float epsilons of the largest partial sum.
        const double diff = (y.to(torch::kFloat64) - reference).abs().max().item<double>();
        QVERIFY2(diff < 2e-6 * std::sqrt(double(inputs)), qPrintable(QString::number(diff)));
    }

    void conv1dMatchesDoublePrecision_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("inputs");
        QTest::addColumn<int>("outputs");
        QTest::addColumn<bool>("withBias");
        for (int rows = 2; rows <= int(emo::model::ops::kFewRowsMax); ++rows)
            QTest::addRow("%d rows, 96 -> 256", rows) << rows << 96 << 256 << true;
        QTest::newRow("outputs not a multiple of 16") << 5 << 40 << 75 << true;
        QTest::newRow("fewer outputs than a tile") << 3 << 17 << 9 << true;
        QTest::newRow("no bias") << 8 << 64 << 48 << false;
        QTest::newRow("K past the 16-row chunks") << 7 << 777 << 48 << true;
        QTest::newRow("GPT-2 c_fc") << 8 << 768 << 3072 << true;
    }
    void conv1dMatchesDoublePrecision()
    {
        if (!emo::model::ops::fewRowMatmulAvailable())
            QSKIP("this CPU has no AVX2 and FMA: the GEMM runs instead");
        QFETCH(int, rows);
        QFETCH(int, inputs);
        QFETCH(int, outputs);
        QFETCH(bool, withBias);
        torch::manual_seed(rows * 1000 + outputs);
        const auto x = torch::randn({rows, inputs});
        const auto weight = torch::randn({inputs, outputs}) * 0.05;
        const auto bias = withBias ? torch::randn({outputs}) : torch::Tensor();
        const auto y = fewRowConv1d(x, weight, bias);
        QVERIFY(y.defined());
        QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{rows, outputs}));
        auto reference = torch::matmul(x.to(torch::kFloat64), weight.to(torch::kFloat64));
        if (withBias)
            reference = reference + bias.to(torch::kFloat64);
        const double diff = (y.to(torch::kFloat64) - reference).abs().max().item<double>();
        QVERIFY2(diff < 2e-6 * std::sqrt(double(inputs)), qPrintable(QString::number(diff)));
    }

    void stridedInput()
    {
        if (!emo::model::ops::fewRowMatmulAvailable())
            QSKIP("this CPU has no AVX2 and FMA");
        torch::manual_seed(7);
        const auto wide = torch::randn({6, 80});
        const auto x = wide.slice(1, 8, 72);  // [6, 64], rows 80 floats apart
        const auto weight = torch::randn({40, 64});
        const auto y = fewRowLinear(x, weight);
        QVERIFY(y.defined());
        QVERIFY(torch::allclose(y, torch::matmul(x, weight.t()), 1e-5, 1e-5));
        const auto conv = fewRowConv1d(x, weight.t(), torch::Tensor());  // a transposed (strided) weight too
        QVERIFY(conv.defined());
        QVERIFY(torch::allclose(conv, torch::matmul(x, weight.t()), 1e-5, 1e-5));
    }

    // What the kernel does not take: the caller sees an undefined tensor and runs the GEMM.
    void leavesOtherCasesToTheGemm()
    {
        const auto weight = torch::randn({16, 32});
        QVERIFY(!fewRowLinear(torch::randn({1, 32}), weight).defined());
        QVERIFY(!fewRowLinear(torch::randn({emo::model::ops::kFewRowsMax + 1, 32}), weight).defined());
        QVERIFY(!fewRowLinear(torch::randn({4, 32}, torch::kFloat64), weight.to(torch::kFloat64)).defined());
        QVERIFY(!fewRowLinear(torch::randn({4, 32}).requires_grad_(true), weight).defined());
        QVERIFY(!fewRowLinear(torch::randn({4, 31}), weight).defined());
        QVERIFY(!fewRowConv1d(torch::randn({4, 20}), weight, torch::Tensor()).defined());        // K mismatch
        QVERIFY(!fewRowConv1d(torch::randn({4, 16}), weight.t(), torch::zeros({7})).defined());  // bias size
        QVERIFY(!fewRowConv1d(torch::randn({4, 16}), weight.t(), torch::zeros({32}).requires_grad_(true)).defined());
        {
            torch::NoGradGuard noGrad;  // inference on trainable weights: the kernel runs
            QCOMPARE(fewRowLinear(torch::randn({4, 32}), weight.clone().requires_grad_(true)).defined(),
                     emo::model::ops::fewRowMatmulAvailable());
        }
    }
};

QTEST_GUILESS_MAIN(TestFewRowMatmul)
#include "tst_few_row_matmul.moc"
