#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include "support/test_paths.h"
#include "text/sentencepiece_tokenizer.h"
#include "text/sentencepiece_trainer.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <fstream>
#include <sstream>

using emo::text::SentencePieceTokenizer;

namespace {

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

std::vector<std::string> splitLines(const std::string& text)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        lines.push_back(line);
    return lines;
}

const std::string kCommittedModel = emo::test::dataPath("text/sp/tiny_bpe.model");

} // namespace

class TestSentencePiece : public QObject {
    Q_OBJECT
private:
    nlohmann::json m_reference;

private Q_SLOTS:
    void initTestCase();
    void committedModelShape();
    void idsMatchSpmEncode_data();
    void idsMatchSpmEncode();
    void roundTrip_data();
    void roundTrip();
    void piecesAndIdsAgree();
    void loadTokenizerPicksTokenizerModel();
    void trainedModelMatchesCommandLineTool();
    void trainingErrorsAreBadInput();
    void badModelFileIsBadInput();
    void decodeRejectsUnknownIds();
};

void TestSentencePiece::initTestCase()
{
    m_reference = nlohmann::json::parse(readFile(emo::test::dataPath("text/sp_reference.json")));
    QCOMPARE(m_reference["lines"].size(), size_t(8));
}

void TestSentencePiece::committedModelShape()
{
    const SentencePieceTokenizer tokenizer(kCommittedModel);
    QCOMPARE(tokenizer.kind(), std::string("sentencepiece"));
    QCOMPARE(tokenizer.vocabSize(), int64_t(400));
    // sentencepiece's defaults, as LLaMA has them: <unk> 0, <s> 1, </s> 2, no pad.
    QCOMPARE(tokenizer.unkId(), int64_t(0));
    QCOMPARE(tokenizer.bosId(), int64_t(1));
    QCOMPARE(tokenizer.eosId(), int64_t(2));
    QCOMPARE(tokenizer.padId(), int64_t(-1));
    QCOMPARE(tokenizer.piece(1), std::string("<s>"));
    QCOMPARE(tokenizer.piece(2), std::string("</s>"));
    // Byte fallback pieces follow the three specials, in byte order.
    QCOMPARE(tokenizer.piece(3), std::string("<0x00>"));
    QCOMPARE(tokenizer.piece(3 + 0xC3), std::string("<0xC3>"));
}

void TestSentencePiece::idsMatchSpmEncode_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QList<qint64>>("ids");
    QTest::addColumn<QStringList>("pieces");
    const auto reference = nlohmann::json::parse(readFile(emo::test::dataPath("text/sp_reference.json")));
    int index = 0;
    for (const auto& line : reference["lines"]) {
        const auto ids = line["ids"].get<std::vector<qint64>>();
        QStringList pieces;
        for (const auto& p : line["pieces"])
            pieces << QString::fromStdString(p.get<std::string>());
        QTest::addRow("line %d", ++index) << QByteArray::fromStdString(line["text"].get<std::string>())
                                          << QList<qint64>(ids.begin(), ids.end()) << pieces;
    }
}

void TestSentencePiece::idsMatchSpmEncode()
{
    QFETCH(QByteArray, text);
    QFETCH(QList<qint64>, ids);
    QFETCH(QStringList, pieces);
    const SentencePieceTokenizer tokenizer(kCommittedModel);
    const auto got = tokenizer.encode(text.toStdString());
    QCOMPARE(QList<qint64>(got.begin(), got.end()), ids);
    QStringList gotPieces;
    for (int64_t id : got)
        gotPieces << QString::fromStdString(tokenizer.piece(id));
    QCOMPARE(gotPieces, pieces);
}

void TestSentencePiece::roundTrip_data()
{
    QTest::addColumn<QByteArray>("text");
    int index = 0;
    for (const auto& line : m_reference["lines"])
        QTest::addRow("line %d", ++index) << QByteArray::fromStdString(line["text"].get<std::string>());
    QTest::newRow("multi-line") << QByteArray("first line\nsecond line\n");
    QTest::newRow("empty") << QByteArray();
}

void TestSentencePiece::roundTrip()
{
    QFETCH(QByteArray, text);
    const SentencePieceTokenizer tokenizer(kCommittedModel);
    // Byte fallback and identity normalisation with whitespace kept: every text comes back unchanged,
    // except that sentencepiece drops the one dummy-prefix space it added (none in the input here).
    QCOMPARE(tokenizer.decode(tokenizer.encode(text.toStdString())), text.toStdString());
}

void TestSentencePiece::piecesAndIdsAgree()
{
    const SentencePieceTokenizer tokenizer(kCommittedModel);
    for (int64_t id = 0; id < tokenizer.vocabSize(); ++id) {
        const std::string piece = tokenizer.piece(id);
        QVERIFY2(!piece.empty(), qPrintable(QString::number(id)));
        QCOMPARE(tokenizer.pieceToId(piece), id);
    }
    QCOMPARE(tokenizer.pieceToId("no such piece"), int64_t(-1));
    QCOMPARE(tokenizer.pieceToId("<unk>"), int64_t(0));
    // displayText: control tokens decode to nothing; a lone UTF-8 lead byte shows escaped.
    QCOMPARE(tokenizer.displayText(tokenizer.pieceToId("<0xC3>")), std::string("\\xC3"));
    QCOMPARE(tokenizer.displayText(tokenizer.pieceToId("▁the")), std::string(" the"));
}

