#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include "support/test_paths.h"
#include "text/gpt2_bpe_tokenizer.h"
#include "text/gpt2_pretokenizer.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

using emo::text::Gpt2BpeTokenizer;

namespace {

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

const std::string kEncoderJson = emo::test::dataPath("text/gpt2/encoder.json");
const std::string kVocabBpe = emo::test::dataPath("text/gpt2/vocab.bpe");

// OpenAI's vocab.bpe as a Hugging Face tokenizer.json (what transformers' GPT2TokenizerFast saves),
// merges either as "a b" strings (tokenizers < 0.20) or as ["a", "b"] pairs (newer).
std::string tokenizerJsonFromOpenAiFiles(bool mergesAsPairs)
{
    nlohmann::json root;
    root["version"] = "1.0";
    root["truncation"] = nullptr;
    root["padding"] = nullptr;
    root["added_tokens"] = nlohmann::json::array({{{"id", 50256}, {"content", "<|endoftext|>"}, {"single_word", false},
        {"lstrip", false}, {"rstrip", false}, {"normalized", true}, {"special", true}}});
    root["normalizer"] = nullptr;
    root["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
    root["post_processor"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}};
    root["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
    nlohmann::json model;
    model["type"] = "BPE";
    model["dropout"] = nullptr;
    model["unk_token"] = nullptr;
    model["continuing_subword_prefix"] = "";
    model["end_of_word_suffix"] = "";
    model["fuse_unk"] = false;
    model["vocab"] = nlohmann::json::parse(readFile(kEncoderJson));
    nlohmann::json merges = nlohmann::json::array();
    std::istringstream lines(readFile(kVocabBpe));
    std::string line;
    std::getline(lines, line);  // "#version: 0.2"
    while (std::getline(lines, line)) {
        if (line.empty())
            continue;
        const auto space = line.find(' ');
        if (mergesAsPairs)
            merges.push_back({line.substr(0, space), line.substr(space + 1)});
        else
            merges.push_back(line);
    }
    model["merges"] = merges;
    root["model"] = model;
    return root.dump();
}

} // namespace

class TestGpt2Bpe : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<Gpt2BpeTokenizer> m_tokenizer;
    nlohmann::json m_reference;
    std::string m_trickyText;

private Q_SLOTS:
    void initTestCase();
    void vocabularyShape();
    void wellKnownIds_data();
    void wellKnownIds();
    void preTokenization_data();
    void preTokenization();
    void trickyLinesMatchOpenAi_data();
    void trickyLinesMatchOpenAi();
    void trickyFileMatchesOpenAi();
    void roundTrip_data();
    void roundTrip();
    void invalidUtf8RoundTrips();
    void tokenizerJsonGivesSameIds_data();
    void tokenizerJsonGivesSameIds();
    void loadTokenizerFromFolder();
    void concurrentEncodingAgrees();
    void badFilesAreRejected_data();
    void badFilesAreRejected();
    void decodeRejectsUnknownIds();
    void encodingSpeed();
};

void TestGpt2Bpe::initTestCase()
{
    m_tokenizer = Gpt2BpeTokenizer::fromVocabAndMerges(kEncoderJson, kVocabBpe);
    m_reference = nlohmann::json::parse(readFile(emo::test::dataPath("text/tricky_ids.json")));
    m_trickyText = readFile(emo::test::dataPath("text/tricky.txt"));
    QVERIFY(m_reference["lines"].size() > 30);
}

void TestGpt2Bpe::vocabularyShape()
{
    QCOMPARE(m_tokenizer->vocabSize(), int64_t(50257));
    QCOMPARE(m_tokenizer->mergeCount(), int64_t(50000));
    QCOMPARE(m_tokenizer->eosId(), int64_t(50256));
    QCOMPARE(m_tokenizer->bosId(), int64_t(50256));
    QCOMPARE(m_tokenizer->padId(), int64_t(-1));
    QCOMPARE(m_tokenizer->kind(), std::string("gpt2-bpe"));
    QCOMPARE(m_tokenizer->piece(262), std::string("Ġthe"));
    QCOMPARE(m_tokenizer->pieceToId("Ġthe"), int64_t(262));
    QCOMPARE(m_tokenizer->pieceToId("no such piece"), int64_t(-1));
    QCOMPARE(m_tokenizer->displayText(262), std::string(" the"));
}

