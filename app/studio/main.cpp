// emo-studio: the desktop app. Tiny: parses the command line, builds the window, runs the event loop.
#include "main_window.h"
#include "session.h"

#include "util/runtime.h"

#include <QApplication>
#include <QCommandLineParser>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName("EMO Studio");
    QApplication::setApplicationName("emo-studio");
    QApplication::setApplicationVersion("0.1.0");
    emo::util::keepFreedMemory();
    emo::util::initThreads();

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate("main", "Explore EMO next to MLE, TaiLr and MixCE."));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption model("model", QApplication::translate("main", "Hugging Face model folder to open."), "dir");
    QCommandLineOption data("data", QApplication::translate("main", "Data set to preselect."), "file");
    QCommandLineOption runs("runs", QApplication::translate("main", "Folder of training runs."), "dir");
    // For tests and packaging checks: load the model, then quit (exit code 0 on success, 1 on an error).
    QCommandLineOption quitAfterLoad("quit-after-load", QApplication::translate("main", "Quit once the model is loaded."));
    parser.addOptions({model, data, runs, quitAfterLoad});
    parser.process(app);

    emo::studio::MainWindow::Options options;
    options.model = parser.value(model);
    options.data = parser.value(data);
    options.runsFolder = parser.value(runs);
    emo::studio::MainWindow window(options);
    if (parser.isSet(quitAfterLoad)) {
        QObject::connect(window.session(), &emo::studio::Session::modelLoaded, &app, [] { QApplication::exit(0); },
                         Qt::QueuedConnection);
        QObject::connect(window.session(), &emo::studio::Session::failed, &app, [](const QString& what, const QString& message) {
            qCritical("%s: %s", qPrintable(what), qPrintable(message));
            QApplication::exit(1);
        }, Qt::QueuedConnection);
    }
    window.show();
    return app.exec();
}
