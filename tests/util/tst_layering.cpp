// The layer rules as a test: no file under widgets/ includes a torch, ATen or c10 header (libemowidgets does
// not link torch; today only <torch/torch.h> would fail to compile there, <ATen/…> and <c10/…> would not),
// nor does any core header a widget includes, followed through the core headers those include; the
// sources of emo_plain (core's torch-free library, listed by the build) reach no torch header either; and
// no file under core/ includes a Qt header (core is Qt-free so the CLI and headless builds need no Qt).
// The scanners are checked first on files written here, one breaking each rule, so the test can fail.
#include "support/test_paths.h"

#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
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

// The quoted and angled includes of one file: (line number, included name).
std::vector<std::pair<int, std::string>> includesOf(const fs::path& file)
{
    static const std::regex include("^\\s*#\\s*include\\s*[<\"]([^>\"]+)[>\"]");
    std::vector<std::pair<int, std::string>> out;
    std::ifstream in(file);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        std::smatch m;
        if (std::regex_search(line, m, include))
            out.emplace_back(number, m[1].str());
    }
    return out;
}

// "chain: #include <torch/…>" for every torch include reachable from `files` through the headers found
// under `includeRoot` (core's headers are included as "area/name.h"), each header visited once.
std::vector<std::string> torchReachableFrom(const std::vector<fs::path>& files, const fs::path& includeRoot)
{
    std::vector<std::string> found;
    std::set<fs::path> visited;
    std::vector<std::pair<fs::path, std::string>> pending;  // file, how it was reached
    for (const auto& f : files)
        pending.emplace_back(f, f.string());
    while (!pending.empty()) {
        const auto [file, chain] = pending.back();
        pending.pop_back();
        if (!visited.insert(file).second)
            continue;
        for (const auto& [number, name] : includesOf(file)) {
            if (std::regex_search(name, kTorch))
                found.push_back(chain + ":" + std::to_string(number) + ": #include <" + name + ">");
            const fs::path header = includeRoot / name;
            if (fs::is_regular_file(header))
                pending.emplace_back(header, chain + " → " + name);
        }
    }
    return found;
}

std::vector<fs::path> sourcesUnder(const fs::path& folder)
{
    std::vector<fs::path> out;
    for (const auto& entry : fs::recursive_directory_iterator(folder))
        if (entry.is_regular_file() && (entry.path().extension() == ".h" || entry.path().extension() == ".cpp"))
            out.push_back(entry.path());
    return out;
}
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

        // Through headers: view.cpp → "area/plain.h" → "area/deep.h" → <c10/…>; the cycle back is harmless.
        fs::create_directories(root / "inc" / "area");
        std::ofstream(root / "inc" / "area" / "plain.h") << "#pragma once\n#include \"area/deep.h\"\n#include <vector>\n";
        std::ofstream(root / "inc" / "area" / "deep.h") << "#pragma once\n#include \"area/plain.h\"\n#include <c10/core/Device.h>\n";
        std::ofstream(root / "view.cpp") << "#include \"area/plain.h\"\n";
        std::ofstream(root / "clean.cpp") << "#include <vector>\n#include \"area/missing.h\"\n";
        const auto reached = torchReachableFrom({root / "view.cpp", root / "clean.cpp"}, root / "inc");
        QCOMPARE(int(reached.size()), 1);
        QVERIFY2(reached[0].find("area/plain.h → area/deep.h:3: #include <c10/core/Device.h>") != std::string::npos,
                 reached[0].c_str());
    }

    void widgetsIncludeNoTorch()
    {
        const auto found = forbiddenIncludes(fs::path(emo::test::sourceDir()) / "widgets", kTorch);
        QVERIFY2(found.empty(), joined(found).c_str());
    }

    void widgetsReachNoTorchThroughCore()
    {
        const fs::path source = emo::test::sourceDir();
        const auto found = torchReachableFrom(sourcesUnder(source / "widgets"), source / "core");
        QVERIFY2(found.empty(), joined(found).c_str());
    }

    void plainLibraryReachesNoTorch()
    {
        // The build writes the list of emo_plain's sources; each, with its own header, must stay torch-free.
        std::ifstream list(fs::path(emo::test::binaryDir()) / "generated" / "emo_plain_sources.txt");
        QVERIFY(list);
        std::vector<fs::path> files;
        for (std::string line; std::getline(list, line);)
            if (!line.empty()) {
                files.emplace_back(line);
                files.push_back(fs::path(line).replace_extension(".h"));
            }
        QVERIFY(files.size() >= 20);
        for (const auto& f : files)
            QVERIFY2(fs::is_regular_file(f), f.string().c_str());
        const auto found = torchReachableFrom(files, fs::path(emo::test::sourceDir()) / "core");
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
