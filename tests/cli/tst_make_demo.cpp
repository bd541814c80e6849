// resources/models/make-demo.sh at a micro scale (seconds): the recipe of the shipped demo models cannot
// silently rot. Same script, same commands, tiny shapes and steps.
#include "support/test_paths.h"

#include <QtTest/QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

namespace {

QJsonObject readJson(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

// The dtype of every tensor in a safetensors header, read from the file's first bytes.
QSet<QString> storedDtypes(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    quint64 length = 0;
    file.read(reinterpret_cast<char*>(&length), 8);
    const QJsonObject header = QJsonDocument::fromJson(file.read(qint64(length))).object();
    QSet<QString> dtypes;
    for (auto it = header.begin(); it != header.end(); ++it)
        if (it.key() != "__metadata__")
            dtypes.insert(it.value().toObject().value("dtype").toString());
    return dtypes;
}

} // namespace

class TestMakeDemo : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void microRecipeEndToEnd();
};

void TestMakeDemo::microRecipeEndToEnd()
{
    QTemporaryDir out;
    QVERIFY(out.isValid());
    QProcess script;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("EMO", EMO_CLI_PATH);
    env.insert("EMO_DEMO_SCALE", "micro");
    env.insert("EMO_DEMO_OUT", out.path());
    script.setProcessEnvironment(env);
    script.setProcessChannelMode(QProcess::MergedChannels);
    script.start("bash", {QString::fromStdString(emo::test::sourceDir() + "/resources/models/make-demo.sh")});
    QVERIFY(script.waitForFinished(300000));
    const QString log = QString::fromUtf8(script.readAll());
    QVERIFY2(script.exitCode() == 0, qPrintable(log.right(3000)));
    // Each step says how long it took.
    for (const char* step : {"pretrain demo-base", "fine-tune demo-mle", "fine-tune demo-emo"})
        QVERIFY2(log.contains(QRegularExpression(QStringLiteral("make-demo: %1 +\\d+ s").arg(step))), step);

    const QJsonObject baseConfig = readJson(out.filePath("demo-base/config.json"));
    QCOMPARE(baseConfig.value("model_type").toString(), QString("llama"));
    for (const char* model : {"demo-base", "demo-mle", "demo-emo"}) {
        const QString folder = out.filePath(model);
        for (const char* file : {"config.json", "model.safetensors", "tokenizer.model", "run.json", "metrics.jsonl"})
            QVERIFY2(QFileInfo::exists(folder + "/" + file), qPrintable(folder + "/" + file));
        QVERIFY2(!QFileInfo::exists(folder + "/trainer_state.safetensors"), "the optimizer state stays out of the model folders");
        QCOMPARE(storedDtypes(folder + "/model.safetensors"), QSet<QString>{"F16"});
        QCOMPARE(readJson(folder + "/config.json"), baseConfig);  // same architecture, same vocabulary
        QCOMPARE(readJson(folder + "/run.json").value("status").toString(), QString("completed"));

        QProcess info;
        info.start(EMO_CLI_PATH, {"info", "--model", folder, "--json"});
        QVERIFY(info.waitForFinished(60000));
        QCOMPARE(info.exitCode(), 0);
        const QJsonObject card = QJsonDocument::fromJson(info.readAllStandardOutput()).object();
        QCOMPARE(card.value("stored_dtype").toString(), QString("float16"));
    }

    // demo-mle and demo-emo: the same data, seed, steps and hyper-parameters; only the objective differs.
    QJsonObject mle = readJson(out.filePath("demo-mle/run.json")).value("settings").toObject();
    QJsonObject emo = readJson(out.filePath("demo-emo/run.json")).value("settings").toObject();
    QCOMPARE(mle.value("objective").toObject().value("kind").toString(), QString("mle"));
    QCOMPARE(emo.value("objective").toObject().value("kind").toString(), QString("emo"));
    QVERIFY(mle.value("model_path").toString().endsWith("demo-base"));
    for (const char* key : {"objective", "output_dir"}) {
        mle.remove(key);
        emo.remove(key);
    }
    QCOMPARE(mle, emo);
    // Both ran the same number of steps.
    QCOMPARE(readJson(out.filePath("demo-mle/run.json")).value("step").toInt(), readJson(out.filePath("demo-emo/run.json")).value("step").toInt());

    // demo-base writes text.
    QProcess sample;
    sample.start(EMO_CLI_PATH, {"sample", "--model", out.filePath("demo-base"), "--prompt", "And", "--max-new", "8", "--seed", "1", "--json"});
    QVERIFY(sample.waitForFinished(60000));
    QCOMPARE(sample.exitCode(), 0);
    QVERIFY(!sample.readAllStandardOutput().trimmed().isEmpty());
}

QTEST_MAIN(TestMakeDemo)
#include "tst_make_demo.moc"