void TestGpt2Bpe::wellKnownIds_data()
{
    // Ids quoted widely for GPT-2 (e.g. transformers' docs and tests), independent of the npm reference.
    QTest::addColumn<QString>("text");
    QTest::addColumn<QList<qint64>>("ids");
    QTest::newRow("hello world") << "Hello world" << QList<qint64>{15496, 995};
    QTest::newRow("the") << " the" << QList<qint64>{262};
    QTest::newRow("newline") << "\n" << QList<qint64>{198};
    QTest::newRow("two newlines") << "\n\n" << QList<qint64>{628};
    QTest::newRow("endoftext is text") << "<|endoftext|>" << QList<qint64>{27, 91, 437, 1659, 5239, 91, 29};
    QTest::newRow("empty") << "" << QList<qint64>{};
}

void TestGpt2Bpe::wellKnownIds()
{
    QFETCH(QString, text);
    QFETCH(QList<qint64>, ids);
    const auto got = m_tokenizer->encode(text.toStdString());
    QCOMPARE(QList<qint64>(got.begin(), got.end()), ids);
}

void TestGpt2Bpe::preTokenization_data()
{
    // Splits worked out by hand from the regex, alternative by alternative.
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("pieces");
    QTest::newRow("words") << "Hello world" << QStringList{"Hello", " world"};
    QTest::newRow("two spaces") << "a  b" << QStringList{"a", " ", " b"};
    QTest::newRow("trailing spaces") << "a   " << QStringList{"a", "   "};
    QTest::newRow("tab before word") << "a\tb" << QStringList{"a", "\t", "b"};
    QTest::newRow("space tab word") << "a \tb" << QStringList{"a", " ", "\t", "b"};
    QTest::newRow("newlines") << "a\n\nb" << QStringList{"a", "\n", "\n", "b"};
    QTest::newRow("crlf") << "a\r\nb" << QStringList{"a", "\r", "\n", "b"};
    QTest::newRow("contractions") << "it's we'll" << QStringList{"it", "'s", " we", "'ll"};
    QTest::newRow("uppercase contraction") << "IT'S" << QStringList{"IT", "'", "S"};
    QTest::newRow("punctuation eats apostrophe") << "!'s" << QStringList{"!'", "s"};
    QTest::newRow("digits") << "x 12345 3.14" << QStringList{"x", " 12345", " 3", ".", "14"};
    QTest::newRow("letters then digits") << "abc123" << QStringList{"abc", "123"};
    QTest::newRow("accents") << "café naïve" << QStringList{"café", " naïve"};
    QTest::newRow("combining mark") << QString::fromUtf8("e\xCC\x81t") << QStringList{"e", QString::fromUtf8("\xCC\x81"), "t"};
    QTest::newRow("cjk") << "你好，世界" << QStringList{"你好", "，", "世界"};
    QTest::newRow("emoji") << " 😀😃 x" << QStringList{" 😀😃", " x"};
    QTest::newRow("nbsp") << QString::fromUtf8("a\xC2\xA0" "b") << QStringList{"a", QString::fromUtf8("\xC2\xA0"), "b"};
    QTest::newRow("only spaces") << "   " << QStringList{"   "};
    QTest::newRow("superscript digit") << "x²" << QStringList{"x", "²"};
}

void TestGpt2Bpe::preTokenization()
{
    QFETCH(QString, text);
    QFETCH(QStringList, pieces);
    const std::string utf8 = text.toStdString();
    QStringList got;
    for (std::string_view piece : emo::text::gpt2PreTokenize(utf8))
        got << QString::fromUtf8(piece.data(), static_cast<qsizetype>(piece.size()));
    QCOMPARE(got, pieces);
}

void TestGpt2Bpe::trickyLinesMatchOpenAi_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QList<qint64>>("ids");
    const auto reference = nlohmann::json::parse(readFile(emo::test::dataPath("text/tricky_ids.json")));
    int index = 0;
    for (const auto& line : reference["lines"]) {
        const std::string text = line["text"].get<std::string>();
        const auto ids = line["ids"].get<std::vector<qint64>>();
        QTest::addRow("line %d: %s", ++index, text.substr(0, 30).c_str())
            << QByteArray::fromStdString(text) << QList<qint64>(ids.begin(), ids.end());
    }
}

