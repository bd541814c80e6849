#include "io/model_config.h"
#include "io/safetensors.h"
#include "model/architecture.h"
#include "model/language_model.h"
#include "support/reference_tensors.h"
#include "support/test_paths.h"
#include "support/tiny_models.h"
#include "util/atomic_file.h"
#include "util/error.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <functional>
#include <numeric>

using emo::model::KVCache;
using emo::model::LanguageModel;
using Tensors = std::vector<std::pair<std::string, torch::Tensor>>;

namespace {

// Cached decoding against the whole sequence recomputed, in fp32. A single decoded row runs its projections as
// GEMVs and the full forward as GEMMs: the same sums in another order, measured up to 1.04e-5 apart on these
// logits; a lost or repeated position moves them far more.
constexpr double kDecodeTolerance = 3e-5;

// tests/data/model/<name>: written by make_reference.py (HF layout + reference.safetensors).
std::string referenceFolder(const std::string& name) { return emo::test::dataPath("model/" + name); }

Tensors readAll(const std::string& path)
{
    const auto file = emo::io::SafetensorsFile::open(path);
    Tensors out;
    for (const auto& info : file.tensors())
        out.emplace_back(info.name, file.load(info.name));
    return out;
}

nlohmann::json readJson(const std::string& path) { return nlohmann::json::parse(emo::util::readTextFile(path)); }

// Copies an HF folder to `out`, letting the caller change the tensors and the config on the way.
void rewriteModel(const std::string& from, const std::string& out, const std::function<void(Tensors&)>& changeTensors,
                  const std::function<void(nlohmann::json&)>& changeConfig = {})
{
    std::filesystem::create_directories(out);
    Tensors tensors = readAll(from + "/model.safetensors");
    if (changeTensors)
        changeTensors(tensors);
    emo::io::writeSafetensors(out + "/model.safetensors", tensors, {{"format", "pt"}});
    nlohmann::json config = readJson(from + "/config.json");
    if (changeConfig)
        changeConfig(config);
    emo::util::writeTextFileAtomically(out + "/config.json", config.dump(2));
}

torch::Tensor logitsOf(const std::string& folder, const torch::Tensor& ids,
                       torch::ScalarType computeType = torch::kFloat32)
{
    torch::NoGradGuard noGrad;
    return LanguageModel::load(folder, torch::kCPU, computeType)->forward(ids);
}

} // namespace

