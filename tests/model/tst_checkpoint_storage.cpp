// Every checkpoint layout people have: torch.save zips (single and sharded), stored fp32 / fp16 / bf16, read
// without Python and checked against the logits of the independent reference forward; described without
// reading weights (a sparse 7B folder); bad files refused by name.
#include "io/safetensors.h"
#include "io/torch_checkpoint.h"
#include "model/architecture.h"
#include "model/checkpoint_storage.h"
#include "model/language_model.h"
#include "model/model_description.h"
#include "model/model_folder.h"
#include "support/reference_tensors.h"
#include "support/test_paths.h"
#include "support/tiny_models.h"
#include "util/error.h"
#include "util/runtime.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

using emo::model::CheckpointStorage;
using emo::model::LanguageModel;
namespace fs = std::filesystem;

namespace {

std::string checkpoint(const std::string& name) { return emo::test::dataPath("checkpoints/" + name); }

// The message of the emo::Error that `action` throws, or "" when it throws none.
template <typename Action>
QString errorOf(Action action)
{
    try {
        action();
    } catch (const emo::Error& error) {
        return QString::fromStdString(error.what());
    }
    return {};
}

void copyFolder(const std::string& from, const std::string& to)
{
    fs::create_directories(to);
    fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

} // namespace

class TestCheckpointStorage : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_temp;
    std::string temp(const std::string& name) const { return m_temp.path().toStdString() + "/" + name; }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_temp.isValid()); }

    // Written by torch.save itself (make_checkpoints.py); logits against the float64 reference forward of the
    // same (rounded) weights, so the tolerance of the safetensors test holds: 1e-4.
    void torchSaveLogits_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("logits");
        QTest::addColumn<QString>("layout");
        QTest::addColumn<QString>("dtype");
        QTest::newRow("gpt2 fp32, tied, strided") << "gpt2_bin" << "gpt2_tied" << "logits" << "pytorch_model.bin" << "float32";
        QTest::newRow("llama bf16, 2 shards") << "llama_bin_sharded" << "llama_untied_gqa" << "logits_bf16_weights"
                                              << "pytorch_model.bin.index.json" << "bfloat16";
        QTest::newRow("opt fp16, parameters") << "opt_bin_f16" << "opt_pre_ln" << "logits_f16_weights" << "pytorch_model.bin"
                                              << "float16";
    }
    void torchSaveLogits()
    {
        QFETCH(QString, folder);
        QFETCH(QString, model);
        QFETCH(QString, logits);
        QFETCH(QString, layout);
        QFETCH(QString, dtype);
        const std::string path = checkpoint(folder.toStdString());
        const auto description = emo::model::describeModelFolder(path);
        QCOMPARE(QString::fromStdString(description.weightsLayout), layout);
        QCOMPARE(QString::fromStdString(description.storedDtype), dtype);
        QCOMPARE(int(description.weightFiles), layout.endsWith(".json") ? 2 : 1);

        torch::NoGradGuard noGrad;
        const auto loaded = LanguageModel::load(path);
        QCOMPARE(description.parameters, loaded->parameterCount());
        const auto expected = emo::test::referenceTensor(model.toStdString(), logits.toStdString());
        const auto got = loaded->forward(emo::test::referenceTensor(model.toStdString(), "input_ids"));
        const double diff = (got.to(torch::kFloat64) - expected.to(torch::kFloat64)).abs().max().item<double>();
        qInfo("%s max |diff| %.3g", qPrintable(folder), diff);
        QVERIFY2(diff < 1e-4, qPrintable(QString::number(diff)));
    }

    // The same weights through safetensors and through torch.save, tensor for tensor, bit for bit.
    void torchSaveMatchesSafetensors()
    {
        const auto bin = CheckpointStorage::open(checkpoint("gpt2_bin"));
        const auto safetensors = emo::io::SafetensorsFile::open(emo::test::dataPath("model/gpt2_tied/model.safetensors"));
        for (const auto& info : safetensors.tensors())
            QVERIFY2(torch::equal(bin.load(info.name), safetensors.load(info.name)), info.name.c_str());
        // The tied head shares the embedding's storage in the pickle; it reads back as the same values.
        QVERIFY(torch::equal(bin.load("lm_head.weight"), bin.load("transformer.wte.weight")));
        QCOMPARE(int(bin.find("transformer.h.0.attn.bias")->dtype), int(torch::kUInt8));
    }

    // A pickle that would run os.system in Python is refused by the name of what it calls.
    void refusesCodeInPickle()
    {
        const QString message = errorOf([] { emo::io::TorchCheckpointFile::open(checkpoint("code_in_pickle.bin")); });
        QVERIFY2(message.contains("code_in_pickle.bin") && message.contains("posix.system")
                     && message.contains("never runs code"), qPrintable(message));
    }

    void badFiles_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<QString>("expected");
        QTest::newRow("truncated bin") << "truncate" << "pytorch_model.bin: not a zip archive";
        QTest::newRow("missing shard") << "missing shard" << "which is not in the folder";
        QTest::newRow("no weights") << "no weights" << "no weights (model.safetensors";
        QTest::newRow("unknown family") << "family" << "model_type";
        QTest::newRow("extra tensor") << "extra tensor" << "unexpected tensor 'model.extra.weight'";
    }
    void badFiles()
    {
        QFETCH(QString, damage);
        QFETCH(QString, expected);
        const std::string folder = temp("bad_" + damage.replace(' ', '_').toStdString());
        copyFolder(checkpoint(damage == "truncate" ? "gpt2_bin" : "llama_bin_sharded"), folder);
        if (damage == "truncate") {
            fs::resize_file(folder + "/pytorch_model.bin", fs::file_size(folder + "/pytorch_model.bin") / 2);
        } else if (damage == "missing_shard") {
            fs::remove(folder + "/pytorch_model-00002-of-00002.bin");
        } else if (damage == "no_weights") {
            for (const char* file : {"pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin",
                                     "pytorch_model.bin.index.json"})
                fs::remove(folder + "/" + file);
        } else if (damage == "family") {
            auto config = nlohmann::json::parse(std::ifstream(folder + "/config.json"));
            config["model_type"] = "mamba";
            std::ofstream(folder + "/config.json") << config.dump();
        } else if (damage == "extra_tensor") {  // a third shard the index names, holding a tensor no table has
            emo::io::writeSafetensors(folder + "/extra.safetensors", {{"model.extra.weight", torch::zeros({2})}});
            auto index = nlohmann::json::parse(std::ifstream(folder + "/pytorch_model.bin.index.json"));
            index["weight_map"]["model.extra.weight"] = "extra.safetensors";
            std::ofstream(folder + "/pytorch_model.bin.index.json") << index.dump();
        }
        const QString message = errorOf([&] { emo::model::describeModelFolder(folder); });
        QVERIFY2(message.contains(expected), qPrintable(message));
        // Loading says the same before it reads a weight.
        QCOMPARE(errorOf([&] { LanguageModel::load(folder); }), message);
    }

    // A 7B folder is described from its header alone: the parameter count of LLaMA-7B, no weight read.
    void sevenBillionDescribedLazily()
    {
        const std::string folder = emo::test::writeSparseLlama7b(temp("llama7b"));
        QVERIFY(fs::file_size(folder + "/model.safetensors") > 13'000'000'000ull);
        const int64_t before = emo::util::residentBytes();
        const auto description = emo::model::describeModelFolder(folder);
        QCOMPARE(description.parameters, int64_t(6'738'415'616));  // LLaMA-7B as its paper and HF count it
        QCOMPARE(QString::fromStdString(description.storedDtype), QStringLiteral("float16"));
        const int64_t grew = emo::util::peakResidentBytes() - before;
        qInfo("described a %.1f GB folder; peak resident grew by %.1f MiB", double(description.bytesOnDisk) / 1e9,
              double(grew) / (1 << 20));
        QVERIFY2(grew < (256 << 20), qPrintable(QString::number(grew)));

        // Loading it would need 25.1 GiB as float32: refused before a weight is read on a small machine.
        qputenv("EMO_AVAILABLE_MEMORY", QByteArray::number(8ll << 30));
        const QString message = errorOf([&] { emo::model::checkFitsInMemory(description, folder); });
        qunsetenv("EMO_AVAILABLE_MEMORY");
        QVERIFY2(message.contains("6738415616 parameters need 25.1 GiB") && message.contains("8.0 GiB available"),
                 qPrintable(message));
    }
};

QTEST_APPLESS_MAIN(TestCheckpointStorage)
#include "tst_checkpoint_storage.moc"