void TestGpt2Bpe::trickyLinesMatchOpenAi()
{
    QFETCH(QByteArray, text);
    QFETCH(QList<qint64>, ids);
    const auto got = m_tokenizer->encode(text.toStdString());
    QCOMPARE(QList<qint64>(got.begin(), got.end()), ids);
}

void TestGpt2Bpe::trickyFileMatchesOpenAi()
{
    const auto expected = m_reference["file_ids"].get<std::vector<int64_t>>();
    QCOMPARE(m_tokenizer->encode(m_trickyText), expected);
    QCOMPARE(m_tokenizer->decode(expected), m_trickyText);
}

void TestGpt2Bpe::roundTrip_data()
{
    QTest::addColumn<QByteArray>("text");
    int index = 0;
    for (const auto& line : m_reference["lines"])
        QTest::addRow("line %d", ++index) << QByteArray::fromStdString(line["text"].get<std::string>());
    QTest::newRow("whole file") << QByteArray::fromStdString(m_trickyText);
    QTest::newRow("long run of spaces") << QByteArray(5000, ' ');
    QTest::newRow("long word") << QByteArray(3000, 'q');
}

void TestGpt2Bpe::roundTrip()
{
    QFETCH(QByteArray, text);
    QCOMPARE(m_tokenizer->decode(m_tokenizer->encode(text.toStdString())), text.toStdString());
}

void TestGpt2Bpe::invalidUtf8RoundTrips()
{
    // Stray continuation byte, truncated sequence, overlong '/', encoded surrogate, and a lone 0xFF.
    const std::string bytes = "a\x80" "b\xE4\xBD" " \xC0\xAF\xED\xA0\x80\xFF end";
    QCOMPARE(m_tokenizer->decode(m_tokenizer->encode(bytes)), bytes);
    const std::string all = [] { std::string s; for (int b = 0; b < 256; ++b) s.push_back(static_cast<char>(b)); return s; }();
    QCOMPARE(m_tokenizer->decode(m_tokenizer->encode(all)), all);
}

void TestGpt2Bpe::tokenizerJsonGivesSameIds_data()
{
    QTest::addColumn<bool>("mergesAsPairs");
    QTest::newRow("merges as strings") << false;
    QTest::newRow("merges as pairs") << true;
}

void TestGpt2Bpe::tokenizerJsonGivesSameIds()
{
    QFETCH(bool, mergesAsPairs);
    QTemporaryDir dir;
    const std::string path = dir.filePath("tokenizer.json").toStdString();
    std::ofstream(path, std::ios::binary) << tokenizerJsonFromOpenAiFiles(mergesAsPairs);
    const auto loaded = emo::text::loadTokenizer(dir.path().toStdString());
    QCOMPARE(loaded->kind(), std::string("gpt2-bpe"));
    QCOMPARE(loaded->vocabSize(), int64_t(50257));
    QCOMPARE(loaded->eosId(), int64_t(50256));
    QCOMPARE(loaded->decode({50256, 15496}), std::string("<|endoftext|>Hello"));
    QCOMPARE(loaded->encode(m_trickyText), m_reference["file_ids"].get<std::vector<int64_t>>());
}

void TestGpt2Bpe::loadTokenizerFromFolder()
{
    QTemporaryDir dir;
    QVERIFY(QFile::copy(QString::fromStdString(kEncoderJson), dir.filePath("vocab.json")));
    QVERIFY(QFile::copy(QString::fromStdString(kVocabBpe), dir.filePath("merges.txt")));
    const auto loaded = emo::text::loadTokenizer(dir.path().toStdString());
    QCOMPARE(loaded->vocabSize(), int64_t(50257));
    QCOMPARE(loaded->encode(m_trickyText), m_reference["file_ids"].get<std::vector<int64_t>>());
    emo::text::checkTokenizerFitsModel(*loaded, 50257, dir.path().toStdString());
    emo::text::checkTokenizerFitsModel(*loaded, 50304, dir.path().toStdString());
    QVERIFY_THROWS_EXCEPTION(emo::Error, emo::text::checkTokenizerFitsModel(*loaded, 50256, dir.path().toStdString()));
}

