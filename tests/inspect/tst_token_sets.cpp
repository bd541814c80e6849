// The cost matrix's token sets and the transport at a token (core/inspect), on a tiny model with its
// byte-level tokenizer, against what each must hold by definition: ids taken from the report or the
// tokenizer directly, q renormalised by hand, DEMD and the exact plan's cost summed here from the cost
// matrix (equal when the target is one-hot), and one clear message for each bad input.
#include "inspect/inspector.h"
#include "inspect/token_sets.h"
#include "inspect/token_transport.h"
#include "model/model_folder.h"
#include "support/tiny_models.h"
#include "util/error.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <set>

using namespace emo;
using inspect::TokenSetSource;

class TestTokenSets : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    model::ModelFolder m_folder;
    std::unique_ptr<inspect::Inspector> m_inspector;
    inspect::InspectReport m_report;

    // The message of the emo::Error(BadInput) `body` throws.
    template <typename Body>
    static QString badInput(Body body)
    {
        try {
            body();
        } catch (const Error& e) {
            if (e.kind() == Error::Kind::BadInput)
                return QString::fromUtf8(e.what());
        }
        return QStringLiteral("<no bad-input error>");
    }

private Q_SLOTS:
    void initTestCase()
    {
        const std::string folder = test::writeTinyModel(m_dir.path().toStdString() + "/m", "gpt2", true, 31);
        m_folder = model::loadModelFolder(folder);
        m_inspector = std::make_unique<inspect::Inspector>(*m_folder.model, m_folder.tokenizer.get());
        inspect::InspectSettings settings;
        settings.topK = 4;
        settings.objectives.clear();
        m_report = m_inspector->inspect("the cat sat on the mat", settings);
        QVERIFY(m_report.tokens.size() >= 4);
    }

    void topKAtPosition()
    {
        const auto& token = m_report.tokens[2];
        const auto ids = inspect::tokenSet(*m_inspector, {TokenSetSource::TopKAtPosition, " 2 ", 3}, m_report);
        QCOMPARE(int(ids.size()), 3);
        QCOMPARE(ids[0], token.id);  // the gold token first, then the most probable others in order
        std::vector<int64_t> others;
        for (const auto& c : token.topk)
            if (c.id != token.id)
                others.push_back(c.id);
        QCOMPARE(ids[1], others[0]);
        QCOMPARE(ids[2], others[1]);
        // At least two tokens whatever count says.
        QCOMPARE(int(inspect::tokenSet(*m_inspector, {TokenSetSource::TopKAtPosition, "0", 0}, m_report).size()), 2);
    }

    void wordListAndNeighbours()
    {
        const int64_t cat = inspect::firstTokenOfWord(*m_inspector, "cat");
        const int64_t dog = inspect::firstTokenOfWord(*m_inspector, " dog ");
        QCOMPARE(cat, m_folder.tokenizer->encode(" cat").front());
        QVERIFY(cat != dog);
        const auto words = inspect::tokenSet(*m_inspector, {TokenSetSource::WordList, "cat, dog  cat", 0}, m_report);
        QCOMPARE(words, std::vector<int64_t>({cat, dog}));  // a repeated word once

        const auto near = inspect::tokenSet(*m_inspector, {TokenSetSource::NearestNeighbours, "cat", 3}, m_report);
        QCOMPARE(int(near.size()), 4);
        QCOMPARE(near[0], cat);
        const auto neighbours = m_inspector->nearestNeighbours(cat, 3);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(near[size_t(i) + 1], neighbours[size_t(i)].id);
    }

    void badInputs_data()
    {
        QTest::addColumn<int>("source");
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("withReport");
        QTest::addColumn<QString>("message");
        const QString range = QStringLiteral("position must be 0..%1").arg(m_report.tokens.size() - 1);
        QTest::newRow("no text inspected") << int(TokenSetSource::TopKAtPosition) << "1" << false << "inspect a text first";
        QTest::newRow("position past the end") << int(TokenSetSource::TopKAtPosition) << "99" << true << range;
        QTest::newRow("position not a number") << int(TokenSetSource::TopKAtPosition) << "x1" << true << range;
        QTest::newRow("negative position") << int(TokenSetSource::TopKAtPosition) << "-1" << true << range;
        QTest::newRow("huge position") << int(TokenSetSource::TopKAtPosition) << "99999999999999999999" << true << range;
        QTest::newRow("one word") << int(TokenSetSource::WordList) << "cat, cat" << true << "at least two different words";
        QTest::newRow("no word") << int(TokenSetSource::WordList) << " , " << true << "at least two different words";
    }
    void badInputs()
    {
        QFETCH(int, source);
        QFETCH(QString, text);
        QFETCH(bool, withReport);
        QFETCH(QString, message);
        const inspect::InspectReport none;
        const QString got = badInput([&] {
            inspect::tokenSet(*m_inspector, {TokenSetSource(source), text.toStdString(), 3}, withReport ? m_report : none);
        });
        QVERIFY2(got.contains(message), qPrintable(got));
    }

    void transportAtToken()
    {
        for (int64_t t = 0; t < int64_t(m_report.tokens.size()); ++t) {
            const auto& token = m_report.tokens[size_t(t)];
            const auto r = inspect::transportAtToken(*m_inspector, m_report, t);
            // The support: the top-k, and the gold token after them when it is not among them.
            std::vector<int64_t> support;
            double total = 0.0;
            for (const auto& c : token.topk) {
                support.push_back(c.id);
                total += c.p;
            }
            if (std::find(support.begin(), support.end(), token.id) == support.end()) {
                support.push_back(token.id);
                total += token.pGold;
            }
            QCOMPARE(r.costs.ids, support);
            const size_t n = support.size();
            double demd = 0.0;
            size_t gold = n;
            for (size_t i = 0; i < n; ++i) {
                const double p = i < token.topk.size() ? token.topk[i].p : token.pGold;
                QVERIFY(std::fabs(r.source[i] - p / total) < 1e-12);
                QCOMPARE(r.target[i], support[i] == token.id ? 1.0 : 0.0);
                if (support[i] == token.id)
                    gold = i;
            }
            for (size_t i = 0; i < n; ++i)
                demd += r.source[i] * r.costs.at(i, gold);
            QVERIFY(std::fabs(r.demd - demd) < 1e-12);
            // A one-hot target leaves one plan: every unit of q moves to the gold token, so EMD = DEMD.
            QVERIFY2(std::fabs(r.plan.totalCost - demd) < 1e-9, qPrintable(QString::number(r.plan.totalCost - demd)));
            QVERIFY(QString::fromStdString(r.targetLabel).contains(QString::fromStdString(token.text)));
        }
        const QString past = badInput([&] { inspect::transportAtToken(*m_inspector, m_report, int64_t(m_report.tokens.size())); });
        QVERIFY2(past.contains("pick one of its tokens"), qPrintable(past));
    }
};

QTEST_GUILESS_MAIN(TestTokenSets)
#include "tst_token_sets.moc"
