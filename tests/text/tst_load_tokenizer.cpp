#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include "support/test_paths.h"
#include "support/tiny_tokenizer.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <fstream>

using emo::text::loadTokenizer;

class TestLoadTokenizer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tinyTokenizerSizes_data();
    void tinyTokenizerSizes();
    void tinyTokenizerMergesApply();
    void displayTextEscapesPartialCharacters();
    void specialTokensMapOverridesDefaults();
    void missingFilesAreClearErrors_data();
    void missingFilesAreClearErrors();
    void vocabSizeCheck_data();
    void vocabSizeCheck();
};

void TestLoadTokenizer::tinyTokenizerSizes_data()
{
    QTest::addColumn<qint64>("extraMerges");
    QTest::newRow("bytes only") << qint64(0);
    QTest::newRow("7 merges") << qint64(7);
    QTest::newRow("40 merges") << qint64(40);
    QTest::newRow("all merges") << qint64(emo::test::maxTinyTokenizerMerges());
}

void TestLoadTokenizer::tinyTokenizerSizes()
{
    QFETCH(qint64, extraMerges);
    QTemporaryDir dir;
    emo::test::writeByteLevelBpeTokenizer(dir.path().toStdString(), extraMerges);
    const auto tokenizer = loadTokenizer(dir.path().toStdString());
    QCOMPARE(tokenizer->kind(), std::string("gpt2-bpe"));
    QCOMPARE(tokenizer->vocabSize(), 257 + extraMerges);
    QCOMPARE(tokenizer->eosId(), 256 + extraMerges);
    QCOMPARE(tokenizer->bosId(), 256 + extraMerges);
    QCOMPARE(tokenizer->padId(), int64_t(-1));
    QCOMPARE(tokenizer->piece(tokenizer->eosId()), std::string("<|endoftext|>"));
    // GPT-2's first ids: "!" is 0, "A" is 32, "Ġ" (the space byte) is 220.
    QCOMPARE(tokenizer->pieceToId("!"), int64_t(0));
    QCOMPARE(tokenizer->pieceToId("A"), int64_t(32));
    QCOMPARE(tokenizer->pieceToId("Ġ"), int64_t(220));
    const std::string text = "The cat sat on the mat, then 42 mice ran in.\n\tÉtienne 😀!";
    QCOMPARE(tokenizer->decode(tokenizer->encode(text)), text);
}

void TestLoadTokenizer::tinyTokenizerMergesApply()
{
    QTemporaryDir dir;
    emo::test::writeByteLevelBpeTokenizer(dir.path().toStdString(), 7);
    const auto tokenizer = loadTokenizer(dir.path().toStdString());
    // Merges (rank: result id): Ġt 256, Ġa 257, he 258, in 259, re 260, on 261, Ġthe 262.
    // " the" → Ġ t h e → Ġt h e → Ġt he → Ġthe. "x" is byte 0x78 → symbol 'x' → id 0x78 - 0x21 = 87.
    QCOMPARE(tokenizer->encode(" the"), (std::vector<int64_t>{262}));
    QCOMPARE(tokenizer->encode(" then"), (std::vector<int64_t>{262, 'n' - '!'}));
    QCOMPARE(tokenizer->encode("x"), (std::vector<int64_t>{87}));
    QCOMPARE(tokenizer->encode(" in"), (std::vector<int64_t>{220, 259}));
}

void TestLoadTokenizer::displayTextEscapesPartialCharacters()
{
    QTemporaryDir dir;
    emo::test::writeByteLevelBpeTokenizer(dir.path().toStdString(), 0);
    const auto tokenizer = loadTokenizer(dir.path().toStdString());
    // "é" is C3 A9: each byte alone is a partial character.
    const auto ids = tokenizer->encode("é");
    QCOMPARE(ids.size(), size_t(2));
    QCOMPARE(tokenizer->displayText(ids[0]), std::string("\\xC3"));
    QCOMPARE(tokenizer->displayText(ids[1]), std::string("\\xA9"));
    QCOMPARE(tokenizer->displayText(tokenizer->pieceToId("Ġ")), std::string(" "));
    QCOMPARE(tokenizer->displayText(tokenizer->eosId()), std::string("<|endoftext|>"));
}

