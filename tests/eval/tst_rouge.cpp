// ROUGE-1 / ROUGE-L and the Porter stemmer: hand-computed cases, the classic stemming examples, and every
// word and pair of tests/data/eval/rouge_reference.json (rouge-score's logic with NLTK's PorterStemmer,
// computed by make_rouge_reference.py).
#include "eval/porter_stemmer.h"
#include "eval/rouge.h"
#include "util/error.h"

#include "support/test_paths.h"

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace emo::eval;

namespace {

nlohmann::json loadReference()
{
    std::ifstream in(emo::test::dataPath("eval/rouge_reference.json"));
    if (!in)
        throw std::runtime_error("cannot open eval/rouge_reference.json");
    return nlohmann::json::parse(in);
}

QStringList toQt(const std::vector<std::string>& tokens)
{
    QStringList out;
    for (const auto& t : tokens)
        out << QString::fromStdString(t);
    return out;
}

} // namespace

class TestRouge : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tokenizer_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("stem");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("punctuation") << "Hello, World! It's 2023." << false
                                     << QStringList{"hello", "world", "it", "s", "2023"};
        QTest::newRow("underscore and tabs") << "a_b\tc\n\nd" << false << QStringList{"a", "b", "c", "d"};
        QTest::newRow("non-ascii separates") << QString::fromUtf8("café déjà") << false
                                             << QStringList{"caf", "d", "j"};
        QTest::newRow("dotted capital I") << QString::fromUtf8("İstanbul") << false << QStringList{"i", "stanbul"};
        QTest::newRow("kelvin sign") << QString::fromUtf8("300\u212A") << false << QStringList{"300k"};
        QTest::newRow("empty") << "" << false << QStringList{};
        QTest::newRow("only separators") << " ...!? " << true << QStringList{};
        // Tokens of ≤ 3 characters are never stemmed ("was" would stem to "wa").
        QTest::newRow("stem long tokens only") << "Running was ponies" << true
                                               << QStringList{"run", "was", "poni"};
    }
    void tokenizer()
    {
        QFETCH(QString, text);
        QFETCH(bool, stem);
        QFETCH(QStringList, expected);
        QCOMPARE(toQt(rougeTokenize(text.toStdString(), stem)), expected);
    }

    void classicStems_data()
    {
        QTest::addColumn<QString>("word");
        QTest::addColumn<QString>("stem");
        // Porter (1980)'s own examples, with NLTK's departures where they differ ("ties" → "tie").
        const char* pairs[][2] = {
            {"caresses", "caress"}, {"ponies", "poni"},     {"ties", "tie"},         {"caress", "caress"},
            {"cats", "cat"},        {"feed", "feed"},       {"agreed", "agre"},      {"plastered", "plaster"},
            {"bled", "bled"},       {"motoring", "motor"},  {"sing", "sing"},        {"conflated", "conflat"},
            {"troubled", "troubl"}, {"sized", "size"},      {"hopping", "hop"},      {"tanned", "tan"},
            {"falling", "fall"},    {"hissing", "hiss"},    {"fizzed", "fizz"},      {"failing", "fail"},
            {"filing", "file"},     {"happy", "happi"},     {"sky", "sky"},          {"relational", "relat"},
            {"conditional", "condit"}, {"rational", "ration"}, {"running", "run"},   {"was", "wa"},
            {"generalizations", "gener"}, {"oscillators", "oscil"}, {"dying", "die"}, {"skies", "sky"},
            {"enjoy", "enjoy"},     {"hopefulness", "hope"}, {"adoption", "adopt"},  {"controll", "control"},
            {"roll", "roll"},       {"is", "is"},            {"news", "news"},       {"proceed", "proceed"},
        };
        for (const auto& p : pairs)
            QTest::newRow(p[0]) << QString(p[0]) << QString(p[1]);
    }
    void classicStems()
    {
        QFETCH(QString, word);
        QFETCH(QString, stem);
        QCOMPARE(QString::fromStdString(PorterStemmer().stem(word.toStdString())), stem);
    }

    // Every word of the reference vocabulary (≈1,200 words) stems as NLTK's PorterStemmer does.
    void stemsMatchNltk()
    {
        const auto reference = loadReference();
        const PorterStemmer stemmer;
        int mismatches = 0;
        for (const auto& [word, expected] : reference.at("stems").items()) {
            const std::string got = stemmer.stem(word);
            if (got != expected.get<std::string>()) {
                if (++mismatches <= 10)
                    qWarning("stem(%s) = %s, NLTK %s", word.c_str(), got.c_str(),
                             expected.get<std::string>().c_str());
            }
        }
        QVERIFY(reference.at("stems").size() > 1000);
        QCOMPARE(mismatches, 0);
    }

    void handComputed_data()
    {
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("prediction");
        QTest::addColumn<bool>("stem");
        QTest::addColumn<double>("r1p");
        QTest::addColumn<double>("r1r");
        QTest::addColumn<double>("lp");
        QTest::addColumn<double>("lr");
        // target 9 tokens, prediction 8; common unigrams the×2 quick brown jumps dog = 6 → P 6/8, R 6/9;
        // LCS "the quick brown jumps the" = 5 → P 5/8, R 5/9.
        QTest::newRow("fox") << "The quick brown fox jumps over the lazy dog" << "The quick brown dog jumps on the log."
                             << false << 6.0 / 8 << 6.0 / 9 << 5.0 / 8 << 5.0 / 9;
        // 6 vs 7 tokens; common the×2 cat on mat = 5; LCS "the cat on the mat" = 5.
        QTest::newRow("cat") << "the cat sat on the mat" << "the cat was sitting on the mat" << false
                             << 5.0 / 7 << 5.0 / 6 << 5.0 / 7 << 5.0 / 6;
        // clipped counts: min(4, 2) = 2 → P 2/2, R 2/4; LCS 2.
        QTest::newRow("clipped") << "the the the the" << "the the" << false << 1.0 << 0.5 << 1.0 << 0.5;
        // same bag, reversed order: unigrams 6/6, LCS 1.
        QTest::newRow("reversed") << "a b c d e f" << "f e d c b a" << false << 1.0 << 1.0 << 1.0 / 6 << 1.0 / 6;
        // stemming: "running runs" → run run; "Run, ran!" → run ran ("ran" has 3 letters, so it is not
        // stemmed): 1 common unigram of 2 each side → P = R = 1/2; LCS 1.
        QTest::newRow("stemmed") << "running runs" << "Run, ran!" << true << 0.5 << 0.5 << 0.5 << 0.5;
        // without stemming nothing matches.
        QTest::newRow("unstemmed") << "running runs" << "Run, ran!" << false << 0.0 << 0.0 << 0.0 << 0.0;
        // three stemmed tokens each side: run run run vs run run ran → 2 common, LCS 2.
        QTest::newRow("stemmed repeats") << "running runs run" << "RUNNING, runs; ran" << true
                                         << 2.0 / 3 << 2.0 / 3 << 2.0 / 3 << 2.0 / 3;
        QTest::newRow("empty target") << "" << "some words" << false << 0.0 << 0.0 << 0.0 << 0.0;
        QTest::newRow("empty prediction") << "some words" << "" << false << 0.0 << 0.0 << 0.0 << 0.0;
        QTest::newRow("both empty") << "" << "" << true << 0.0 << 0.0 << 0.0 << 0.0;
    }
    void handComputed()
    {
        QFETCH(QString, target);
        QFETCH(QString, prediction);
        QFETCH(bool, stem);
        QFETCH(double, r1p);
        QFETCH(double, r1r);
        QFETCH(double, lp);
        QFETCH(double, lr);
        const auto f = [](double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; };
        const RougeScores s = scoreRouge(target.toStdString(), prediction.toStdString(), stem);
        QCOMPARE(s.rouge1.precision, r1p);
        QCOMPARE(s.rouge1.recall, r1r);
        QCOMPARE(s.rouge1.fmeasure, f(r1p, r1r));
        QCOMPARE(s.rougeL.precision, lp);
        QCOMPARE(s.rougeL.recall, lr);
        QCOMPARE(s.rougeL.fmeasure, f(lp, lr));
    }

    // F of the fox case written out: 2·(3/4)(2/3)/(3/4 + 2/3) = 12/17, and ROUGE-L 2·(5/8)(5/9)/(85/72) = 10/17.
    void foxFMeasure()
    {
        const RougeScores s = scoreRouge("The quick brown fox jumps over the lazy dog",
                                         "The quick brown dog jumps on the log.", false);
        QVERIFY(std::abs(s.rouge1.fmeasure - 12.0 / 17.0) < 1e-15);
        QVERIFY(std::abs(s.rougeL.fmeasure - 10.0 / 17.0) < 1e-15);
    }

    void pairsMatchReference()
    {
        const auto reference = loadReference();
        int checked = 0;
        for (const auto& pair : reference.at("pairs")) {
            const RougeScores s = scoreRouge(pair.at("target").get<std::string>(),
                                             pair.at("prediction").get<std::string>(), pair.at("stem").get<bool>());
            const auto& r1 = pair.at("rouge1");
            const auto& rl = pair.at("rougeL");
            const double got[6] = {s.rouge1.precision, s.rouge1.recall, s.rouge1.fmeasure,
                                   s.rougeL.precision, s.rougeL.recall, s.rougeL.fmeasure};
            const double want[6] = {r1[0], r1[1], r1[2], rl[0], rl[1], rl[2]};
            for (int i = 0; i < 6; ++i) {
                if (std::abs(got[i] - want[i]) > 1e-12)
                    QFAIL(qPrintable(QString("pair %1 (\"%2\" / \"%3\", stem %4) field %5: %6 vs %7")
                                         .arg(checked).arg(QString::fromStdString(pair.at("target")))
                                         .arg(QString::fromStdString(pair.at("prediction")))
                                         .arg(pair.at("stem").get<bool>()).arg(i).arg(got[i]).arg(want[i])));
            }
            ++checked;
        }
        QVERIFY(checked >= 100);
    }

    void meanOverPairs()
    {
        const RougeScores a = scoreRouge("the cat sat", "the cat", false);
        const RougeScores b = scoreRouge("a b c d", "d c b a", false);
        const RougeScores m = meanRouge({"the cat sat", "a b c d"}, {"the cat", "d c b a"}, false);
        QCOMPARE(m.rouge1.fmeasure, (a.rouge1.fmeasure + b.rouge1.fmeasure) / 2);
        QCOMPARE(m.rougeL.recall, (a.rougeL.recall + b.rougeL.recall) / 2);
        QVERIFY_THROWS_EXCEPTION(emo::Error, meanRouge({"x"}, {}, false));
    }
};

QTEST_GUILESS_MAIN(TestRouge)
#include "tst_rouge.moc"
