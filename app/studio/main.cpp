// emo-studio: the desktop app. Tiny: parses the command line, builds the window, runs the event loop.
#include "main_window.h"

#include "util/runtime.h"

#include <QApplication>
#include <QCommandLineParser>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName("EMO Studio");
    QApplication::setApplicationName("emo-studio");
    QApplication::setApplicationVersion("0.1.0");
    emo::util::initThreads();

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate("main", "Explore EMO next to MLE, TaiLr and MixCE."));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption model("model", QApplication::translate("main", "Hugging Face model folder to open."), "dir");
    QCommandLineOption data("data", QApplication::translate("main", "Data set to preselect."), "file");
    QCommandLineOption runs("runs", QApplication::translate("main", "Folder of training runs."), "dir");
    parser.addOptions({model, data, runs});
    parser.process(app);

    emo::studio::MainWindow::Options options;
    options.model = parser.value(model);
    options.data = parser.value(data);
    options.runsFolder = parser.value(runs);
    emo::studio::MainWindow window(options);
    window.show();
    return app.exec();
}
