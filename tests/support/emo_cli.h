#pragma once
// Runs the `emo` executable as a user does (tests that define EMO_CLI_PATH: tests/cli, tests/gui).
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace emo::test {

struct CliRun {
    int exitCode = -1;  // -1 when it crashed or timed out
    QString out;
    QString err;
};

inline CliRun runEmo(const QStringList& args, int timeoutMs = 300000,
                     const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment())
{
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(EMO_CLI_PATH), args);
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
    }
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            QString::fromUtf8(process.readAllStandardOutput()), QString::fromUtf8(process.readAllStandardError())};
}

} // namespace emo::test
