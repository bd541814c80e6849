// Every reader harness over its committed corpus (seeds and the inputs fuzzing once found), then a fixed
// number of deterministic mutations of it: each input must be read or refused with emo::Error, within a
// second. The libFuzzer runs (packaging/fuzz.sh) search far wider; this keeps what they found fixed.
#include "fuzz/input_mutator.h"
#include "fuzz/reader_harnesses.h"
#include "support/test_paths.h"

#include <QtTest/QtTest>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using emo::fuzz::HarnessOutcome;

namespace {

std::string readBytes(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::pair<std::string, std::string>> corpus(const std::string& name)  // (file, bytes)
{
    std::vector<std::pair<std::string, std::string>> inputs;
    const fs::path folder = emo::test::dataPath("fuzz/" + name);
    if (!fs::is_directory(folder))
        return inputs;
    for (const auto& entry : fs::recursive_directory_iterator(folder))
        if (entry.is_regular_file())
            inputs.emplace_back(fs::relative(entry.path(), folder).string(), readBytes(entry.path()));
    std::sort(inputs.begin(), inputs.end());
    return inputs;
}

uint64_t fnv1a(const std::string& text)  // the mutator's seed: the same on every machine
{
    uint64_t hash = 1469598103934665603ULL;
    for (unsigned char c : text)
        hash = (hash ^ c) * 1099511628211ULL;
    return hash;
}

int mutationsPerHarness()
{
    bool ok = false;
    const int n = qEnvironmentVariableIntValue("EMO_FUZZ_MUTATIONS", &ok);
    return ok ? n : 400;
}

} // namespace

class TestFuzzCorpus : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    // Runs one input, written first beside the test output so that a crash leaves it there to reproduce.
    void check(const emo::fuzz::ReaderHarness& harness, const std::string& bytes, const QString& what)
    {
        const std::string kept = emo::test::outputDir() + "/fuzz-" + harness.name + "-last-input.bin";
        std::ofstream(kept, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
        const auto start = std::chrono::steady_clock::now();
        const HarnessOutcome outcome = emo::fuzz::runHarness(harness, bytes, m_dir.filePath("scratch").toStdString());
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (outcome.kind != HarnessOutcome::Kind::Escaped && seconds <= 1.0)
            return;
        QFAIL(qPrintable(QString("%1 %2: %3 (the input is %4)")
                             .arg(harness.name, what,
                                  outcome.kind == HarnessOutcome::Kind::Escaped
                                      ? QString::fromStdString(outcome.detail)
                                      : QString("took %1 s, more than 1 s").arg(seconds),
                                  QString::fromStdString(kept))));
    }

private Q_SLOTS:
    void corpusAndMutations_data()
    {
        QTest::addColumn<QString>("name");
        for (const auto& harness : emo::fuzz::readerHarnesses())
            QTest::newRow(harness.name) << QString(harness.name);
    }

    void corpusAndMutations()
    {
        QFETCH(QString, name);
        const auto* harness = emo::fuzz::findHarness(name.toStdString());
        QVERIFY(harness);
        const auto inputs = corpus(harness->name);
        QVERIFY2(!inputs.empty(), qPrintable("no corpus in tests/data/fuzz/" + name));

        int accepted = 0;
        for (const auto& [file, bytes] : inputs) {
            check(*harness, bytes, QString::fromStdString("corpus file " + file));
            if (QTest::currentTestFailed())
                return;  // the input stays in the output folder
            accepted += emo::fuzz::runHarness(*harness, bytes, m_dir.filePath("scratch").toStdString()).kind ==
                        HarnessOutcome::Kind::Accepted;
        }
        // A corpus of refusals only would never reach the code after the checks.
        QVERIFY2(accepted > 0, "no corpus file is accepted by the reader");

        emo::fuzz::InputMutator mutator(
            fnv1a(harness->name),
            emo::fuzz::InputMutator::readDictionary(emo::test::dataPath("fuzz/" + name.toStdString() + ".dict")));
        const int mutations = mutationsPerHarness();
        for (int i = 0; i < mutations; ++i) {
            const auto& base = inputs[std::size_t(i) % inputs.size()].second;
            const auto& other = inputs[std::size_t(i * 7 + 3) % inputs.size()].second;
            check(*harness, mutator.mutate(base, other), QString("mutation %1").arg(i));
            if (QTest::currentTestFailed())
                return;
        }
        qInfo("%s: %zu corpus files (%d read), %d mutations", harness->name, inputs.size(), accepted, mutations);
    }
};

QTEST_GUILESS_MAIN(TestFuzzCorpus)
#include "tst_fuzz_corpus.moc"