void TestGpt2Bpe::concurrentEncodingAgrees()
{
    // A fresh tokenizer (empty cache) shared by four threads, each encoding the lines in another order.
    const auto shared = Gpt2BpeTokenizer::fromVocabAndMerges(kEncoderJson, kVocabBpe);
    std::vector<std::string> lines;
    std::vector<std::vector<int64_t>> expected;
    for (const auto& line : m_reference["lines"]) {
        lines.push_back(line["text"].get<std::string>());
        expected.push_back(line["ids"].get<std::vector<int64_t>>());
    }
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int round = 0; round < 20; ++round)
                for (std::size_t k = 0; k < lines.size(); ++k) {
                    const std::size_t i = (k * (t + 1) + round) % lines.size();
                    if (shared->encode(lines[i]) != expected[i])
                        ++mismatches[t];
                }
        });
    for (auto& thread : threads)
        thread.join();
    QCOMPARE(mismatches, std::vector<int>(4, 0));
}

void TestGpt2Bpe::badFilesAreRejected_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("expected");
    const QString bytes = [] {
        // A valid byte-level vocabulary of the 256 byte symbols, as JSON members.
        const emo::text::ByteLevelAlphabet alphabet;
        nlohmann::json vocab;
        for (int i = 0; i < 256; ++i)
            vocab[alphabet.symbol(alphabet.bytesInOrder()[i])] = i;
        return QString::fromStdString(vocab.dump());
    }();
    const QString byteLevel = R"("pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false})";
    QTest::newRow("not json") << "{" << "not valid JSON";
    QTest::newRow("no model") << "{}" << "no \"model\"";
    QTest::newRow("wordpiece") << R"({"model": {"type": "WordPiece", "vocab": {}}})" << "WordPiece";
    QTest::newRow("metaspace") << QString(R"({"model": {"type": "BPE", "vocab": %1, "merges": []},
        "pre_tokenizer": {"type": "Metaspace"}})").arg(bytes) << "pre_tokenizer";
    QTest::newRow("missing byte") << QString(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, %1})").arg(byteLevel)
                                  << "byte 0x";
    QTest::newRow("merge out of vocabulary") << QString(R"({"model": {"type": "BPE", "vocab": %1, "merges": ["a b"]}, %2})")
                                                    .arg(bytes, byteLevel) << "not in the vocabulary";
    QTest::newRow("malformed merge") << QString(R"({"model": {"type": "BPE", "vocab": %1, "merges": ["ab"]}, %2})")
                                            .arg(bytes, byteLevel) << "merge";
    QTest::newRow("negative id") << QString(R"({"model": {"type": "BPE", "vocab": {"a": -3}, "merges": []}, %1})").arg(byteLevel)
                                 << "non-negative";
}

void TestGpt2Bpe::badFilesAreRejected()
{
    QFETCH(QString, json);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const std::string path = dir.filePath("tokenizer.json").toStdString();
    std::ofstream(path, std::ios::binary) << json.toStdString();
    try {
        Gpt2BpeTokenizer::fromTokenizerJson(path);
        QFAIL("accepted");
    } catch (const emo::Error& e) {
        QCOMPARE(e.kind(), emo::Error::Kind::BadInput);
        const std::string message = e.what();
        QVERIFY2(message.find(expected.toStdString()) != std::string::npos, e.what());
        QVERIFY2(message.find(path) != std::string::npos, e.what());
    }
}

void TestGpt2Bpe::decodeRejectsUnknownIds()
{
    QVERIFY_THROWS_EXCEPTION(emo::Error, m_tokenizer->decode({15496, 50257}));
    QVERIFY_THROWS_EXCEPTION(emo::Error, m_tokenizer->decode({-1}));
    QVERIFY_THROWS_EXCEPTION(emo::Error, m_tokenizer->piece(60000));
}

void TestGpt2Bpe::encodingSpeed()
{
    // Not a pass/fail threshold: a number for the report. 200 copies of tricky.txt, cold and warm cache.
    std::string big;
    for (int i = 0; i < 200; ++i)
        big += m_trickyText;
    const auto fresh = Gpt2BpeTokenizer::fromVocabAndMerges(kEncoderJson, kVocabBpe);
    const auto start = std::chrono::steady_clock::now();
    const auto ids = fresh->encode(big);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    qInfo("encoded %.2f MB into %zu ids in %.3f s (%.1f MB/s)", big.size() / 1e6, ids.size(), seconds,
          big.size() / 1e6 / seconds);
    QCOMPARE(fresh->decode(ids), big);
}

QTEST_GUILESS_MAIN(TestGpt2Bpe)
#include "tst_gpt2_bpe.moc"
