// The `emo` executable as a user runs it: exit codes, one clear line on bad input, JSON contracts.
#include "support/emo_cli.h"
#include "support/tiny_corpus.h"
#include "support/test_paths.h"
#include "support/tiny_models.h"
#include "support/tiny_tokenizer.h"

#include "io/safetensors.h"
#include "model/language_model.h"
#include "text/tokenizer.h"
#include "train/trainer_state.h"
#include "train/run_files.h"

#include <QtTest/QtTest>

#include <csignal>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

using emo::test::CliRun;
using emo::test::runEmo;

void writeText(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::string readText(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void copyFolder(const std::string& from, const std::string& to)
{
    fs::create_directories(to);
    fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::string m_tmp, m_llama, m_gpt2, m_data;

    QStringList expand(const QStringList& args) const
    {
        QStringList out;
        for (QString a : args)
            out << a.replace("{tmp}", QString::fromStdString(m_tmp))
                        .replace("{llama}", QString::fromStdString(m_llama))
                        .replace("{gpt2}", QString::fromStdString(m_gpt2))
                        .replace("{data}", QString::fromStdString(m_data));
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_tmp = m_dir.path().toStdString();
        m_llama = emo::test::writeTinyModel(m_tmp + "/llama", "llama", false, 1);
        m_gpt2 = emo::test::writeTinyModel(m_tmp + "/gpt2", "gpt2", true, 2);
        m_data = m_tmp + "/data.txt";
        writeText(m_data, emo::test::repetitiveCorpus());

        // Broken variants of the llama folder, one defect each.
        copyFolder(m_llama, m_tmp + "/truncated");
        const auto weights = m_tmp + "/truncated/model.safetensors";
        fs::resize_file(weights, fs::file_size(weights) / 2);

        copyFolder(m_llama, m_tmp + "/header-past-end");
        {
            std::fstream f(m_tmp + "/header-past-end/model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
            uint64_t huge = 1ull << 40;
            f.write(reinterpret_cast<const char*>(&huge), 8);
        }

        copyFolder(m_llama, m_tmp + "/no-hidden-size");
        auto config = nlohmann::json::parse(readText(m_llama + "/config.json"));
        config.erase("hidden_size");
        writeText(m_tmp + "/no-hidden-size/config.json", config.dump());

        copyFolder(m_llama, m_tmp + "/unknown-arch");
        config = nlohmann::json::parse(readText(m_llama + "/config.json"));
        config["model_type"] = "mamba";
        writeText(m_tmp + "/unknown-arch/config.json", config.dump());

        emo::test::TinyModelOptions small;
        small.tokenizerMerges = 0;  // model vocabulary 257 ...
        emo::test::writeTinyModel(m_tmp + "/big-tokenizer", "llama", true, 3, small);
        emo::test::writeByteLevelBpeTokenizer(m_tmp + "/big-tokenizer", 43);  // ... tokenizer 300

        writeText(m_tmp + "/empty.txt", "");
        writeText(m_tmp + "/short.txt", "too short\n");
        writeText(m_tmp + "/bad.jsonl", "{\"text\": \"fine\"}\n{not json\n");
    }

    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("stderrHas");

        QTest::newRow("no command") << QStringList{} << 2 << "";
        QTest::newRow("unknown command") << QStringList{"frobnicate"} << 2 << "frobnicate";
        QTest::newRow("unknown option") << QStringList{"info", "--model", "{llama}", "--colour"} << 2 << "--colour";
        QTest::newRow("missing model folder") << QStringList{"info", "--model", "{tmp}/nowhere"} << 2 << "nowhere";
        QTest::newRow("truncated safetensors") << QStringList{"info", "--model", "{tmp}/truncated"} << 2 << "model.safetensors";
        QTest::newRow("header length past end") << QStringList{"info", "--model", "{tmp}/header-past-end"} << 2 << "model.safetensors";
        QTest::newRow("config missing field") << QStringList{"info", "--model", "{tmp}/no-hidden-size"} << 2 << "hidden_size";
        QTest::newRow("unknown architecture") << QStringList{"info", "--model", "{tmp}/unknown-arch"} << 2 << "mamba";
        QTest::newRow("tokenizer bigger than model") << QStringList{"sample", "--model", "{tmp}/big-tokenizer", "--prompt", "a"} << 2 << "300";
        QTest::newRow("tokenize needs input") << QStringList{"tokenize", "--model", "{llama}"} << 2 << "--text";
        QTest::newRow("tokenize missing file") << QStringList{"tokenize", "--model", "{llama}", "--file", "{tmp}/none.txt"} << 2 << "none.txt";
        QTest::newRow("unknown objective") << QStringList{"train", "--model", "{llama}", "--data", "{data}", "--objective", "kl", "--out", "{tmp}/x"} << 2 << "kl";
        QTest::newRow("empty data set") << QStringList{"train", "--model", "{llama}", "--data", "{tmp}/empty.txt", "--objective", "emo", "--block", "16", "--out", "{tmp}/r1"} << 2 << "empty.txt";
        QTest::newRow("too few tokens") << QStringList{"train", "--model", "{llama}", "--data", "{tmp}/short.txt", "--objective", "emo", "--block", "64", "--out", "{tmp}/r2"} << 2 << "short.txt";
        QTest::newRow("bad jsonl line") << QStringList{"train", "--model", "{llama}", "--data", "{tmp}/bad.jsonl", "--objective", "mle", "--block", "16", "--out", "{tmp}/r3"} << 2 << "bad.jsonl";
        QTest::newRow("cuda on a CPU build") << QStringList{"info", "--model", "{llama}", "--device", "cuda"} << 2 << "cuda";
        QTest::newRow("inspect one token") << QStringList{"inspect", "--model", "{gpt2}", "--text", "a", "--json"} << 2 << "";
        QTest::newRow("unknown tailr form") << QStringList{"train", "--model", "{llama}", "--data", "{data}", "--objective", "tailr", "--tailr-form", "tvd", "--out", "{tmp}/r4"} << 2 << "--tailr-form";
        QTest::newRow("cost from a folder of another vocabulary") << QStringList{"train", "--model", "{llama}", "--data", "{data}", "--objective", "emo", "--cost-from", "{tmp}/big-tokenizer", "--block", "16", "--out", "{tmp}/r5"} << 2 << "--cost-from";
        QTest::newRow("cost from a missing folder") << QStringList{"train", "--model", "{llama}", "--data", "{data}", "--objective", "emo", "--cost-from", "{tmp}/nowhere", "--block", "16", "--out", "{tmp}/r6"} << 2 << "nowhere";
        QTest::newRow("cost from a bad random seed") << QStringList{"train", "--model", "{llama}", "--data", "{data}", "--objective", "emo", "--cost-from", "random:x", "--block", "16", "--out", "{tmp}/r7"} << 2 << "random:SEED";
        QTest::newRow("unknown eval protocol") << QStringList{"eval", "--model", "{llama}", "--data", "{data}", "--metrics", "rouge", "--protocol", "paper"} << 2 << "--protocol";
        QTest::newRow("pretrain data shorter than a block") << QStringList{"pretrain", "--data", "{tmp}/short.txt", "--block", "64", "--steps", "1", "--out", "{tmp}/p1"} << 2 << "fewer than one block of 64 tokens needs (--block)";
        QTest::newRow("inspect bad objective") << QStringList{"inspect", "--model", "{gpt2}", "--text", "ab cd", "--objectives", "mle,nope"} << 2 << "nope";
    }

    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, stderrHas);
        const auto run = runEmo(expand(args));
        QCOMPARE(run.exitCode, exitCode);
        QVERIFY2(run.err.contains(stderrHas), qPrintable(run.err));
        // One clear message (progress lines may precede it): no backtrace, no torch internals.
        const auto errorLines = run.err.split('\n', Qt::SkipEmptyParts).filter(QRegularExpression("^emo[ :]"));
        QVERIFY2(errorLines.size() == 1, qPrintable(run.err));
        QVERIFY(!run.err.contains("Exception raised from"));
    }

    // Every option is checked while the command line is parsed: the model folder named here does not exist,
    // so a check made only after loading would report the folder instead of the option.
    void optionsRefusedBeforeAnyWork_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("option");
        const QStringList train{"train", "--model", "{tmp}/nowhere", "--data", "{tmp}/nowhere.txt", "--objective", "emo",
                                "--out", "{tmp}/never"};
        const QStringList sample{"sample", "--model", "{tmp}/nowhere", "--prompt", "a"};
        const QStringList eval{"eval", "--model", "{tmp}/nowhere", "--data", "{tmp}/nowhere.txt"};
        const QStringList pretrain{"pretrain", "--arch", "llama", "--data", "{tmp}/nowhere.txt"};
        struct Row { const char* tag; QStringList args; const char* option; };
        const Row rows[] = {
            {"NaN gamma", train + QStringList{"--gamma", "nan"}, "--gamma"},
            {"gamma above 1", train + QStringList{"--gamma", "1.5"}, "--gamma"},
            {"NaN ratio cap", train + QStringList{"--emo-ratio-cap", "nan"}, "--emo-ratio-cap"},
            {"infinite ratio cap", train + QStringList{"--emo-ratio-cap", "inf"}, "--emo-ratio-cap"},
            {"negative eta", train + QStringList{"--eta", "-0.5"}, "--eta"},
            {"NaN tailr mix", train + QStringList{"--tailr-mix", "nan"}, "--tailr-mix"},
            {"NaN learning rate", train + QStringList{"--lr", "nan"}, "--lr"},
            {"negative learning rate", train + QStringList{"--lr", "-1e-4"}, "--lr"},
            {"zero batch", train + QStringList{"--batch", "0"}, "--batch"},
            {"block of one", train + QStringList{"--block", "1"}, "--block"},
            {"absurd step count", train + QStringList{"--steps", "1000000000000"}, "--steps"},
            {"negative steps", train + QStringList{"--steps", "-3"}, "--steps"},
            {"step count not a number", train + QStringList{"--steps", "ten"}, "--steps"},
            {"negative epochs", train + QStringList{"--epochs", "-1"}, "--epochs"},
            {"NaN weight decay", train + QStringList{"--weight-decay", "nan"}, "--weight-decay"},
            {"NaN clip", train + QStringList{"--clip", "nan"}, "--clip"},
            {"validation share of 1", train + QStringList{"--val-fraction", "1"}, "--val-fraction"},
            {"negative warm-up", train + QStringList{"--warmup", "-1"}, "--warmup"},
            {"zero accumulation", train + QStringList{"--accumulate", "0"}, "--accumulate"},
            {"negative validation interval", train + QStringList{"--validate-every", "-2"}, "--validate-every"},
            {"zero processes", train + QStringList{"--nproc", "0"}, "--nproc"},
            {"train out is a file", QStringList{"train", "--model", "{tmp}/nowhere", "--data", "{data}", "--objective",
                                                "mle", "--out", "{data}"}, "--out"},
            {"negative temperature", sample + QStringList{"--temperature", "-1"}, "--temperature"},
            {"NaN temperature", sample + QStringList{"--temperature", "nan"}, "--temperature"},
            {"top-p above 1", sample + QStringList{"--top-p", "1.5"}, "--top-p"},
            {"top-p of 0", sample + QStringList{"--top-p", "0"}, "--top-p"},
            {"negative top-k", sample + QStringList{"--top-k", "-1"}, "--top-k"},
            {"negative max-new", sample + QStringList{"--max-new", "-1"}, "--max-new"},
            {"zero samples per prompt", sample + QStringList{"--n", "0"}, "--n"},
            {"inspect top-k of 0", QStringList{"inspect", "--model", "{tmp}/nowhere", "--text", "ab", "--top-k", "0"}, "--top-k"},
            {"eval zero batch", eval + QStringList{"--batch", "0"}, "--batch"},
            {"eval negative block", eval + QStringList{"--block", "-1"}, "--block"},
            {"eval zero samples", eval + QStringList{"--samples", "0"}, "--samples"},
            {"eval zero seeds", eval + QStringList{"--seeds", "0"}, "--seeds"},
            {"eval negative shots", eval + QStringList{"--shots", "-1"}, "--shots"},
            {"pretrain zero layers", pretrain + QStringList{"--layers", "0", "--out", "{tmp}/never"}, "--layers"},
            {"pretrain vocabulary of 1", pretrain + QStringList{"--vocab-size", "1", "--out", "{tmp}/never"}, "--vocab-size"},
            {"pretrain out is a file", pretrain + QStringList{"--out", "{data}"}, "--out"},
            {"export out is a file", QStringList{"export", "--run", "{tmp}/nowhere", "--out", "{data}"}, "--out"},
        };
        for (const Row& row : rows)
            QTest::newRow(row.tag) << row.args << QString(row.option);
    }

    void optionsRefusedBeforeAnyWork()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, option);
        const auto run = runEmo(expand(args));
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(option + ":"), qPrintable(run.err));
        QVERIFY2(!run.err.contains("nowhere"), qPrintable(run.err));
        QCOMPARE(run.err.count('\n'), 1);  // one line, nothing before it
        QVERIFY(!QFileInfo::exists(QString::fromStdString(m_tmp) + "/never"));
    }

    void tokenizeEmptyTextGivesEmptyLists()
    {
        const auto run = runEmo({"tokenize", "--model", QString::fromStdString(m_gpt2), "--text", "", "--json"});
        QCOMPARE(run.exitCode, 0);
        const auto doc = nlohmann::json::parse(run.out.toStdString());
        QVERIFY(doc["ids"].is_array() && doc["ids"].empty());
        QVERIFY(doc["pieces"].is_array() && doc["pieces"].empty());
        const auto plain = runEmo({"tokenize", "--model", QString::fromStdString(m_gpt2), "--text", ""});
        QCOMPARE(plain.exitCode, 0);
    }

    void helpExitsZero()
    {
        for (const char* command : {"info", "tokenize", "pretrain", "train", "sample", "inspect"}) {
            const auto run = runEmo({command, "--help"});
            QCOMPARE(run.exitCode, 0);
            QVERIFY(run.out.contains("--"));
        }
    }

    void infoJsonMatchesTheFiles()
    {
        const auto run = runEmo({"info", "--model", QString::fromStdString(m_llama), "--json"});
        QCOMPARE(run.exitCode, 0);
        const auto info = nlohmann::json::parse(run.out.toStdString());
        // Parameters counted independently: the elements of every tensor in the file (untied llama: all stored).
        int64_t stored = 0;
        auto file = emo::io::SafetensorsFile::open(m_llama + "/model.safetensors");
        for (const auto& t : file.tensors()) {
            int64_t n = 1;
            for (auto d : t.shape) n *= d;
            stored += n;
        }
        QCOMPARE(info["parameters"].get<int64_t>(), stored);
        QCOMPARE(info["architecture"].get<std::string>(), std::string("llama"));
        QCOMPARE(info["tokenizer"]["vocab_size"].get<int64_t>(), int64_t(300));
        QVERIFY(info.contains("blas"));
    }

    void tokenizeJsonEqualsTheLibrary()
    {
        const std::string text = "Hello there, it's 2026!\n  Ça va?";
        const auto run = runEmo({"tokenize", "--model", QString::fromStdString(m_gpt2), "--text", QString::fromStdString(text), "--json"});
        QCOMPARE(run.exitCode, 0);
        const auto doc = nlohmann::json::parse(run.out.toStdString());
        auto tokenizer = emo::text::loadTokenizer(m_gpt2);
        QCOMPARE(doc["ids"].get<std::vector<int64_t>>(), tokenizer->encode(text));
        QCOMPARE(doc["pieces"].size(), doc["ids"].size());
        QCOMPARE(tokenizer->decode(doc["ids"].get<std::vector<int64_t>>()), text);
    }

    void sampleIsReproducible()
    {
        const QStringList args{"sample", "--model", QString::fromStdString(m_llama), "--prompt", "the cat",
                               "--max-new", "12", "--n", "3", "--seed", "7", "--json"};
        const auto first = runEmo(args), second = runEmo(args);
        QCOMPARE(first.exitCode, 0);
        QCOMPARE(first.out, second.out);
        const auto doc = nlohmann::json::parse(first.out.toStdString());
        QCOMPARE(doc["samples"].size(), size_t(3));
        for (const auto& s : doc["samples"])
            QVERIFY(s["ids"].size() <= 12);
    }

    void inspectJsonFollowsTheContract()
    {
        const std::string text = "the cat sat on the mat";
        const auto run = runEmo({"inspect", "--model", QString::fromStdString(m_gpt2), "--text", QString::fromStdString(text),
                                 "--top-k", "3", "--json"});
        QCOMPARE(run.exitCode, 0);
        const auto doc = nlohmann::json::parse(run.out.toStdString());
        auto tokenizer = emo::text::loadTokenizer(m_gpt2);
        const auto ids = tokenizer->encode(text);  // GPT-2: no BOS
        QCOMPARE(doc["tokens"].size(), ids.size() - 1);

        // CE of each predicted token from a plain forward + log_softmax, in-process.
        auto model = emo::model::LanguageModel::load(m_gpt2);
        torch::NoGradGuard noGrad;
        auto logits = model->forward(torch::tensor(ids).unsqueeze(0))[0];
        auto logq = torch::log_softmax(logits.to(torch::kDouble), -1);
        for (size_t t = 0; t + 1 < ids.size(); ++t) {
            const auto& token = doc["tokens"][t];
            for (const char* key : {"id", "text", "ce", "demd", "p_gold", "topk", "grad"})
                QVERIFY2(token.contains(key), key);
            QCOMPARE(token["id"].get<int64_t>(), ids[t + 1]);
            const double ce = -logq[t][ids[t + 1]].item<double>();
            QVERIFY(std::abs(token["ce"].get<double>() - ce) < 1e-4);
            QCOMPARE(token["topk"].size(), size_t(3));
            for (const char* objective : {"mle", "emo", "tailr", "mixce"})
                QVERIFY2(token["grad"].contains(objective), objective);
        }
        QVERIFY(doc.contains("summary"));
    }

    // An OPT folder as people have them (tied head, GPT-2 BPE files, tokenizer_config.json asking for BOS) through
    // info, inspect (BOS prepended: every text token is predicted, CE as an in-process forward computes it),
    // a short EMO run and sampling from its result.
    void optFolderThroughTheCommands()
    {
        const std::string folder = emo::test::writeTinyModel(m_tmp + "/opt", "opt", true, 4);
        {
            std::ofstream config(folder + "/tokenizer_config.json");
            config << R"({"add_bos_token": true, "bos_token": "<|endoftext|>"})";
        }
        const QString model = QString::fromStdString(folder);
        auto run = runEmo({"info", "--model", model, "--json"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QCOMPARE(nlohmann::json::parse(run.out.toStdString())["architecture"].get<std::string>(), std::string("opt"));

        const std::string text = "the cat sat on the mat";
        run = runEmo({"inspect", "--model", model, "--text", QString::fromStdString(text), "--json"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const auto doc = nlohmann::json::parse(run.out.toStdString());
        const auto tokenizer = emo::text::loadTokenizer(folder);
        QVERIFY(tokenizer->addsBos());
        std::vector<int64_t> ids{tokenizer->bosId()};
        for (int64_t id : tokenizer->encode(text))
            ids.push_back(id);
        QCOMPARE(doc["tokens"].size(), ids.size() - 1);
        auto lm = emo::model::LanguageModel::load(folder);
        torch::NoGradGuard noGrad;
        const auto logq = torch::log_softmax(lm->forward(torch::tensor(ids).unsqueeze(0))[0].to(torch::kDouble), -1);
        for (size_t t = 0; t + 1 < ids.size(); ++t) {
            QCOMPARE(doc["tokens"][t]["id"].get<int64_t>(), ids[t + 1]);
            QVERIFY(std::abs(doc["tokens"][t]["ce"].get<double>() + logq[t][ids[t + 1]].item<double>()) < 1e-4);
        }

        const QString out = QString::fromStdString(m_tmp + "/opt-run");
        run = runEmo({"train", "--model", model, "--data", QString::fromStdString(m_data), "--objective", "emo",
                      "--steps", "2", "--batch", "2", "--block", "16", "--out", out}, 300000);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QCOMPARE(nlohmann::json::parse(readText(out.toStdString() + "/config.json"))["architectures"],
                 nlohmann::json::array({"OPTForCausalLM"}));
        run = runEmo({"sample", "--model", out, "--prompt", "the cat", "--max-new", "8", "--json"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QCOMPARE(nlohmann::json::parse(run.out.toStdString())["samples"].size(), size_t(1));
    }

    // A torch.save folder (pytorch_model.bin) goes through the commands as a safetensors one does; a 7B
    // folder is described from its header (sparse file: reading a weight would take minutes, not ms).
    void checkpointLayoutsThroughTheCommands()
    {
        const std::string bin = m_tmp + "/gpt2_bin";
        std::filesystem::create_directories(bin);
        std::filesystem::copy(emo::test::dataPath("checkpoints/gpt2_bin"), bin, std::filesystem::copy_options::recursive);
        emo::test::writeByteLevelBpeTokenizer(bin, 43);  // 300 pieces, the model's vocab_size
        auto run = runEmo({"info", "--model", QString::fromStdString(bin), "--json"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        auto info = nlohmann::json::parse(run.out.toStdString());
        QCOMPARE(info["weights"]["layout"].get<std::string>(), std::string("pytorch_model.bin"));
        QCOMPARE(info["parameters"].get<int64_t>(), emo::model::LanguageModel::load(bin)->parameterCount());
        run = runEmo({"sample", "--model", QString::fromStdString(bin), "--prompt", "the cat", "--max-new", "4", "--json"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));

        const std::string big = emo::test::writeSparseLlama7b(m_tmp + "/llama7b");
        emo::test::writeByteLevelBpeTokenizer(big, 43);
        run = runEmo({"info", "--model", QString::fromStdString(big), "--json"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        info = nlohmann::json::parse(run.out.toStdString());
        QCOMPARE(info["parameters"].get<int64_t>(), int64_t(6'738'415'616));
        QCOMPARE(info["stored_dtype"].get<std::string>(), std::string("float16"));
        QVERIFY(info["weights"]["bytes"].get<uint64_t>() > 13'000'000'000ull);
        // Sampling would load 25 GiB of float32 weights: refused up front, naming the folder and the sizes.
        QProcessEnvironment small = QProcessEnvironment::systemEnvironment();
        small.insert("EMO_AVAILABLE_MEMORY", QString::number(8ll << 30));
        run = runEmo({"sample", "--model", QString::fromStdString(big), "--prompt", "the", "--max-new", "1"}, 300000, small);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("need 25.1 GiB as float32") && run.err.contains("llama7b"), qPrintable(run.err));
    }

    void trainWritesARunThatLoadsAndResumes()
    {
        const QString out = QString::fromStdString(m_tmp + "/run");
        auto run = runEmo({"train", "--model", QString::fromStdString(m_llama), "--data", QString::fromStdString(m_data),
                           "--objective", "emo", "--steps", "4", "--batch", "2", "--block", "16", "--validate-every", "2",
                           "--out", out}, 300000);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        for (const char* file : {"config.json", "model.safetensors", "run.json", "metrics.jsonl",
                                 "cost_embedding.safetensors", "trainer_state.safetensors"})
            QVERIFY2(fs::exists(out.toStdString() + "/" + file), file);
        QVERIFY(fs::exists(out.toStdString() + "/vocab.json") || fs::exists(out.toStdString() + "/tokenizer.json"));

        run = runEmo({"info", "--model", out});
        QCOMPARE(run.exitCode, 0);
        run = runEmo({"inspect", "--model", out, "--text", "the cat sat", "--json"});
        QCOMPARE(run.exitCode, 0);

        run = runEmo({"train", "--model", QString::fromStdString(m_llama), "--data", QString::fromStdString(m_data),
                      "--objective", "emo", "--steps", "6", "--batch", "2", "--block", "16", "--validate-every", "2",
                      "--out", out, "--resume", out}, 300000);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const auto runJson = nlohmann::json::parse(readText(out.toStdString() + "/run.json"));
        QVERIFY(!runJson.empty());
    }

    void pretrainWritesAModelThatSamples()
    {
        // Trains a sentencepiece vocabulary through the dlopen'ed shim inside the emo process itself.
        const QString out = QString::fromStdString(m_tmp + "/scratch");
        auto run = runEmo({"pretrain", "--arch", "llama", "--layers", "1", "--d", "32", "--heads", "2", "--vocab-size", "120",
                           "--data", QString::fromStdString(emo::test::dataPath("train/corpus.txt")), "--steps", "3",
                           "--batch", "2", "--block", "16", "--out", out}, 300000);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY(fs::exists(out.toStdString() + "/tokenizer.model"));
        run = runEmo({"sample", "--model", out, "--prompt", "the", "--max-new", "5", "--n", "8", "--seed", "1", "--json"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        // A continuation whose first piece starts a word ("▁...") shows the space after the prompt.
        auto tokenizer = emo::text::loadTokenizer(out.toStdString());
        int wordStarts = 0;
        const auto doc = nlohmann::json::parse(run.out.toStdString());
        for (const auto& sample : doc["samples"]) {
            const auto ids = sample["ids"].get<std::vector<int64_t>>();
            if (ids.empty() || tokenizer->piece(ids[0]).rfind("\xE2\x96\x81", 0) != 0)
                continue;
            ++wordStarts;
            QVERIFY2(sample["text"].get<std::string>().rfind(" ", 0) == 0, sample["text"].get<std::string>().c_str());
        }
        QVERIFY(wordStarts > 0);
    }

    // A NaN loss (injected at step 5) stops the run in one message naming the step and the checkpoint kept;
    // what was saved before stays readable and resumable.
    void nonFiniteLossStopsNamingTheStep()
    {
        const QString out = QString::fromStdString(m_tmp + "/nan-run");
        QProcessEnvironment nan = QProcessEnvironment::systemEnvironment();
        nan.insert("EMO_FAULT_NAN_LOSS_AT_STEP", "5");
        const auto run = runEmo({"train", "--model", QString::fromStdString(m_llama), "--data", QString::fromStdString(m_data),
                                 "--objective", "emo", "--steps", "8", "--batch", "2", "--block", "16",
                                 "--validate-every", "2", "--out", out}, 300000, nan);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("the loss is NaN at step 5 of 8") && run.err.contains("the checkpoint of step"),
                 qPrintable(run.err));
        QCOMPARE(run.err.split('\n', Qt::SkipEmptyParts).filter(QRegularExpression("^emo[ :]")).size(), 1);
        const auto record = emo::train::readRunJson(out.toStdString() + "/run.json");
        QCOMPARE(record.status, std::string("failed"));
        QVERIFY(emo::train::TrainerState::load(out.toStdString() + "/trainer_state.safetensors").step == 4);
        const auto again = runEmo({"train", "--model", QString::fromStdString(m_llama), "--data", QString::fromStdString(m_data),
                                   "--objective", "emo", "--steps", "8", "--batch", "2", "--block", "16",
                                   "--validate-every", "2", "--out", out, "--resume", out});
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
    }

    void interruptSavesAResumableState()
    {
        const QString out = QString::fromStdString(m_tmp + "/interrupted");
        QProcess process;
        process.start(QStringLiteral(EMO_CLI_PATH),
                      {"train", "--model", QString::fromStdString(m_llama), "--data", QString::fromStdString(m_data),
                       "--objective", "mle", "--steps", "100000", "--batch", "2", "--block", "16", "--out", out});
        QVERIFY(process.waitForStarted());
        // Wait for the first training progress line, then Ctrl-C.
        QString err;
        QElapsedTimer timer;
        timer.start();
        while (!err.contains("train ") && timer.elapsed() < 120000) {
            process.waitForReadyRead(500);
            err += QString::fromUtf8(process.readAllStandardError());
        }
        QVERIFY2(err.contains("train "), qPrintable(err));
        ::kill(static_cast<pid_t>(process.processId()), SIGINT);
        QVERIFY(process.waitForFinished(120000));
        err += QString::fromUtf8(process.readAllStandardError());
        QCOMPARE(process.exitCode(), 130);
        QVERIFY2(err.contains("--resume"), qPrintable(err));
        QVERIFY(fs::exists(out.toStdString() + "/trainer_state.safetensors"));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
