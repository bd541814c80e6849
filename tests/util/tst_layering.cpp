// The layer rules as a test: no file under widgets/ includes a torch, ATen or c10 header (libemowidgets does
// not link torch; today only <torch/torch.h> would fail to compile there, <ATen/…> and <c10/…> would not),
// and no file under core/ includes a Qt header (core is Qt-free so the CLI and headless builds need no Qt).
// The scanner is checked first on files written here, one breaking each rule, so the test can fail.
#include "support/test_paths.h"

#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// "file:line: #include …" for every include of `folder`'s .h/.cpp files that matches `forbidden`.
std::vector<std::string> forbiddenIncludes(const fs::path& folder, const std::regex& forbidden)
{
    // (No raw string literals in this file: moc's tokenizer misreads the quotes inside them.)
    static const std::regex include("^\\s*#\\s*include\\s*[<\"]([^>\"]+)[>\"]");
    std::vector<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
        const auto ext = entry.path().extension();
        if (!entry.is_regular_file() || (ext != ".h" && ext != ".cpp"))
            continue;
        std::ifstream in(entry.path());
        std::string line;
        for (int number = 1; std::getline(in, line); ++number) {
            std::smatch m;
            if (std::regex_search(line, m, include) && std::regex_search(m[1].str(), forbidden))
                found.push_back(entry.path().string() + ":" + std::to_string(number) + ": " + line);
        }
    }
    return found;
}

const std::regex kTorch("^(torch|ATen|c10|caffe2)/");
// Qt's headers: <QtCore/…>, <QObject>, <QString>, qcustomplot.h (Qt class headers start with Q + capital).
const std::regex kQt("^(Qt[A-Za-z]*/|Q[A-Z][A-Za-z]*$|qcustomplot\\.h$)");

std::string joined(const std::vector<std::string>& lines)
{
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

} // namespace

class TestLayering : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void scannerFindsViolations()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        fs::create_directories(root / "sub");
        std::ofstream(root / "sub" / "a.h") << "#pragma once\n#include <ATen/ATen.h>\n";
        std::ofstream(root / "b.cpp") << "// #include <torch/torch.h> in a comment is fine\n  #  include \"c10/util/Half.h\"\n"
                                       << "#include <QString>\n#include <QtCore/QObject>\n#include \"util/error.h\"\n";
        std::ofstream(root / "c.txt") << "#include <torch/torch.h>\n";  // not a source file
        QCOMPARE(int(forbiddenIncludes(root, kTorch).size()), 2);
        QCOMPARE(int(forbiddenIncludes(root, kQt).size()), 2);
    }

    void widgetsIncludeNoTorch()
    {
        const auto found = forbiddenIncludes(fs::path(emo::test::sourceDir()) / "widgets", kTorch);
        QVERIFY2(found.empty(), joined(found).c_str());
    }

    void coreIncludesNoQt()
    {
        const auto found = forbiddenIncludes(fs::path(emo::test::sourceDir()) / "core", kQt);
        QVERIFY2(found.empty(), joined(found).c_str());
    }
};

QTEST_APPLESS_MAIN(TestLayering)
#include "tst_layering.moc"