class TestLanguageModel : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_temp;
    std::string temp(const std::string& name) const { return m_temp.path().toStdString() + "/" + name; }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_temp.isValid()); }

    // Logits against the independent PyTorch forward, for weights stored F32, F16 and BF16 (each reference
    // computed in float64 from the identically rounded weights, so the tolerance stays 1e-4).
    void referenceLogits_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("storage");
        for (const char* model : {"gpt2_tied", "llama_tied", "llama_untied_gqa", "opt_pre_ln", "opt_post_ln_projected"})
            for (const char* storage : {"f32", "f16", "bf16"})
                QTest::newRow((std::string(model) + "/" + storage).c_str()) << model << storage;
    }
    void referenceLogits()
    {
        QFETCH(QString, model);
        QFETCH(QString, storage);
        const std::string name = model.toStdString();
        std::string folder = referenceFolder(name);
        std::string expectedKey = "logits";
        if (storage != "f32") {
            const auto type = storage == "f16" ? torch::kFloat16 : torch::kBFloat16;
            folder = temp(name + "_" + storage.toStdString());
            rewriteModel(referenceFolder(name), folder, [&](Tensors& tensors) {
                for (auto& entry : tensors)
                    entry.second = entry.second.to(type);
            });
            QCOMPARE(int(emo::io::SafetensorsFile::open(folder + "/model.safetensors").tensors().front().dtype),
                     int(type == torch::kFloat16 ? emo::io::SafetensorsDType::F16 : emo::io::SafetensorsDType::BF16));
            expectedKey = "logits_" + storage.toStdString() + "_weights";
        }
        const auto expected = emo::test::referenceTensor(name, expectedKey);
        const auto logits = logitsOf(folder, emo::test::referenceTensor(name, "input_ids"));
        QCOMPARE(logits.sizes().vec(), expected.sizes().vec());
        QCOMPARE(int(logits.scalar_type()), int(torch::kFloat32));
        const double diff = emo::test::maxAbsDiff(logits, expected);
        qInfo("%s max |diff| %.3g", qPrintable(QTest::currentDataTag()), diff);
        QVERIFY2(diff < 1e-4, qPrintable(QString::number(diff)));
    }

    // Computing in bfloat16 is approximate: it must stay close to the float64 reference, not equal.
    void bf16Compute()
    {
        for (const char* name : {"gpt2_tied", "llama_untied_gqa"}) {
            const auto expected = emo::test::referenceTensor(name, "logits");
            const auto logits = logitsOf(referenceFolder(name), emo::test::referenceTensor(name, "input_ids"), torch::kBFloat16);
            QCOMPARE(int(logits.scalar_type()), int(torch::kBFloat16));
            const double relative = emo::test::maxAbsDiff(logits, expected) / expected.abs().max().item<double>();
            qInfo("%s bf16 compute: max |diff| / max |logit| = %.3g", name, relative);
            QVERIFY2(relative < 0.1, qPrintable(QString::number(relative)));  // measured 0.03 / 0.07
        }
    }

    // GPT2Model layout (no "transformer." prefix), old attn.bias/masked_bias buffers, a stored tied head.
    void gpt2Variants_data()
    {
        QTest::addColumn<bool>("stripPrefix");
        QTest::addColumn<bool>("addBuffers");
        QTest::addColumn<bool>("addTiedHead");
        QTest::newRow("no prefix") << true << false << false;
        QTest::newRow("buffers") << false << true << false;
        QTest::newRow("tied head stored") << false << false << true;
        QTest::newRow("no prefix, buffers, head") << true << true << true;
    }
    void gpt2Variants()
    {
        QFETCH(bool, stripPrefix);
        QFETCH(bool, addBuffers);
        QFETCH(bool, addTiedHead);
        const std::string folder = temp(std::string("gpt2_variant_") + QTest::currentDataTag());
        rewriteModel(referenceFolder("gpt2_tied"), folder, [&](Tensors& tensors) {
            torch::Tensor wte;
            for (const auto& entry : tensors)
                if (entry.first == "transformer.wte.weight")
                    wte = entry.second;
            if (addTiedHead)
                tensors.emplace_back("lm_head.weight", wte.clone());
            if (addBuffers)
                for (int layer = 0; layer < 2; ++layer) {
                    const std::string prefix = "transformer.h." + std::to_string(layer) + ".attn.";
                    tensors.emplace_back(prefix + "bias", torch::ones({64, 64}).tril().view({1, 1, 64, 64}));
                    tensors.emplace_back(prefix + "masked_bias", torch::tensor(-1e4));
                }
            if (stripPrefix)
                for (auto& entry : tensors)
                    if (entry.first.rfind("transformer.", 0) == 0)
                        entry.first = entry.first.substr(12);
        });
        const double diff = emo::test::maxAbsDiff(logitsOf(folder, emo::test::referenceTensor("gpt2_tied", "input_ids")),
                                       emo::test::referenceTensor("gpt2_tied", "logits"));
        QVERIFY2(diff < 1e-4, qPrintable(QString::number(diff)));
    }

    // OPTModel saves under "decoder." where OPTForCausalLM writes "model.decoder."; a stored copy of the tied
    // head is accepted; a tensor the config does not have (project_in when word_embed_proj_dim == hidden_size)
    // is refused by name.
    void optVariants_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("change");
        for (const char* model : {"opt_pre_ln", "opt_post_ln_projected"}) {
            QTest::addRow("%s, decoder. prefix", model) << model << "prefix";
            QTest::addRow("%s, tied head stored", model) << model << "head";
        }
    }
    void optVariants()
    {
        QFETCH(QString, model);
        QFETCH(QString, change);
        const std::string name = model.toStdString();
        const std::string folder = temp(std::string("opt_variant_") + QTest::currentDataTag());
        rewriteModel(referenceFolder(name), folder, [&](Tensors& tensors) {
            torch::Tensor embedding;
            for (auto& entry : tensors) {
                if (entry.first == "model.decoder.embed_tokens.weight")
                    embedding = entry.second;
                if (change == "prefix")
                    entry.first = entry.first.substr(6);  // "model.decoder.x" → "decoder.x"
            }
            if (change == "head")
                tensors.emplace_back("lm_head.weight", embedding.clone());
        });
        const double diff = emo::test::maxAbsDiff(logitsOf(folder, emo::test::referenceTensor(name, "input_ids")), emo::test::referenceTensor(name, "logits"));
        QVERIFY2(diff < 1e-4, qPrintable(QString::number(diff)));
    }

    // model.safetensors.index.json with two shards loads the same weights.
    void shardedCheckpoint()
    {
        const std::string name = "llama_untied_gqa";
        const std::string folder = temp("sharded");
        std::filesystem::create_directories(folder);
        const Tensors tensors = readAll(referenceFolder(name) + "/model.safetensors");
        Tensors first(tensors.begin(), tensors.begin() + tensors.size() / 2);
        Tensors second(tensors.begin() + tensors.size() / 2, tensors.end());
        nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
        for (const auto& entry : first)
            index["weight_map"][entry.first] = "model-00001-of-00002.safetensors";
        for (const auto& entry : second)
            index["weight_map"][entry.first] = "model-00002-of-00002.safetensors";
        emo::io::writeSafetensors(folder + "/model-00001-of-00002.safetensors", first, {{"format", "pt"}});
        emo::io::writeSafetensors(folder + "/model-00002-of-00002.safetensors", second, {{"format", "pt"}});
        emo::util::writeTextFileAtomically(folder + "/model.safetensors.index.json", index.dump());
        std::filesystem::copy_file(referenceFolder(name) + "/config.json", folder + "/config.json");
        const double diff = emo::test::maxAbsDiff(logitsOf(folder, emo::test::referenceTensor(name, "input_ids")), emo::test::referenceTensor(name, "logits"));
        QVERIFY2(diff < 1e-4, qPrintable(QString::number(diff)));
    }

    // load → save → load: identical logits; the saved names, shapes and values are exactly those of the
    // HF-layout files make_reference.py wrote, and config.json names the transformers class.
    void saveRoundTrip_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("hfClass");
        QTest::newRow("gpt2_tied") << "gpt2_tied" << "GPT2LMHeadModel";
        QTest::newRow("llama_tied") << "llama_tied" << "LlamaForCausalLM";
        QTest::newRow("llama_untied_gqa") << "llama_untied_gqa" << "LlamaForCausalLM";
        QTest::newRow("opt_pre_ln") << "opt_pre_ln" << "OPTForCausalLM";
        QTest::newRow("opt_post_ln_projected") << "opt_post_ln_projected" << "OPTForCausalLM";
    }
    void saveRoundTrip()
    {
        QFETCH(QString, model);
        QFETCH(QString, hfClass);
        const std::string name = model.toStdString();
        const std::string folder = temp("saved_" + name);
        const auto ids = emo::test::referenceTensor(name, "input_ids");
        torch::NoGradGuard noGrad;
        const auto loaded = LanguageModel::load(referenceFolder(name));
        loaded->save(folder);
        QVERIFY(torch::equal(LanguageModel::load(folder)->forward(ids), loaded->forward(ids)));

        const Tensors saved = readAll(folder + "/model.safetensors");
        const Tensors original = readAll(referenceFolder(name) + "/model.safetensors");
        QCOMPARE(saved.size(), original.size());
        for (std::size_t i = 0; i < saved.size(); ++i) {  // both name-ordered
            QCOMPARE(saved[i].first, original[i].first);
            QCOMPARE(saved[i].second.sizes().vec(), original[i].second.sizes().vec());
            QVERIFY2(torch::equal(saved[i].second, original[i].second), saved[i].first.c_str());
        }
        const auto metadata = emo::io::SafetensorsFile::open(folder + "/model.safetensors").metadata();
        QCOMPARE(metadata.at("format"), std::string("pt"));

        const auto config = readJson(folder + "/config.json");
        const auto originalConfig = readJson(referenceFolder(name) + "/config.json");
        QCOMPARE(QString::fromStdString(config["architectures"][0].get<std::string>()), hfClass);
        QCOMPARE(config["torch_dtype"].get<std::string>(), std::string("float32"));
        for (const auto& field : originalConfig.items())  // nothing lost, nothing changed in meaning
            if (field.key() != "rope_theta" && field.key() != "num_key_value_heads")
                QVERIFY2(config.contains(field.key()) && config[field.key()] == field.value(), field.key().c_str());

        // hfTensorShapes (the table) predicts the same list.
        const auto shapes = emo::model::hfTensorShapes(loaded->config());
        QCOMPARE(shapes.size(), original.size());
        std::map<std::string, std::vector<int64_t>> byName(shapes.begin(), shapes.end());
        for (const auto& entry : original)
            QCOMPARE(byName.at(entry.first), entry.second.sizes().vec());
    }

    // create → save in f16 → load gives the f16-rounded weights; tiny helper folders load with their tokenizer.
    void createSaveLoad_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<bool>("tied");
        QTest::newRow("gpt2 tied") << "gpt2" << true;
        QTest::newRow("gpt2 untied") << "gpt2" << false;
        QTest::newRow("llama tied") << "llama" << true;
        QTest::newRow("llama untied") << "llama" << false;
        QTest::newRow("opt") << "opt" << true;
    }
    void createSaveLoad()
    {
        QFETCH(QString, arch);
        QFETCH(bool, tied);
        const std::string folder = temp(std::string("tiny_") + QTest::currentDataTag());
        emo::test::TinyModelOptions options;
        options.storageType = torch::kFloat16;
        emo::test::writeTinyModel(folder, arch.toStdString(), tied, 7, options);
        QVERIFY(std::filesystem::exists(folder + "/vocab.json"));
        QVERIFY(std::filesystem::exists(folder + "/merges.txt"));
        const auto created = LanguageModel::create(emo::test::tinyModelConfig(arch.toStdString(), tied), 7);
        const auto loaded = LanguageModel::load(folder);
        QCOMPARE(loaded->config().vocabSize, int64_t(300));
        QCOMPARE(loaded->config().tieWordEmbeddings, tied);
        QCOMPARE(loaded->parameterCount(), created->parameterCount());
        const auto a = created->namedHfTensors(), b = loaded->namedHfTensors();
        QCOMPARE(a.size(), b.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].first, b[i].first);
            QVERIFY2(torch::equal(a[i].second.detach().to(torch::kFloat16).to(torch::kFloat32), b[i].second), a[i].first.c_str());
        }
        QCOMPARE(loaded->lmHeadWeight().data_ptr() == loaded->namedHfTensors().front().second.data_ptr(), tied);
        // Same seed, same weights; another seed, other weights.
        QVERIFY(torch::equal(created->lmHeadWeight(),
                             LanguageModel::create(emo::test::tinyModelConfig(arch.toStdString(), tied), 7)->lmHeadWeight()));
        QVERIFY(!torch::equal(created->lmHeadWeight(),
                              LanguageModel::create(emo::test::tinyModelConfig(arch.toStdString(), tied), 8)->lmHeadWeight()));
    }

    // Decoding with the cache (a prefix, then one token at a time) equals recomputing the whole sequence.
    void kvCacheMatchesFullForward_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("gpt2_tied") << "gpt2_tied";
        QTest::newRow("llama_tied") << "llama_tied";
        QTest::newRow("llama_untied_gqa") << "llama_untied_gqa";
        QTest::newRow("opt_pre_ln") << "opt_pre_ln";
        QTest::newRow("opt_post_ln_projected") << "opt_post_ln_projected";
    }
    void kvCacheMatchesFullForward()
    {
        QFETCH(QString, model);
        const std::string name = model.toStdString();
        torch::NoGradGuard noGrad;
        const auto lm = LanguageModel::load(referenceFolder(name));
        const auto ids = emo::test::referenceTensor(name, "input_ids");
        const auto full = lm->forward(ids);
        KVCache cache;
        std::vector<torch::Tensor> steps{lm->forward(ids.narrow(1, 0, 5), &cache)};
        QCOMPARE(cache.length(), int64_t(5));
        for (int64_t t = 5; t < ids.size(1); ++t)
            steps.push_back(lm->forward(ids.narrow(1, t, 1), &cache));
        QCOMPARE(cache.length(), ids.size(1));
        QCOMPARE(int64_t(cache.keys.size()), lm->config().numLayers);
        QCOMPARE(cache.keys[0].size(1), lm->config().numKeyValueHeads);
        const double diff = emo::test::maxAbsDiff(torch::cat(steps, 1), full);
        QVERIFY2(diff < kDecodeTolerance, qPrintable(QString::number(diff)));
        // Against the reference too, so a cache that agrees with a wrong forward cannot pass.
        QVERIFY(emo::test::maxAbsDiff(full, emo::test::referenceTensor(name, "logits")) < 1e-4);
    }

    // Decoding 60 tokens grows the cache's stores past their first capacities (16, 32); dropping a row midway
    // (selectRows) and growing on from there still gives the logits of recomputing the whole sequence.
    void kvCacheGrowsAndSelects_data() { kvCacheMatchesFullForward_data(); }
    void kvCacheGrowsAndSelects()
    {
        QFETCH(QString, model);
        torch::NoGradGuard noGrad;
        const auto lm = LanguageModel::load(referenceFolder(model.toStdString()));
        torch::manual_seed(3);
        const int64_t total = 60, dropAt = 25;
        const auto ids = torch::randint(lm->config().vocabSize, {2, total}, torch::kLong);
        const auto full = lm->forward(ids);  // [2, 60, V]
        KVCache cache;
        std::vector<torch::Tensor> both{lm->forward(ids.narrow(1, 0, 3), &cache)};
        for (int64_t t = 3; t < dropAt; ++t)
            both.push_back(lm->forward(ids.narrow(1, t, 1), &cache));
        cache.selectRows(torch::tensor({1}, torch::kLong));
        std::vector<torch::Tensor> second;
        for (int64_t t = dropAt; t < total; ++t)
            second.push_back(lm->forward(ids.narrow(0, 1, 1).narrow(1, t, 1), &cache));
        QCOMPARE(cache.length(), total);
        QCOMPARE(cache.keys[0].size(0), int64_t(1));
        const double bothDiff = emo::test::maxAbsDiff(torch::cat(both, 1), full.narrow(1, 0, dropAt));
        const double secondDiff = emo::test::maxAbsDiff(torch::cat(second, 1), full.narrow(0, 1, 1).narrow(1, dropAt, total - dropAt));
        QVERIFY2(bothDiff < kDecodeTolerance, qPrintable(QString::number(bothDiff)));
        QVERIFY2(secondDiff < kDecodeTolerance, qPrintable(QString::number(secondDiff)));
    }

    // A left-padded batch: rows of different lengths give, at their real tokens, the logits of each row run
    // alone, both for the padded prefix and while decoding on with the cache (positions from cumsum(mask)).
    void leftPaddedBatch_data() { kvCacheMatchesFullForward_data(); }
    void leftPaddedBatch()
    {
        QFETCH(QString, model);
        const std::string name = model.toStdString();
        torch::NoGradGuard noGrad;
        const auto lm = LanguageModel::load(referenceFolder(name));
        const auto ids = emo::test::referenceTensor(name, "input_ids");  // [2, 12]
        const int64_t prompt = 8, shortPrompt = 4, total = ids.size(1);
        const auto longRow = ids[0].unsqueeze(0);   // prompt of 8, then 4 more tokens
        const auto shortRow = ids[1].narrow(0, 0, shortPrompt + (total - prompt)).unsqueeze(0);  // 4 + 4

        auto padded = torch::zeros({2, prompt}, torch::kLong);
        auto mask = torch::zeros({2, prompt}, torch::kLong);
        padded[0] = longRow[0].narrow(0, 0, prompt);
        mask[0].fill_(1);
        padded[1].narrow(0, prompt - shortPrompt, shortPrompt).copy_(shortRow[0].narrow(0, 0, shortPrompt));
        mask[1].narrow(0, prompt - shortPrompt, shortPrompt).fill_(1);
        padded[1].narrow(0, 0, prompt - shortPrompt).fill_(7);  // the pad id must not matter

        const auto longAlone = lm->forward(longRow);
        const auto shortAlone = lm->forward(shortRow);
        KVCache cache;
        const auto prefill = lm->forward(padded, &cache, mask);
        std::vector<torch::Tensor> longSteps{prefill.narrow(0, 0, 1)};
        std::vector<torch::Tensor> shortSteps{prefill.narrow(0, 1, 1).narrow(1, prompt - shortPrompt, shortPrompt)};
        for (int64_t step = 0; step < total - prompt; ++step) {
            const auto next = torch::stack({longRow[0][prompt + step], shortRow[0][shortPrompt + step]}).view({2, 1});
            // Alternate between passing the full mask and letting the cache extend its own.
            torch::Tensor fullMask;
            if (step % 2 == 0)
                fullMask = torch::cat({cache.attentionMask, torch::ones({2, 1}, torch::kLong)}, 1);
            const auto logits = lm->forward(next, &cache, fullMask);
            longSteps.push_back(logits.narrow(0, 0, 1));
            shortSteps.push_back(logits.narrow(0, 1, 1));
        }
        QCOMPARE(cache.length(), total);
        QCOMPARE(cache.attentionMask.sizes().vec(), (std::vector<int64_t>{2, total}));
        const double longDiff = emo::test::maxAbsDiff(torch::cat(longSteps, 1), longAlone);
        const double shortDiff = emo::test::maxAbsDiff(torch::cat(shortSteps, 1), shortAlone);
        QVERIFY2(longDiff < kDecodeTolerance, qPrintable(QString::number(longDiff)));
        QVERIFY2(shortDiff < kDecodeTolerance, qPrintable(QString::number(shortDiff)));

        // The padded prefix without a cache, too.
        const auto batch = lm->forward(padded, nullptr, mask);
        QVERIFY(emo::test::maxAbsDiff(batch.narrow(0, 1, 1).narrow(1, prompt - shortPrompt, shortPrompt),
                           shortAlone.narrow(1, 0, shortPrompt)) < kDecodeTolerance);
        QVERIFY(torch::isfinite(batch).all().item<bool>());

        // selectRows keeps decoding the chosen row only.
        cache.selectRows(torch::tensor({1}, torch::kLong));
        QCOMPARE(cache.keys[0].size(0), int64_t(1));
        const auto extra = torch::tensor({{3}}, torch::kLong);
        const auto alone = lm->forward(torch::cat({shortRow, extra}, 1));
        const double extraDiff = emo::test::maxAbsDiff(lm->forward(extra, &cache)[0][0], alone[0][-1]);
        QVERIFY2(extraDiff < kDecodeTolerance, qPrintable(QString::number(extraDiff)));
    }

    // Every bad folder is refused with BadInput naming the tensor or field (and the expected shape).
    void badInput_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("problem");
        QTest::addColumn<QStringList>("mentions");
        QTest::newRow("missing tensor") << "gpt2_tied" << "drop transformer.h.1.mlp.c_fc.bias"
                                        << QStringList{"transformer.h.1.mlp.c_fc.bias", "[128]", "missing"};
        QTest::newRow("missing untied head") << "llama_untied_gqa" << "drop lm_head.weight"
                                             << QStringList{"lm_head.weight", "[300, 32]"};
        QTest::newRow("extra layer") << "gpt2_tied" << "add transformer.h.2.ln_1.weight"
                                     << QStringList{"transformer.h.2.ln_1.weight", "unexpected"};
        QTest::newRow("extra name") << "llama_tied" << "add model.layers.0.mlp.foo.weight"
                                    << QStringList{"model.layers.0.mlp.foo.weight"};
        QTest::newRow("transposed conv1d") << "gpt2_tied" << "transpose transformer.h.0.attn.c_attn.weight"
                                           << QStringList{"transformer.h.0.attn.c_attn.weight", "[96, 32]", "[32, 96]"};
        QTest::newRow("gqa k_proj as mha") << "llama_untied_gqa" << "widen model.layers.2.self_attn.k_proj.weight"
                                           << QStringList{"model.layers.2.self_attn.k_proj.weight", "[32, 32]", "[16, 32]"};
        QTest::newRow("integer tensor") << "llama_tied" << "int model.norm.weight"
                                       << QStringList{"model.norm.weight", "int64"};
        QTest::newRow("unknown model_type") << "gpt2_tied" << "config model_type=mistral" << QStringList{"mistral", "model_type"};
        QTest::newRow("no model_type") << "gpt2_tied" << "config -model_type" << QStringList{"model_type", "config.json"};
        QTest::newRow("gpt2 without n_embd") << "gpt2_tied" << "config -n_embd" << QStringList{"n_embd", "config.json"};
        QTest::newRow("llama without hidden_size") << "llama_tied" << "config -hidden_size" << QStringList{"hidden_size", "config.json"};
        QTest::newRow("llama without intermediate_size") << "llama_tied" << "config -intermediate_size" << QStringList{"intermediate_size"};
        QTest::newRow("n_head as string") << "gpt2_tied" << "config n_head=\"4\"" << QStringList{"n_head", "\"4\""};
        QTest::newRow("kv heads not dividing") << "llama_untied_gqa" << "config num_key_value_heads=3" << QStringList{"num_key_value_heads"};
        QTest::newRow("rope scaling") << "llama_tied" << "config rope_scaling={\"type\":\"linear\",\"factor\":2.0}" << QStringList{"rope_scaling"};
        QTest::newRow("gpt2 unscaled attention") << "gpt2_tied" << "config scale_attn_weights=false"
                                                 << QStringList{"scale_attn_weights", "config.json"};
        QTest::newRow("gpt2 layer-scaled attention") << "gpt2_tied" << "config scale_attn_by_inverse_layer_idx=true"
                                                     << QStringList{"scale_attn_by_inverse_layer_idx"};
        QTest::newRow("gpt2 cross-attention") << "gpt2_tied" << "config add_cross_attention=true"
                                              << QStringList{"add_cross_attention"};
        QTest::newRow("unknown activation") << "gpt2_tied" << "config activation_function=\"swiglu9\"" << QStringList{"activation_function", "swiglu9", "config.json"};
        QTest::newRow("llama gelu") << "llama_tied" << "config hidden_act=\"gelu\"" << QStringList{"hidden_act", "gelu"};
        QTest::newRow("vocab bigger than stored") << "gpt2_tied" << "config vocab_size=301" << QStringList{"transformer.wte.weight", "[301, 32]", "[300, 32]"};
        QTest::newRow("no weights") << "gpt2_tied" << "remove weights" << QStringList{"model.safetensors"};
        QTest::newRow("opt without ffn_dim") << "opt_pre_ln" << "config -ffn_dim" << QStringList{"ffn_dim", "config.json"};
        QTest::newRow("opt without bias") << "opt_pre_ln" << "config enable_bias=false" << QStringList{"enable_bias"};
        QTest::newRow("opt without affine norms") << "opt_pre_ln" << "config layer_norm_elementwise_affine=false"
                                                  << QStringList{"layer_norm_elementwise_affine"};
        QTest::newRow("opt missing project_out") << "opt_post_ln_projected" << "drop model.decoder.project_out.weight"
                                                 << QStringList{"model.decoder.project_out.weight", "[16, 32]", "missing"};
        QTest::newRow("opt project_in not in config") << "opt_pre_ln" << "add model.decoder.project_in.weight"
                                                      << QStringList{"model.decoder.project_in.weight", "unexpected"};
        QTest::newRow("opt final norm of a post-LN model") << "opt_post_ln_projected" << "add model.decoder.final_layer_norm.weight"
                                                           << QStringList{"model.decoder.final_layer_norm.weight", "unexpected"};
        QTest::newRow("opt positions without the offset") << "opt_pre_ln" << "shrink model.decoder.embed_positions.weight"
                                                          << QStringList{"model.decoder.embed_positions.weight", "[66, 32]"};
    }
    void badInput()
    {
        QFETCH(QString, model);
        QFETCH(QString, problem);
        QFETCH(QStringList, mentions);
        const std::string folder = temp(std::string("bad_") + QTest::currentDataTag());
        const std::string what = problem.section(' ', 0, 0).toStdString();
        const std::string arg = problem.section(' ', 1).toStdString();
        rewriteModel(referenceFolder(model.toStdString()), folder, [&](Tensors& tensors) {
            if (what == "add")
                tensors.emplace_back(arg, torch::zeros({32}));
            for (auto it = tensors.begin(); it != tensors.end(); ++it) {
                if (it->first != arg)
                    continue;
                if (what == "drop") {
                    tensors.erase(it);
                    break;
                }
                if (what == "transpose")
                    it->second = it->second.t().contiguous();
                if (what == "widen")
                    it->second = torch::cat({it->second, it->second}, 0);
                if (what == "int")
                    it->second = it->second.to(torch::kLong);
                if (what == "shrink")  // two rows fewer: OPT's position table without its offset
                    it->second = it->second.narrow(0, 0, it->second.size(0) - 2).contiguous();
            }
        }, [&](nlohmann::json& config) {
            if (what != "config")
                return;
            if (arg[0] == '-') {
                config.erase(arg.substr(1));
            } else {
                const auto eq = arg.find('=');
                const std::string value = arg.substr(eq + 1);
                const bool literal = value.find_first_of("{\"0123456789") == 0 || value == "true" || value == "false";
                config[arg.substr(0, eq)] = nlohmann::json::parse(literal ? value : "\"" + value + "\"");
            }
        });
        if (what == "remove")
            std::filesystem::remove(folder + "/model.safetensors");
        try {
            LanguageModel::load(folder);
            QFAIL("loaded a bad model");
        } catch (const emo::Error& error) {
            qInfo("%s", error.what());
            QCOMPARE(int(error.kind()), int(emo::Error::Kind::BadInput));
            for (const QString& mention : mentions)
                QVERIFY2(QString(error.what()).contains(mention), qPrintable(mention + " not in: " + error.what()));
        }
    }

    // Config fields under transformers' names, their defaults, and toJson → fromJson.
    void configFields()
    {
        using emo::io::ModelConfig;
        const auto gpt2 = ModelConfig::load(referenceFolder("gpt2_tied") + "/config.json");
        QCOMPARE(gpt2.intermediateSize, int64_t(128));  // n_inner null → 4 × n_embd
        QCOMPARE(gpt2.numKeyValueHeads, int64_t(4));
        QCOMPARE(gpt2.maxPositions, int64_t(64));
        QCOMPARE(gpt2.activation, std::string("gelu_new"));
        QCOMPARE(gpt2.eosTokenId, int64_t(299));
        QVERIFY(gpt2.tieWordEmbeddings);
        const auto llama = ModelConfig::load(referenceFolder("llama_tied") + "/config.json");
        QCOMPARE(llama.numKeyValueHeads, int64_t(4));  // absent → num_attention_heads
        QCOMPARE(llama.ropeTheta, 10000.0);    // absent → 10000
        QCOMPARE(llama.normEps, 1e-6);
        QCOMPARE(llama.bosTokenId, int64_t(1));
        QCOMPARE(llama.headDim(), int64_t(8));
        const auto gqa = ModelConfig::load(referenceFolder("llama_untied_gqa") + "/config.json");
        QCOMPARE(gqa.numKeyValueHeads, int64_t(2));
        QCOMPARE(gqa.ropeTheta, 1000.0);
        QVERIFY(!gqa.tieWordEmbeddings);

        auto noTie = readJson(referenceFolder("llama_tied") + "/config.json");
        noTie.erase("tie_word_embeddings");
        QVERIFY(!ModelConfig::fromJson(noTie).tieWordEmbeddings);  // llama default: untied
        auto gpt2NoTie = readJson(referenceFolder("gpt2_tied") + "/config.json");
        gpt2NoTie.erase("tie_word_embeddings");
        QVERIFY(ModelConfig::fromJson(gpt2NoTie).tieWordEmbeddings);  // gpt2 default: tied

        for (const auto& config : {gpt2, llama, gqa}) {
            const auto again = ModelConfig::fromJson(config.toJson());
            QCOMPARE(again.toJson(), config.toJson());
            QCOMPARE(again.numKeyValueHeads, config.numKeyValueHeads);
            QCOMPARE(again.intermediateSize, config.intermediateSize);
            QCOMPARE(again.ropeTheta, config.ropeTheta);
        }
        QCOMPARE(gpt2.toJson()["architectures"], nlohmann::json::array({"GPT2LMHeadModel"}));
        QVERIFY(gpt2.toJson()["n_inner"].is_null());
        QCOMPARE(gqa.toJson()["num_key_value_heads"], nlohmann::json(2));

        const auto opt = ModelConfig::load(referenceFolder("opt_pre_ln") + "/config.json");
        QCOMPARE(opt.intermediateSize, int64_t(64));  // ffn_dim
        QCOMPARE(opt.embedProjDim, int64_t(32));
        QVERIFY(opt.layerNormBefore);
        QVERIFY(opt.finalLayerNorm);
        QCOMPARE(opt.activation, std::string("relu"));
        QCOMPARE(opt.bosTokenId, int64_t(2));
        const auto post = ModelConfig::load(referenceFolder("opt_post_ln_projected") + "/config.json");
        QCOMPARE(post.embedProjDim, int64_t(16));
        QVERIFY(!post.layerNormBefore);
        QVERIFY(!post.finalLayerNorm);  // post-LN: no final layer norm at all
        auto removed = readJson(referenceFolder("opt_pre_ln") + "/config.json");
        removed["_remove_final_layer_norm"] = true;
        QVERIFY(!ModelConfig::fromJson(removed).finalLayerNorm);
        for (const auto& config : {opt, post}) {
            const auto again = ModelConfig::fromJson(config.toJson());
            QCOMPARE(again.toJson(), config.toJson());
            QCOMPARE(again.embedProjDim, config.embedProjDim);
            QCOMPARE(again.layerNormBefore, config.layerNormBefore);
            QCOMPARE(again.finalLayerNorm, config.finalLayerNorm);
        }
        QCOMPARE(post.toJson()["architectures"], nlohmann::json::array({"OPTForCausalLM"}));
        try {
            ModelConfig::fromJson(nlohmann::json{{"model_type", "gpt2"}}, "some/config.json");
            QFAIL("accepted an empty gpt2 config");
        } catch (const emo::Error& error) {
            QVERIFY(QString(error.what()).contains("some/config.json"));
            QVERIFY(QString(error.what()).contains("vocab_size"));
        }
    }

    // Parameter counts: GPT-2 small's well-known 124,439,808 and the reference files' own totals.
    void parameterCount()
    {
        nlohmann::json small = {{"model_type", "gpt2"}, {"vocab_size", 50257}, {"n_embd", 768}, {"n_layer", 12},
                                {"n_head", 12}, {"n_positions", 1024}, {"n_inner", nullptr}};
        const auto model = LanguageModel::create(emo::io::ModelConfig::fromJson(small), 0);
        qInfo("GPT-2 small parameterCount() = %lld", static_cast<long long>(model->parameterCount()));
        QCOMPARE(model->parameterCount(), int64_t(124439808));
        // OPT-125M's 125,239,296 (pre-LN) and OPT-350M's 331,196,416 (post-LN, embeddings of 512 projected).
        nlohmann::json opt125 = {{"model_type", "opt"}, {"vocab_size", 50272}, {"hidden_size", 768}, {"num_hidden_layers", 12},
                                 {"num_attention_heads", 12}, {"ffn_dim", 3072}, {"max_position_embeddings", 2048},
                                 {"word_embed_proj_dim", 768}, {"do_layer_norm_before", true}};
        QCOMPARE(LanguageModel::create(emo::io::ModelConfig::fromJson(opt125), 0)->parameterCount(), int64_t(125239296));
        nlohmann::json opt350 = opt125;
        opt350.update({{"hidden_size", 1024}, {"num_hidden_layers", 24}, {"num_attention_heads", 16}, {"ffn_dim", 4096},
                       {"word_embed_proj_dim", 512}, {"do_layer_norm_before", false}});
        int64_t opt350Count = 0;  // from the table alone: 1.3 GB of weights are not worth creating here
        for (const auto& [name, shape] : emo::model::hfTensorShapes(emo::io::ModelConfig::fromJson(opt350)))
            opt350Count += std::accumulate(shape.begin(), shape.end(), int64_t(1), std::multiplies<int64_t>());
        QCOMPARE(opt350Count, int64_t(331196416));
        for (const char* name : {"gpt2_tied", "llama_tied", "llama_untied_gqa", "opt_pre_ln", "opt_post_ln_projected"}) {
            int64_t stored = 0;
            for (const auto& entry : readAll(referenceFolder(name) + "/model.safetensors"))
                stored += entry.second.numel();
            QCOMPARE(LanguageModel::load(referenceFolder(name))->parameterCount(), stored);
        }
    }

    // Loading reports progress and stops when the callback says so.
    void loadProgressAndCancel()
    {
        int64_t calls = 0, total = 0;
        LanguageModel::load(referenceFolder("gpt2_tied"), torch::kCPU, torch::kFloat32, [&](const emo::Progress& p) {
            ++calls;
            total = p.total;
            return true;
        });
        QCOMPARE(total, int64_t(4 + 2 * 12));
        QCOMPARE(calls, total);
        try {
            LanguageModel::load(referenceFolder("gpt2_tied"), torch::kCPU, torch::kFloat32,
                                [](const emo::Progress& p) { return p.done < 3; });
            QFAIL("not cancelled");
        } catch (const emo::Error& error) {
            QCOMPARE(int(error.kind()), int(emo::Error::Kind::Cancelled));
        }
    }

    // Gradients flow to every parameter (the trainer relies on it), the tied head receiving both uses.
    void gradientsReachEveryParameter()
    {
        const auto lm = LanguageModel::load(referenceFolder("llama_untied_gqa"));
        const auto ids = emo::test::referenceTensor("llama_untied_gqa", "input_ids");
        lm->forward(ids).logsumexp(-1).mean().backward();
        for (const auto& parameter : lm->named_parameters())
            QVERIFY2(parameter.value().grad().defined() && parameter.value().grad().abs().sum().item<double>() > 0,
                     parameter.key().c_str());
    }
};

QTEST_GUILESS_MAIN(TestLanguageModel)
#include "tst_language_model.moc"
