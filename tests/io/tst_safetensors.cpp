#include "io/safetensors.h"
#include "support/test_paths.h"
#include "util/atomic_file.h"
#include "util/error.h"

#include <fstream>

using emo::io::SafetensorsDType;
using emo::io::SafetensorsFile;

Q_DECLARE_METATYPE(torch::ScalarType)

class TestSafetensors : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::string path(const std::string& name) const { return m_dir.filePath(QString::fromStdString(name)).toStdString(); }

    // A file made of raw bytes: u64 little-endian header length (given, or the JSON's own), JSON, data.
    std::string writeRaw(const std::string& name, const QByteArray& bytes) const
    {
        const std::string file = path(name);
        std::ofstream out(file, std::ios::binary);
        out.write(bytes.constData(), bytes.size());
        return file;
    }
    static QByteArray lengthPrefix(quint64 length)
    {
        QByteArray bytes(8, '\0');
        for (int i = 0; i < 8; ++i)
            bytes[i] = char((length >> (8 * i)) & 0xff);
        return bytes;
    }
    static QByteArray withHeader(const QByteArray& json, const QByteArray& data)
    {
        return lengthPrefix(quint64(json.size())) + json + data;
    }

private Q_SLOTS:
    void roundTripEveryDtype_data()
    {
        QTest::addColumn<torch::ScalarType>("type");
        QTest::addColumn<QString>("name");
        QTest::newRow("F32") << torch::kFloat32 << "F32";
        QTest::newRow("F16") << torch::kFloat16 << "F16";
        QTest::newRow("BF16") << torch::kBFloat16 << "BF16";
        QTest::newRow("F64") << torch::kFloat64 << "F64";
        QTest::newRow("I64") << torch::kInt64 << "I64";
        QTest::newRow("I32") << torch::kInt32 << "I32";
        QTest::newRow("I16") << torch::kInt16 << "I16";
        QTest::newRow("I8") << torch::kInt8 << "I8";
        QTest::newRow("U8") << torch::kUInt8 << "U8";
        QTest::newRow("BOOL") << torch::kBool << "BOOL";
    }
    void roundTripEveryDtype()
    {
        QFETCH(torch::ScalarType, type);
        QFETCH(QString, name);
        // Distinct values per element (mod 2 for bool); a transposed view checks the writer makes it contiguous.
        torch::Tensor values = torch::arange(24, torch::kFloat64).remainder(type == torch::kBool ? 2 : 100) - 
                               (type == torch::kBool || type == torch::kUInt8 ? 0 : 50);
        torch::Tensor matrix = values.reshape({4, 6}).to(type).t();
        torch::Tensor scalar = torch::tensor(type == torch::kBool ? 1 : 7).to(type).reshape({});
        torch::Tensor empty = torch::empty({3, 0}, torch::TensorOptions().dtype(type));
        const std::string file = path("round_" + name.toStdString() + ".safetensors");
        emo::io::writeSafetensors(file, {{"matrix", matrix}, {"scalar", scalar}, {"empty", empty}},
                                  {{"format", "pt"}, {"note", "ünïcode"}});

        SafetensorsFile read = SafetensorsFile::open(file);
        QCOMPARE(read.tensors().size(), std::size_t(3));
        QCOMPARE(read.metadata().size(), std::size_t(2));
        QCOMPARE(read.metadata().at("format"), std::string("pt"));
        QCOMPARE(read.metadata().at("note"), std::string("ünïcode"));
        const auto* info = read.find("matrix");
        QVERIFY(info);
        QCOMPARE(QString(emo::io::toString(info->dtype)), name);
        QCOMPARE(info->shape, (std::vector<int64_t>{6, 4}));

        torch::Tensor loaded = read.load("matrix");
        QCOMPARE(loaded.scalar_type(), type);
        QCOMPARE(loaded.sizes().vec(), (std::vector<int64_t>{6, 4}));
        QVERIFY(torch::equal(loaded, matrix));
        torch::Tensor loadedScalar = read.load("scalar");
        QCOMPARE(loadedScalar.dim(), int64_t(0));
        QVERIFY(torch::equal(loadedScalar, scalar));
        torch::Tensor loadedEmpty = read.load("empty");
        QCOMPARE(loadedEmpty.sizes().vec(), (std::vector<int64_t>{3, 0}));
        QCOMPARE(loadedEmpty.scalar_type(), type);
    }

    // Written by tests/data/io/make_safetensors_fixture.py with struct + json, not by our writer.
    void readsIndependentlyWrittenFile()
    {
        const std::string file = emo::test::dataPath("io/fixture.safetensors");
        const nlohmann::json expected = nlohmann::json::parse(emo::util::readTextFile(
            emo::test::dataPath("io/fixture_expected.json")));
        SafetensorsFile read = SafetensorsFile::open(file);
        QCOMPARE(read.metadata().size(), std::size_t(2));
        QCOMPARE(read.metadata().at("written_by"), std::string("make_safetensors_fixture.py"));
        QCOMPARE(read.tensors().size(), expected.size() - 1);
        for (auto it = expected.begin(); it != expected.end(); ++it) {
            if (it.key() == "__metadata__")
                continue;
            const std::string name = it.key();
            const auto* info = read.find(name);
            QVERIFY2(info, name.c_str());
            QCOMPARE(std::string(emo::io::toString(info->dtype)), it.value()["dtype"].get<std::string>());
            const auto shape = it.value()["shape"].get<std::vector<int64_t>>();
            QCOMPARE(info->shape, shape);
            torch::Tensor loaded = read.load(name);
            QCOMPARE(loaded.sizes().vec(), shape);
            QCOMPARE(loaded.scalar_type(), emo::io::toScalarType(info->dtype));
            torch::Tensor flat = loaded.reshape({-1});
            const auto& values = it.value()["values"];
            QCOMPARE(flat.numel(), int64_t(values.size()));
            for (int64_t i = 0; i < flat.numel(); ++i) {
                switch (info->dtype) {
                case SafetensorsDType::I64:
                    QCOMPARE(flat[i].item<int64_t>(), std::stoll(values[i].get<std::string>()));
                    break;
                case SafetensorsDType::BOOL:
                    QCOMPARE(flat[i].item<bool>(), values[i].get<bool>());
                    break;
                case SafetensorsDType::F32: case SafetensorsDType::F16: case SafetensorsDType::BF16:
                case SafetensorsDType::F64:
                    // Exact: the script recorded the value the stored bits hold.
                    QCOMPARE(flat[i].item<double>(), values[i].get<double>());
                    break;
                default:
                    QCOMPARE(flat[i].item<int64_t>(), values[i].get<int64_t>());
                }
            }
        }
    }

    // Our writer's bytes follow the format exactly: aligned header, __metadata__ first, name order, packed data.
    void writerLayout()
    {
        const std::string file = path("layout.safetensors");
        emo::io::writeSafetensors(file, {{"b", torch::tensor({1.0f, 2.0f})}, {"a", torch::tensor({int16_t(3)})}},
                                  {{"k", "v"}});
        const std::string bytes = emo::util::readTextFile(file);
        uint64_t headerSize = 0;
        for (int i = 7; i >= 0; --i)
            headerSize = (headerSize << 8) | uint8_t(bytes[i]);
        QCOMPARE(headerSize % 8, uint64_t(0));
        QCOMPARE(bytes.size(), std::size_t(8 + headerSize + 2 + 8));
        const std::string header = bytes.substr(8, headerSize);
        const std::string compact = R"({"__metadata__":{"k":"v"},"a":{"dtype":"I16","shape":[1],"data_offsets":[0,2]},)"
                                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[2,10]}})";
        QCOMPARE(header.substr(0, compact.size()), compact);
        QCOMPARE(header.substr(compact.size()), std::string(headerSize - compact.size(), ' '));
        const char expectedData[] = {3, 0, 0, 0, char(0x80), 0x3f, 0, 0, 0, 0x40};  // int16 3, 1.0f, 2.0f
        QCOMPARE(bytes.substr(8 + headerSize), std::string(expectedData, sizeof expectedData));
    }

    void malformed_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("tensor");     // must appear quoted in the message when not empty
        QTest::addColumn<QString>("mentions");   // and this must appear too
        const QByteArray f32x2 = R"("dtype":"F32","shape":[2])";
        QTest::newRow("truncated file") << QByteArray("\x10\0\0", 3) << "" << "truncated";
        QTest::newRow("header length past end of file") << lengthPrefix(1000) + "{}" << "" << "past the end";
        QTest::newRow("header length 0") << lengthPrefix(0) << "" << "too small";
        QTest::newRow("header length 1") << lengthPrefix(1) + "{" << "" << "too small";
        QTest::newRow("header length absurd") << lengthPrefix(quint64(1) << 60) + "{}" << "" << "larger than";
        QTest::newRow("header cut short by data size") << lengthPrefix(40) + R"({"w":{"dtype":"F32"}})" << ""
                                                       << "past the end";
        QTest::newRow("invalid JSON") << withHeader(R"({"w": {"dtype": )", "") << "" << "not valid JSON";
        QTest::newRow("JSON not an object") << withHeader("[1, 2]  ", "") << "" << "does not start with '{'";
        QTest::newRow("unknown dtype") << withHeader(R"({"w":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}})",
                                                     QByteArray(1, 0)) << "w" << "'F8'";
        QTest::newRow("dtype not a string") << withHeader(R"({"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})",
                                                          QByteArray(4, 0)) << "w" << "dtype";
        QTest::newRow("shape x dtype != range") << withHeader(R"({"w":{)" + f32x2 + R"(,"data_offsets":[0,4]}})",
                                                              QByteArray(8, 0)) << "w" << "needs 8 bytes";
        QTest::newRow("shape product overflows") << withHeader(
            R"({"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", QByteArray(8, 0))
                                                 << "w" << "2^64";
        QTest::newRow("range outside data") << withHeader(R"({"w":{)" + f32x2 + R"(,"data_offsets":[4,12]}})",
                                                          QByteArray(8, 0)) << "w" << "outside the data section";
        QTest::newRow("data section truncated") << withHeader(R"({"w":{)" + f32x2 + R"(,"data_offsets":[0,8]}})",
                                                              QByteArray(7, 0)) << "w" << "outside the data section";
        QTest::newRow("end before begin") << withHeader(R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}})",
                                                        QByteArray(8, 0)) << "w" << "before begin";
        QTest::newRow("overlapping ranges") << withHeader(
            R"({"first":{)" + f32x2 + R"(,"data_offsets":[0,8]},"second":{)" + f32x2 + R"(,"data_offsets":[4,12]}})",
            QByteArray(12, 0)) << "second" << "'first'";
        QTest::newRow("missing dtype") << withHeader(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", QByteArray(4, 0))
                                       << "w" << "missing field 'dtype'";
        QTest::newRow("missing shape") << withHeader(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})", QByteArray(4, 0))
                                       << "w" << "missing field 'shape'";
        QTest::newRow("missing data_offsets") << withHeader(R"({"w":{"dtype":"F32","shape":[1]}})", QByteArray(4, 0))
                                              << "w" << "missing field 'data_offsets'";
        QTest::newRow("entry not an object") << withHeader(R"({"w":[1,2]})", "") << "w" << "not a JSON object";
        QTest::newRow("non-integer shape") << withHeader(R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})",
                                                         QByteArray(4, 0)) << "w" << "shape";
        QTest::newRow("string in shape") << withHeader(R"({"w":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}})",
                                                       QByteArray(8, 0)) << "w" << "shape";
        QTest::newRow("negative shape") << withHeader(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})",
                                                      QByteArray(4, 0)) << "w" << "shape";
        QTest::newRow("shape not an array") << withHeader(R"({"w":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})",
                                                          QByteArray(8, 0)) << "w" << "shape";
        QTest::newRow("three offsets") << withHeader(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}})",
                                                     QByteArray(2, 0)) << "w" << "data_offsets";
        QTest::newRow("negative offset") << withHeader(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}})",
                                                       QByteArray(2, 0)) << "w" << "data_offsets";
        QTest::newRow("unexpected field") << withHeader(
            R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"offset":3}})", QByteArray(1, 0)) << "w" << "'offset'";
        // The format's rules beyond each entry, as the reference reader holds them.
        QTest::newRow("tensor named twice") << withHeader(
            R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
            QByteArray(2, 0)) << "" << "'w' twice";
        QTest::newRow("field named twice in an entry") << withHeader(
            R"({"w":{"dtype":"U8","dtype":"I8","shape":[1],"data_offsets":[0,1]}})", QByteArray(1, 0)) << ""
                                                       << "'dtype' twice";
        QTest::newRow("bytes after the last tensor") << withHeader(
            R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", QByteArray(4, 0)) << "" << "[1, 4)";
        QTest::newRow("data without any tensor") << withHeader(R"({"__metadata__":{"k":"v"}})", QByteArray(8, 0))
                                                 << "" << "belong to no tensor";
        QTest::newRow("gap before the first tensor") << withHeader(
            R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})", QByteArray(8, 0)) << "w" << "[0, 4)";
        QTest::newRow("gap between tensors") << withHeader(
            R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}})",
            QByteArray(3, 0)) << "b" << "[1, 2)";
        QTest::newRow("empty tensor inside another's range") << withHeader(
            R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"e":{"dtype":"U8","shape":[0],"data_offsets":[1,1]}})",
            QByteArray(2, 0)) << "e" << "overlap tensor 'a'";
        QTest::newRow("header opens with a blank") << withHeader(R"( {"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})",
                                                                 QByteArray(1, 0)) << "" << "'{'";
        QTest::newRow("header not UTF-8") << withHeader("{\"w\xff\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
                                                        QByteArray(1, 0)) << "" << "not valid JSON";
        QTest::newRow("metadata value not a string") << withHeader(R"({"__metadata__":{"steps":3}})", "") << ""
                                                     << "'steps'";
    }
    void malformed()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, tensor);
        QFETCH(QString, mentions);
        const std::string file = writeRaw(std::string("bad_") + QTest::currentDataTag() + ".safetensors", bytes);
        try {
            SafetensorsFile::open(file);
            QFAIL("open() accepted a malformed file");
        } catch (const emo::Error& e) {
            const QString message = QString::fromUtf8(e.what());
            QVERIFY2(e.kind() == emo::Error::Kind::BadInput, e.what());
            QVERIFY2(message.contains(QString::fromStdString(file)), e.what());
            if (!tensor.isEmpty())
                QVERIFY2(message.contains("tensor '" + tensor + "'"), e.what());
            QVERIFY2(message.contains(mentions), e.what());
        }
    }

    void badBoolByteIsRefusedOnLoad()
    {
        const std::string file = writeRaw("bad_bool.safetensors",
            withHeader(R"({"flags":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})", QByteArray("\x01\x02", 2)));
        SafetensorsFile read = SafetensorsFile::open(file);
        try {
            read.load("flags");
            QFAIL("a BOOL byte of 2 was accepted");
        } catch (const emo::Error& e) {
            QVERIFY2(QString(e.what()).contains(QString::fromStdString(file) + ": tensor 'flags'"), e.what());
        }
    }

    void absentTensorAndMissingFileNameThemselves()
    {
        const std::string file = path("small.safetensors");
        emo::io::writeSafetensors(file, {{"x", torch::ones({2})}});
        SafetensorsFile read = SafetensorsFile::open(file);
        QVERIFY(read.find("y") == nullptr);
        try {
            read.load("y");
            QFAIL("load of an absent tensor succeeded");
        } catch (const emo::Error& e) {
            QVERIFY2(QString(e.what()).contains(QString::fromStdString(file)) && QString(e.what()).contains("'y'"),
                     e.what());
        }
        const std::string missing = path("does_not_exist.safetensors");
        try {
            SafetensorsFile::open(missing);
            QFAIL("opened a missing file");
        } catch (const emo::Error& e) {
            QCOMPARE(e.kind(), emo::Error::Kind::BadInput);
            QVERIFY2(QString(e.what()).contains(QString::fromStdString(missing)), e.what());
        }
    }

    void writerRefusesWhatTheFormatCannotHold()
    {
        const std::string file = path("refused.safetensors");
        QVERIFY_EXCEPTION_THROWN(emo::io::writeSafetensors(file, {{"c", torch::ones({2}, torch::kComplexFloat)}}),
                                 emo::Error);
        QVERIFY_EXCEPTION_THROWN(emo::io::writeSafetensors(file, {{"a", torch::ones({1})}, {"a", torch::ones({1})}}),
                                 emo::Error);
        QVERIFY_EXCEPTION_THROWN(emo::io::writeSafetensors(file, {{"__metadata__", torch::ones({1})}}), emo::Error);
        QVERIFY(!QFile::exists(QString::fromStdString(file)));
    }

    // A 25 MB model (GPT-2-tiny sized) must open and load in well under a second.
    void loadsLargeFileFast()
    {
        const std::string file = path("large.safetensors");
        std::vector<std::pair<std::string, torch::Tensor>> tensors;
        for (int i = 0; i < 50; ++i)
            tensors.emplace_back("layer." + std::to_string(i) + ".weight", torch::randn({256, 512}));
        emo::io::writeSafetensors(file, tensors);
        QElapsedTimer timer;
        timer.start();
        SafetensorsFile read = SafetensorsFile::open(file);
        for (const auto& [name, tensor] : tensors)
            QVERIFY(torch::equal(read.load(name), tensor));
        qInfo("opened and loaded 25 MB (50 tensors) in %lld ms", (long long)timer.elapsed());
        QVERIFY(timer.elapsed() < 5000);
    }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
