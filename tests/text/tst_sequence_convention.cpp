// One sequence convention per family, the same wherever the engine builds ids from text: training blocks,
// sampling prompts, scored sequences (perplexity, oracle perplexity, few-shot) and the inspector. LLaMA
// (sentencepiece) puts BOS before every document and prompt; GPT-2 puts nothing before text and
// <|endoftext|> between documents, and starts unconditional text from it; a GPT-2 BPE tokenizer whose
// tokenizer_config.json says add_bos_token (OPT) puts its BOS first. Expected ids are built by hand from
// encode(), which adds no special token.
#include "eval/sequence_scoring.h"
#include "generate/sampler.h"
#include "inspect/inspector.h"
#include "model/model_folder.h"
#include "support/test_paths.h"
#include "support/tiny_models.h"
#include "text/document_blocks.h"
#include "text/sequence_convention.h"
#include "text/tokenizer.h"

#include <QtTest/QtTest>

#include <fstream>

namespace {

std::vector<int64_t> concat(std::initializer_list<std::vector<int64_t>> parts)
{
    std::vector<int64_t> out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

std::vector<int64_t> firstRow(const torch::Tensor& blocks)
{
    const auto row = blocks[0].contiguous();
    return std::vector<int64_t>(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
}

} // namespace

class TestSequenceConvention : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::string m_llama, m_gpt2;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_llama = emo::test::sourceDir() + "/resources/models/demo-tiny";  // sentencepiece, BOS 1, EOS 2
        m_gpt2 = emo::test::writeTinyModel(m_dir.filePath("gpt2").toStdString(), "gpt2", true, 3);
    }

    void conventionPerFamily()
    {
        const auto llama = emo::text::loadTokenizer(m_llama);
        const auto l = emo::text::sequenceConvention(*llama);
        QCOMPARE(l.documentStart, llama->bosId());
        QCOMPARE(l.documentEnd, llama->eosId());
        QCOMPARE(l.unconditionalStart, llama->bosId());
        QVERIFY(llama->bosId() >= 0 && llama->bosId() != llama->eosId());

        const auto gpt2 = emo::text::loadTokenizer(m_gpt2);
        const auto g = emo::text::sequenceConvention(*gpt2);
        const int64_t eot = gpt2->pieceToId("<|endoftext|>");
        QVERIFY(eot >= 0);
        QCOMPARE(g.documentStart, int64_t(-1));
        QCOMPARE(g.documentEnd, eot);
        QCOMPARE(g.unconditionalStart, eot);

        // OPT's GPT2Tokenizer: add_bos_token in tokenizer_config.json.
        const std::string opt = m_dir.filePath("opt").toStdString();
        emo::test::writeTinyModel(opt, "gpt2", true, 4);
        std::ofstream(opt + "/tokenizer_config.json") << R"({"add_bos_token": true, "bos_token": "<|endoftext|>"})";
        const auto optTokenizer = emo::text::loadTokenizer(opt);
        QCOMPARE(emo::text::sequenceConvention(*optTokenizer).documentStart, eot);
    }

    void trainingBlocks()
    {
        const std::vector<std::string> documents = {"In the beginning was the word.", "And the word was with God."};
        const auto llama = emo::text::loadTokenizer(m_llama);
        const int64_t bos = llama->bosId(), eos = llama->eosId();
        const auto llamaIds = concat({{bos}, llama->encode(documents[0]), {eos}, {bos}, llama->encode(documents[1]), {eos}});
        const auto llamaBlocks = emo::text::tokenizeIntoBlocks(documents, *llama, static_cast<int64_t>(llamaIds.size()));
        QCOMPARE(firstRow(llamaBlocks), llamaIds);

        const auto gpt2 = emo::text::loadTokenizer(m_gpt2);
        const int64_t eot = gpt2->eosId();
        const auto gptIds = concat({gpt2->encode(documents[0]), {eot}, gpt2->encode(documents[1]), {eot}});
        const auto gptBlocks = emo::text::tokenizeIntoBlocks(documents, *gpt2, static_cast<int64_t>(gptIds.size()));
        QCOMPARE(firstRow(gptBlocks), gptIds);
    }

