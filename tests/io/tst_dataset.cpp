#include "io/dataset.h"
#include "io/documents.h"
#include "text/document_blocks.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <fstream>

namespace {

// One id per byte; EOS (when enabled) is 256. Exact block contents follow from the text by hand.
class ByteTokenizer : public emo::text::Tokenizer {
public:
    explicit ByteTokenizer(bool withEos, bool withBos = false) : m_withEos(withEos), m_withBos(withBos) {}
    std::vector<int64_t> encode(const std::string& text) const override
    {
        std::vector<int64_t> ids;
        for (unsigned char c : text)
            ids.push_back(c);
        return ids;
    }
    std::string decode(const std::vector<int64_t>& ids) const override
    {
        std::string text;
        for (int64_t id : ids)
            if (id < 256)
                text += static_cast<char>(id);
        return text;
    }
    std::string piece(int64_t id) const override { return decode({id}); }
    int64_t pieceToId(const std::string& piece) const override
    {
        return piece.size() == 1 ? static_cast<unsigned char>(piece[0]) : -1;
    }
    int64_t vocabSize() const override { return 257; }
    int64_t bosId() const override { return m_withBos ? 255 : -1; }
    bool addsBos() const override { return m_withBos; }
    int64_t eosId() const override { return m_withEos ? 256 : -1; }
    int64_t padId() const override { return -1; }
    std::string kind() const override { return "bytes"; }

private:
    bool m_withEos;
    bool m_withBos;
};

torch::Tensor rows(const std::vector<std::vector<int64_t>>& values)
{
    std::vector<torch::Tensor> list;
    for (const auto& row : values)
        list.push_back(torch::tensor(row, torch::kInt64));
    return torch::stack(list);
}

} // namespace

class TestDataset : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    std::string writeFile(const std::string& name, const std::string& content) const
    {
        const std::string path = m_dir.filePath(QString::fromStdString(name)).toStdString();
        std::ofstream out(path, std::ios::binary);
        out << content;
        return path;
    }

    // Runs `body`, which must throw emo::Error of `kind` whose message holds every string of `mentions`.
    template <typename Body>
    static void expectError(Body body, emo::Error::Kind kind, const QStringList& mentions)
    {
        try {
            body();
            QFAIL("no error was thrown");
        } catch (const emo::Error& e) {
            QVERIFY2(e.kind() == kind, e.what());
            for (const auto& mention : mentions)
                QVERIFY2(QString::fromUtf8(e.what()).contains(mention),
                         qPrintable(QString("'%1' not in: %2").arg(mention, e.what())));
        }
    }