void TestLoadTokenizer::specialTokensMapOverridesDefaults()
{
    QTemporaryDir dir;
    emo::test::writeByteLevelBpeTokenizer(dir.path().toStdString(), 0);
    std::ofstream(dir.filePath("special_tokens_map.json").toStdString())
        << R"({"bos_token": {"content": "!"}, "eos_token": "<|endoftext|>", "pad_token": "A"})";
    const auto tokenizer = loadTokenizer(dir.path().toStdString());
    QCOMPARE(tokenizer->bosId(), int64_t(0));
    QCOMPARE(tokenizer->eosId(), int64_t(256));
    QCOMPARE(tokenizer->padId(), int64_t(32));
    std::ofstream(dir.filePath("special_tokens_map.json").toStdString()) << R"({"pad_token": "<pad>"})";
    QVERIFY_THROWS_EXCEPTION(emo::Error, loadTokenizer(dir.path().toStdString()));
}

void TestLoadTokenizer::missingFilesAreClearErrors_data()
{
    QTest::addColumn<QString>("keep");  // which file of the tiny tokenizer to keep
    QTest::addColumn<QString>("expected");
    QTest::newRow("nothing") << "" << "no tokenizer";
    QTest::newRow("vocab only") << "vocab.json" << "no merges.txt";
    QTest::newRow("merges only") << "merges.txt" << "no vocab.json";
}

void TestLoadTokenizer::missingFilesAreClearErrors()
{
    QFETCH(QString, keep);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    emo::test::writeByteLevelBpeTokenizer(dir.path().toStdString(), 3);
    for (const char* name : {"vocab.json", "merges.txt"})
        if (name != keep)
            QVERIFY(QFile::remove(dir.filePath(name)));
    try {
        loadTokenizer(dir.path().toStdString());
        QFAIL("no error");
    } catch (const emo::Error& e) {
        QCOMPARE(e.kind(), emo::Error::Kind::BadInput);
        const std::string message = e.what();
        QVERIFY2(message.find(expected.toStdString()) != std::string::npos, e.what());
        QVERIFY2(message.find(dir.path().toStdString()) != std::string::npos, e.what());
    }
    QVERIFY_THROWS_EXCEPTION(emo::Error, loadTokenizer(dir.filePath("no-such-folder").toStdString()));
}

void TestLoadTokenizer::vocabSizeCheck_data()
{
    QTest::addColumn<qint64>("modelVocab");
    QTest::addColumn<bool>("fits");
    QTest::newRow("equal") << qint64(260) << true;
    QTest::newRow("model padded") << qint64(320) << true;
    QTest::newRow("model one short") << qint64(259) << false;
    QTest::newRow("model tiny") << qint64(10) << false;
}

void TestLoadTokenizer::vocabSizeCheck()
{
    QFETCH(qint64, modelVocab);
    QFETCH(bool, fits);
    QTemporaryDir dir;
    emo::test::writeByteLevelBpeTokenizer(dir.path().toStdString(), 3);  // 260 tokens
    const auto tokenizer = loadTokenizer(dir.path().toStdString());
    QCOMPARE(tokenizer->vocabSize(), int64_t(260));
    try {
        emo::text::checkTokenizerFitsModel(*tokenizer, modelVocab, "/some/model");
        QVERIFY(fits);
    } catch (const emo::Error& e) {
        QVERIFY2(!fits, e.what());
        QCOMPARE(e.kind(), emo::Error::Kind::BadInput);
        const std::string message = e.what();
        QVERIFY2(message.find("260") != std::string::npos, e.what());
        QVERIFY2(message.find(std::to_string(modelVocab)) != std::string::npos, e.what());
        QVERIFY2(message.find("/some/model") != std::string::npos, e.what());
    }
}

QTEST_GUILESS_MAIN(TestLoadTokenizer)
#include "tst_load_tokenizer.moc"