void TestSentencePiece::loadTokenizerPicksTokenizerModel()
{
    QTemporaryDir dir;
    QVERIFY(QFile::copy(QString::fromStdString(kCommittedModel), dir.filePath("tokenizer.model")));
    // A converted tokenizer.json next to it (as LLaMA folders have) must not win: DESIGN.md wants raw
    // sentencepiece ids.
    std::ofstream(dir.filePath("tokenizer.json").toStdString()) << R"({"model": {"type": "BPE"}})";
    const auto tokenizer = emo::text::loadTokenizer(dir.path().toStdString());
    QCOMPARE(tokenizer->kind(), std::string("sentencepiece"));
    const auto& first = m_reference["lines"][0];
    QCOMPARE(tokenizer->encode(first["text"].get<std::string>()), first["ids"].get<std::vector<int64_t>>());
    emo::text::checkTokenizerFitsModel(*tokenizer, 400, dir.path().toStdString());
    QVERIFY_THROWS_EXCEPTION(emo::Error, emo::text::checkTokenizerFitsModel(*tokenizer, 399, dir.path().toStdString()));
}

void TestSentencePiece::trainedModelMatchesCommandLineTool()
{
    // Train through the shim, then let the independent spm_encode tool encode with the same model.
    QTemporaryDir dir;
    emo::text::SentencePieceTrainingOptions options;
    options.inputPath = emo::test::dataPath("text/sp_corpus.txt");
    options.modelPrefix = dir.filePath("trained model").toStdString();  // a space in the path on purpose
    options.vocabSize = 300;
    options.modelType = "unigram";
    options.extraOptions = "--minloglevel=1 --num_threads=1";
    const std::string modelPath = emo::text::trainSentencePieceModel(options);
    QCOMPARE(modelPath, options.modelPrefix + ".model");
    QVERIFY(QFile::exists(QString::fromStdString(modelPath)));

    const SentencePieceTokenizer tokenizer(modelPath);
    QCOMPARE(tokenizer.vocabSize(), int64_t(300));
    const std::vector<std::string> lines = splitLines(readFile(emo::test::dataPath("text/sp_corpus.txt")));
    for (const std::string& line : lines)
        QCOMPARE(tokenizer.decode(tokenizer.encode(line)), line);

    const QString spmEncode = QStandardPaths::findExecutable("spm_encode");
    if (spmEncode.isEmpty())
        QSKIP("spm_encode (package sentencepiece) is not installed: ids not compared with it");
    QProcess process;
    process.start(spmEncode, {"--model=" + QString::fromStdString(modelPath), "--output_format=id",
                              QString::fromStdString(emo::test::dataPath("text/sp_corpus.txt"))});
    QVERIFY(process.waitForFinished(30000));
    QCOMPARE(process.exitCode(), 0);
    const std::vector<std::string> idLines = splitLines(process.readAllStandardOutput().toStdString());
    QCOMPARE(idLines.size(), lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::vector<int64_t> expected;
        std::istringstream words(idLines[i]);
        for (int64_t id; words >> id;)
            expected.push_back(id);
        QCOMPARE(tokenizer.encode(lines[i]), expected);
    }
}

void TestSentencePiece::trainingErrorsAreBadInput()
{
    QTemporaryDir dir;
    emo::text::SentencePieceTrainingOptions options;
    options.inputPath = emo::test::dataPath("text/sp_corpus.txt");
    options.modelPrefix = dir.filePath("m").toStdString();
    options.vocabSize = 300;
    options.modelType = "no-such-type";
    options.extraOptions = "--minloglevel=1";
    QVERIFY_THROWS_EXCEPTION(emo::Error, emo::text::trainSentencePieceModel(options));
    options.modelType = "unigram";
    options.inputPath = dir.filePath("missing.txt").toStdString();
    QVERIFY_THROWS_EXCEPTION(emo::Error, emo::text::trainSentencePieceModel(options));
    options.inputPath = emo::test::dataPath("text/sp_corpus.txt");
    options.vocabSize = 100000;  // far more than 3.5 kB of text can give
    try {
        emo::text::trainSentencePieceModel(options);
        QFAIL("accepted a vocabulary larger than the corpus allows");
    } catch (const emo::Error& e) {
        QCOMPARE(e.kind(), emo::Error::Kind::BadInput);
        QVERIFY2(std::string(e.what()).find("sentencepiece") != std::string::npos, e.what());
    }
}

void TestSentencePiece::badModelFileIsBadInput()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("tokenizer.model").toStdString();
    std::ofstream(path) << "this is not a protobuf";
    try {
        SentencePieceTokenizer tokenizer(path);
        QFAIL("accepted");
    } catch (const emo::Error& e) {
        QCOMPARE(e.kind(), emo::Error::Kind::BadInput);
        QVERIFY2(std::string(e.what()).find(path) != std::string::npos, e.what());
    }
    QVERIFY_THROWS_EXCEPTION(emo::Error, SentencePieceTokenizer(dir.filePath("missing.model").toStdString()));
}

void TestSentencePiece::decodeRejectsUnknownIds()
{
    const SentencePieceTokenizer tokenizer(kCommittedModel);
    QVERIFY_THROWS_EXCEPTION(emo::Error, tokenizer.decode({5, 400}));
    QVERIFY_THROWS_EXCEPTION(emo::Error, tokenizer.decode({-1}));
    QVERIFY_THROWS_EXCEPTION(emo::Error, tokenizer.piece(400));
}

QTEST_GUILESS_MAIN(TestSentencePiece)
#include "tst_sentencepiece.moc"
