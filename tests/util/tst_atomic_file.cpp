#include "util/atomic_file.h"
#include "util/error.h"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sys/resource.h>

namespace {

std::string readBytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void writeBytesDirectly(const std::string& path, const std::string& bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Bytes that are not all alike, so a partial or shifted copy cannot compare equal.
std::string patternBytes(std::size_t size, unsigned seed)
{
    std::string bytes(size, '\0');
    uint32_t state = seed;
    for (auto& b : bytes) {
        state = state * 1664525u + 1013904223u;
        b = static_cast<char>(state >> 24);
    }
    return bytes;
}

// Simulates a full disk: writes past `bytes` fail with EFBIG (SIGXFSZ ignored, so the process lives).
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes)
    {
        getrlimit(RLIMIT_FSIZE, &m_saved);
        m_savedHandler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limited = m_saved;
        limited.rlim_cur = bytes;
        m_active = setrlimit(RLIMIT_FSIZE, &limited) == 0;
    }
    ~FileSizeLimit()
    {
        setrlimit(RLIMIT_FSIZE, &m_saved);
        std::signal(SIGXFSZ, m_savedHandler);
    }
    bool active() const { return m_active; }

private:
    rlimit m_saved{};
    void (*m_savedHandler)(int) = nullptr;
    bool m_active = false;
};

} // namespace

class TestAtomicFile : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_root;
    int m_case = 0;
    std::string m_dir;  // a fresh, empty folder per test function

    std::vector<std::string> entries() const
    {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(m_dir))
            names.push_back(entry.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }

private Q_SLOTS:
    void init()
    {
        m_dir = m_root.filePath(QString("case%1").arg(++m_case)).toStdString();
        std::filesystem::create_directories(m_dir);
    }

    void replacesAtomically()
    {
        const std::string path = m_dir + "/model.bin";
        const std::string oldBytes = patternBytes(5000, 1), newBytes = patternBytes(70000, 2);
        writeBytesDirectly(path, oldBytes);
        bool sawOldWhileWriting = false;
        emo::util::writeFileAtomically(path, [&](const emo::util::ByteSink& sink) {
            sink(newBytes.data(), 1000);
            // Halfway through, a reader still sees the complete old file, not a mix.
            sawOldWhileWriting = readBytes(path) == oldBytes;
            sink(newBytes.data() + 1000, newBytes.size() - 1000);
        });
        QVERIFY(sawOldWhileWriting);
        QVERIFY(readBytes(path) == newBytes);
        QCOMPARE(entries(), std::vector<std::string>{"model.bin"});
    }

    void createsMissingFileAndRoundTripsText()
    {
        const std::string path = m_dir + "/run.json";
        const std::string text("{\"a\": 1}\n\0binary\xff", 17);
        emo::util::writeTextFileAtomically(path, text);
        QVERIFY(emo::util::readTextFile(path) == text);
        emo::util::writeTextFileAtomically(path, "");
        QCOMPARE(emo::util::readTextFile(path), std::string());
        QCOMPARE(entries(), std::vector<std::string>{"run.json"});
    }

    void failingWriterKeepsPreviousFile()
    {
        const std::string path = m_dir + "/config.json";
        const std::string oldBytes = patternBytes(3000, 3);
        writeBytesDirectly(path, oldBytes);
        bool threw = false;
        try {
            emo::util::writeFileAtomically(path, [&](const emo::util::ByteSink& sink) {
                const std::string partial = patternBytes(2000, 4);
                sink(partial.data(), partial.size());
                throw std::runtime_error("writer failed midway");
            });
        } catch (const std::exception& e) {
            threw = true;
            QVERIFY2(QString(e.what()).contains("writer failed midway"), e.what());
        }
        QVERIFY(threw);
        QVERIFY(readBytes(path) == oldBytes);
        QCOMPARE(entries(), std::vector<std::string>{"config.json"});
    }

    void fullDiskKeepsPreviousFile()
    {
        const std::string path = m_dir + "/model.safetensors";
        const std::string oldBytes = patternBytes(20000, 5);
        writeBytesDirectly(path, oldBytes);
        const std::string newBytes = patternBytes(1 << 20, 6);
        bool threw = false;
        {
            FileSizeLimit limit(8192);
            QVERIFY(limit.active());
            try {
                emo::util::writeFileAtomically(path, [&](const emo::util::ByteSink& sink) {
                    for (std::size_t at = 0; at < newBytes.size(); at += 4096)
                        sink(newBytes.data() + at, 4096);
                });
            } catch (const emo::Error& e) {
                threw = true;
                QCOMPARE(e.kind(), emo::Error::Kind::Runtime);
                QVERIFY2(QString(e.what()).contains(QString::fromStdString(path)), e.what());
                QVERIFY2(QString(e.what()).contains(std::strerror(EFBIG)), e.what());
            }
        }
        QVERIFY(threw);
        QCOMPARE(readBytes(path).size(), oldBytes.size());
        QVERIFY(readBytes(path) == oldBytes);
        QCOMPARE(entries(), std::vector<std::string>{"model.safetensors"});
        // With the limit gone the same write succeeds: the failure was the simulated full disk.
        emo::util::writeFileAtomically(path, [&](const emo::util::ByteSink& sink) { sink(newBytes.data(), newBytes.size()); });
        QVERIFY(readBytes(path) == newBytes);
    }

    void missingFolderNamesPath()
    {
        const std::string path = m_dir + "/no/such/folder/file.txt";
        try {
            emo::util::writeTextFileAtomically(path, "x");
            QFAIL("wrote into a missing folder");
        } catch (const emo::Error& e) {
            QCOMPARE(e.kind(), emo::Error::Kind::Runtime);
            QVERIFY2(QString(e.what()).contains(QString::fromStdString(path)), e.what());
        }
    }

    void readingMissingFileIsBadInputNamingPath()
    {
        const std::string path = m_dir + "/missing.json";
        try {
            emo::util::readTextFile(path);
            QFAIL("read a missing file");
        } catch (const emo::Error& e) {
            QCOMPARE(e.kind(), emo::Error::Kind::BadInput);
            QVERIFY2(QString(e.what()).contains(QString::fromStdString(path)), e.what());
        }
        // A folder is not a readable file either.
        QVERIFY_EXCEPTION_THROWN(emo::util::readTextFile(m_dir), emo::Error);
    }
};

QTEST_GUILESS_MAIN(TestAtomicFile)
#include "tst_atomic_file.moc"