    void samplingPrompts()
    {
        for (const std::string& folder : {m_llama, m_gpt2}) {
            auto loaded = emo::model::loadModelFolder(folder);
            const auto& tokenizer = *loaded.tokenizer;
            emo::generate::Sampler sampler(*loaded.model, &tokenizer);
            const bool llama = tokenizer.kind() == "sentencepiece";
            const auto text = tokenizer.encode("The light shines");
            QCOMPARE(sampler.promptIds("The light shines"), llama ? concat({{tokenizer.bosId()}, text}) : text);
            QCOMPARE(sampler.promptIds(""), std::vector<int64_t>{llama ? tokenizer.bosId() : tokenizer.eosId()});
            QCOMPARE(emo::text::encodePrompt(tokenizer, "The light shines"), sampler.promptIds("The light shines"));
        }
    }

    void scoredSequences()
    {
        // textSequence is what perplexity of prompted text, oracle perplexity and few-shot score.
        for (const std::string& folder : {m_llama, m_gpt2}) {
            const auto tokenizer = emo::text::loadTokenizer(folder);
            const bool llama = tokenizer->kind() == "sentencepiece";
            const auto s = emo::eval::textSequence(*tokenizer, "Blessed are", " the meek");
            const auto prompt = llama ? concat({{tokenizer->bosId()}, tokenizer->encode("Blessed are")})
                                      : tokenizer->encode("Blessed are");
            QCOMPARE(s.ids, concat({prompt, tokenizer->encode(" the meek")}));
            QCOMPARE(s.from, prompt.size());
            const auto unconditional = emo::eval::textSequence(*tokenizer, "", "the meek");
            QCOMPARE(unconditional.ids.front(), llama ? tokenizer->bosId() : tokenizer->eosId());
            QCOMPARE(unconditional.from, size_t(1));
        }
    }

    void inspectorFollowsTheFamily()
    {
        for (const std::string& folder : {m_llama, m_gpt2}) {
            auto loaded = emo::model::loadModelFolder(folder);
            emo::inspect::Inspector inspector(*loaded.model, loaded.tokenizer.get());
            bool added = false;
            const auto ids = inspector.encode("grace and truth", emo::inspect::BosPolicy::Auto, &added);
            const bool llama = loaded.tokenizer->kind() == "sentencepiece";
            QCOMPARE(added, llama);
            QCOMPARE(ids, emo::text::encodePrompt(*loaded.tokenizer, "grace and truth"));
        }
    }

    void shippedLlamaModelsWereTrainedWithBos()
    {
        // A BOS row the model never trained keeps about its initial norm while the rows of real pieces grow:
        // demo-base before the convention had 0.28 against a median of 0.68 for the corpus's pieces. Trained
        // with BOS before every document, its row is a trained row like the others.
        for (const char* name : {"demo-base", "demo-mle", "demo-emo"}) {
            const std::string folder = emo::test::sourceDir() + "/resources/models/" + name;
            auto loaded = emo::model::loadModelFolder(folder);
            torch::Tensor embedding;
            for (const auto& [tensorName, tensor] : loaded.model->namedHfTensors())
                if (tensorName == "model.embed_tokens.weight")
                    embedding = tensor;
            QVERIFY(embedding.defined());
            const auto norms = embedding.norm(2, 1).to(torch::kDouble);
            std::vector<int64_t> seen;
            for (const auto& doc : {"And Jesus said unto them, Verily I say unto you.",
                                    "It is a truth universally acknowledged, that a single man in possession of a good fortune."})
                for (int64_t id : loaded.tokenizer->encode(doc))
                    seen.push_back(id);
            const auto pieceNorms = norms.index_select(0, torch::tensor(seen, torch::kLong));
            const double median = pieceNorms.median().item<double>();
            const double bos = norms[loaded.tokenizer->bosId()].item<double>();
            QVERIFY2(bos > 0.5 * median, qPrintable(QString("%1: BOS row norm %2, median piece %3").arg(name).arg(bos).arg(median)));
        }
    }
};

QTEST_GUILESS_MAIN(TestSequenceConvention)
#include "tst_sequence_convention.moc"