private Q_SLOTS:
    void readDocuments_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("content");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("txt blank-line separated")
            << "plain.txt" << "Hello world.\nSecond line.\n\n\n  \t\nNext doc\r\n\r\n\nThird"
            << QStringList{"Hello world.\nSecond line.", "Next doc", "Third"};
        QTest::newRow("txt single document") << "one.txt" << "\n\n  only one  \n" << QStringList{"only one"};
        QTest::newRow("txt equals signs that are no heading")
            << "math.txt" << "a = b = c\n\n== x ==\n" << QStringList{"a = b = c", "== x =="};
        QTest::newRow("jsonl") << "data.jsonl"
                               << "{\"text\": \"first\"}\n\n{\"text\": \"   \"}\n{\"id\": 3, \"text\": \"b\\nc \\u00e9\"}\r\n"
                               << QStringList{"first", "b\nc \u00e9"};
        QTest::newRow("jsonl upper-case extension") << "DATA.JSONL" << "{\"text\":\"x\"}" << QStringList{"x"};
        QTest::newRow("wikitext articles")
            << "wiki.train.raw"
            << " \n = Alpha = \n \n Alpha text one . \n \n = = Section = = \n \n More alpha . \n \n"
               " = Beta = \n \n Beta text . \n = = = Deep = = = \n Deep text . \n"
            << QStringList{"= Alpha = \n \n Alpha text one . \n \n = = Section = = \n \n More alpha .",
                           "= Beta = \n \n Beta text . \n = = = Deep = = = \n Deep text ."};
        QTest::newRow("wikitext with text before first heading")
            << "wiki2.txt" << "preface\n = Gamma = \n gamma body \n"
            << QStringList{"preface", "= Gamma = \n gamma body"};
    }
    void readDocuments()
    {
        QFETCH(QString, name);
        QFETCH(QString, content);
        QFETCH(QStringList, expected);
        const auto documents = emo::io::readDocuments(writeFile(name.toStdString(), content.toStdString()));
        QStringList got;
        for (const auto& d : documents)
            got << QString::fromStdString(d);
        QCOMPARE(got, expected);
    }

    void readErrors_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("content");
        QTest::addColumn<QStringList>("mentions");  // besides the file's path
        QTest::newRow("empty txt") << "empty.txt" << "" << QStringList{"no documents"};
        QTest::newRow("blank txt") << "blank.txt" << " \n\n\t\n" << QStringList{"no documents"};
        QTest::newRow("empty jsonl") << "empty.jsonl" << "\n\n" << QStringList{"no documents"};
        QTest::newRow("all-empty jsonl documents") << "void.jsonl" << "{\"text\":\"\"}\n{\"text\":\" \\n\"}\n"
                                                   << QStringList{"no documents"};
        QTest::newRow("bad jsonl line") << "bad.jsonl" << "{\"text\":\"a\"}\n\n{\"text\": oops}\n"
                                        << QStringList{"bad.jsonl:3:", "not valid JSON"};
        QTest::newRow("jsonl missing field") << "nofield.jsonl" << "{\"text\":\"a\"}\n{\"body\":\"b\"}\n"
                                             << QStringList{"nofield.jsonl:2:", "'text'"};
        QTest::newRow("jsonl text not a string") << "num.jsonl" << "{\"text\":5}\n"
                                                 << QStringList{"num.jsonl:1:", "'text'"};
        QTest::newRow("jsonl line not an object") << "arr.jsonl" << "[\"text\"]\n" << QStringList{"arr.jsonl:1:"};
    }
    void readErrors()
    {
        QFETCH(QString, name);
        QFETCH(QString, content);
        QFETCH(QStringList, mentions);
        const std::string path = writeFile(name.toStdString(), content.toStdString());
        expectError([&] { emo::io::readDocuments(path); }, emo::Error::Kind::BadInput,
                    mentions + QStringList{QString::fromStdString(path)});
    }

    // The data-set kind comes from the content: a WikiText file is one by its headings, whatever its name.
    void documentFormat_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("content");
        QTest::addColumn<QString>("format");
        QTest::newRow("wikitext by content") << "notes.txt" << " = Alpha = \n text \n" << "wikitext";
        QTest::newRow("wiki in the name, plain inside") << "wiki.txt" << "a = b = c\n\nplain" << "text";
        QTest::newRow("section heading alone is no article") << "s.txt" << " = = Section = = \n" << "text";
        QTest::newRow("jsonl by extension") << "x.JSONL" << " = Alpha = \n" << "jsonl";
    }
    void documentFormat()
    {
        QFETCH(QString, name);
        QFETCH(QString, content);
        QFETCH(QString, format);
        const auto path = writeFile(name.toStdString(), content.toStdString());
        QCOMPARE(QString::fromLatin1(emo::io::toString(emo::io::detectDocumentFormat(path))), format);
    }

    void readPrompts_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("content");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("lines") << "p.txt" << "First prompt\r\n\n  \nSecond prompt \n" << QStringList{"First prompt", "Second prompt "};
        QTest::newRow("jsonl text and prompt") << "p.jsonl"
                                               << "{\"text\": \"In 1905\"}\n\n{\"prompt\": \"A\\nB\", \"id\": 2}\n{\"text\": \" \"}\n"
                                               << QStringList{"In 1905", "A\nB"};
        QTest::newRow("json lines inside a txt") << "mixed.txt" << "plain one\n {\"prompt\": \"two\"}\n"
                                                 << QStringList{"plain one", "two"};
    }
    void readPrompts()
    {
        QFETCH(QString, name);
        QFETCH(QString, content);
        QFETCH(QStringList, expected);
        QStringList got;
        for (const auto& p : emo::io::readPrompts(writeFile(name.toStdString(), content.toStdString())))
            got << QString::fromStdString(p);
        QCOMPARE(got, expected);
    }

    void promptErrors_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("content");
        QTest::addColumn<QStringList>("mentions");  // besides the file's path
        QTest::newRow("empty") << "none.txt" << "\n \n" << QStringList{"no prompts"};
        QTest::newRow("no text field") << "bad.jsonl" << "{\"title\": \"x\"}\n" << QStringList{"bad.jsonl:1:", "'prompt'"};
        QTest::newRow("not json in jsonl") << "plain.jsonl" << "{\"text\": \"a\"}\nplain\n" << QStringList{"plain.jsonl:2:"};
        QTest::newRow("field not a string") << "num.txt" << "{\"prompt\": 3}\n" << QStringList{"num.txt:1:"};
    }
    void promptErrors()
    {
        QFETCH(QString, name);
        QFETCH(QString, content);
        QFETCH(QStringList, mentions);
        const std::string path = writeFile(name.toStdString(), content.toStdString());
        expectError([&] { emo::io::readPrompts(path); }, emo::Error::Kind::BadInput,
                    mentions + QStringList{QString::fromStdString(path)});
    }

    void missingFileNamesPath()
    {
        const std::string path = m_dir.filePath("absent.txt").toStdString();
        expectError([&] { emo::io::readDocuments(path); }, emo::Error::Kind::BadInput,
                    {QString::fromStdString(path)});
    }

    void blocksWithEos()
    {
        ByteTokenizer tokenizer(true);
        // a b EOS c d e EOS f EOS: 9 tokens.
        const std::vector<std::string> documents{"ab", "cde", "f"};
        QVERIFY(torch::equal(emo::text::tokenizeIntoBlocks(documents, tokenizer, 3),
                             rows({{97, 98, 256}, {99, 100, 101}, {256, 102, 256}})));
        // Block of 4: the last token is dropped.
        QVERIFY(torch::equal(emo::text::tokenizeIntoBlocks(documents, tokenizer, 4),
                             rows({{97, 98, 256, 99}, {100, 101, 256, 102}})));
        torch::Tensor nine = emo::text::tokenizeIntoBlocks(documents, tokenizer, 9);
        QCOMPARE(nine.sizes().vec(), (std::vector<int64_t>{1, 9}));
        QCOMPARE(nine.scalar_type(), torch::kInt64);
    }

    void blocksWithBosAndEos()
    {
        // A BOS-first family (LLaMA): BOS a b EOS BOS c EOS = 7 tokens.
        ByteTokenizer tokenizer(true, true);
        QVERIFY(torch::equal(emo::text::tokenizeIntoBlocks({"ab", "c"}, tokenizer, 7),
                             rows({{255, 97, 98, 256, 255, 99, 256}})));
    }

    void blocksWithoutEos()
    {
        ByteTokenizer tokenizer(false);
        QVERIFY(torch::equal(emo::text::tokenizeIntoBlocks({"ab", "cde"}, tokenizer, 2), rows({{97, 98}, {99, 100}})));
    }

    void fileToBlocks()
    {
        ByteTokenizer tokenizer(true);
        const auto documents = emo::io::readDocuments(writeFile("tiny.txt", "xy\n\nz\n"));
        QVERIFY(torch::equal(emo::text::tokenizeIntoBlocks(documents, tokenizer, 5),
                             rows({{'x', 'y', 256, 'z', 256}})));
    }

    void blockErrors()
    {
        ByteTokenizer tokenizer(true);
        // "abc" + EOS = 4 tokens < 5.
        expectError([&] { emo::text::tokenizeIntoBlocks({"abc"}, tokenizer, 5); }, emo::Error::Kind::BadInput,
                    {"4 tokens", "5"});
        expectError([&] { emo::text::tokenizeIntoBlocks({}, tokenizer, 1); }, emo::Error::Kind::BadInput, {"0 tokens"});
        expectError([&] { emo::text::tokenizeIntoBlocks({"abc"}, tokenizer, 0); }, emo::Error::Kind::BadInput,
                    {"block size"});
    }

    void progressAndCancel()
    {
        ByteTokenizer tokenizer(true);
        const std::vector<std::string> documents{"a", "b", "c", "d"};
        std::vector<emo::Progress> seen;
        emo::text::tokenizeIntoBlocks(documents, tokenizer, 2, [&](const emo::Progress& p) {
            seen.push_back(p);
            return true;
        });
        QVERIFY(seen.size() >= 2);
        for (const auto& p : seen)
            QCOMPARE(p.total, int64_t(4));
        QCOMPARE(seen.back().done, int64_t(4));
        for (std::size_t i = 1; i < seen.size(); ++i)
            QVERIFY(seen[i].done >= seen[i - 1].done);

        int calls = 0;
        expectError([&] {
            emo::text::tokenizeIntoBlocks(documents, tokenizer, 2, [&](const emo::Progress&) { return ++calls < 2; });
        }, emo::Error::Kind::Cancelled, {});
        QCOMPARE(calls, 2);  // stopped at the first false
    }

    void splitSizes_data()
    {
        QTest::addColumn<int>("numBlocks");
        QTest::addColumn<double>("fraction");
        QTest::addColumn<int>("expectedValidation");
        QTest::newRow("10 x 0.2") << 10 << 0.2 << 2;
        QTest::newRow("10 x 0.25 rounds half up") << 10 << 0.25 << 3;
        QTest::newRow("10 x 0.01 at least one") << 10 << 0.01 << 1;
        QTest::newRow("2 x 0.9 keeps one for training") << 2 << 0.9 << 1;
        QTest::newRow("1000 x 0.05") << 1000 << 0.05 << 50;
    }
    void splitSizes()
    {
        QFETCH(int, numBlocks);
        QFETCH(double, fraction);
        QFETCH(int, expectedValidation);
        const int64_t T = 3;
        // Row r holds r*T .. r*T+T-1, so every row tells where it came from.
        torch::Tensor blocks = torch::arange(numBlocks * T, torch::kInt64).reshape({numBlocks, T});
        auto split = emo::io::splitBlocks(blocks, fraction, 7);
        QCOMPARE(split.validation.size(0), int64_t(expectedValidation));
        QCOMPARE(split.train.size(0), int64_t(numBlocks - expectedValidation));
        QCOMPARE(split.train.size(1), T);
        torch::Tensor both = torch::cat({split.train, split.validation});
        // Rows intact, each block exactly once.
        QVERIFY(torch::equal(both.select(1, 0) + 1, both.select(1, 1)));
        QVERIFY(torch::equal(both.select(1, 0) + 2, both.select(1, 2)));
        QVERIFY(torch::equal(std::get<0>(both.select(1, 0).sort()), torch::arange(numBlocks, torch::kInt64) * T));
        // Each part keeps the original order.
        for (const auto& part : {split.train, split.validation}) {
            torch::Tensor first = part.select(1, 0);
            if (first.numel() > 1)
                QVERIFY((first.slice(0, 1) > first.slice(0, 0, -1)).all().item<bool>());
        }
    }

    void splitIsDeterministicPerSeed()
    {
        torch::Tensor blocks = torch::arange(200, torch::kInt64).reshape({100, 2});
        auto a = emo::io::splitBlocks(blocks, 0.1, 1234);
        auto b = emo::io::splitBlocks(blocks, 0.1, 1234);
        QVERIFY(torch::equal(a.validation, b.validation));
        QVERIFY(torch::equal(a.train, b.train));
        // Other seeds choose other blocks (10 of 100: equal sets by chance have probability ~1e-13).
        int differ = 0;
        for (uint64_t seed : {1ull, 2ull, 3ull})
            differ += !torch::equal(emo::io::splitBlocks(blocks, 0.1, seed).validation, a.validation);
        QCOMPARE(differ, 3);
        // Not simply the first or last rows.
        QVERIFY(!torch::equal(a.validation, blocks.slice(0, 0, 10)));
        QVERIFY(!torch::equal(a.validation, blocks.slice(0, 90, 100)));
    }

    void splitErrors()
    {
        torch::Tensor two = torch::zeros({2, 4}, torch::kInt64);
        expectError([&] { emo::io::splitBlocks(torch::zeros({1, 4}, torch::kInt64), 0.5, 1); },
                    emo::Error::Kind::BadInput, {"2 blocks"});
        expectError([&] { emo::io::splitBlocks(torch::zeros({4}, torch::kInt64), 0.5, 1); },
                    emo::Error::Kind::BadInput, {"[N, T]"});
        for (double bad : {0.0, 1.0, -0.1, std::nan("")})
            expectError([&] { emo::io::splitBlocks(two, bad, 1); }, emo::Error::Kind::BadInput, {"fraction"});
    }
};

QTEST_GUILESS_MAIN(TestDataset)
#include "tst_dataset.moc"
