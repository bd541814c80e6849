#include "log_panel.h"

#include <QTime>

namespace emo::widgets {

LogPanel::LogPanel(QWidget* parent)
    : QPlainTextEdit(parent)
{
    setObjectName("logPanel");
    setReadOnly(true);
    setMaximumBlockCount(5000);
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setFont(QFont(QStringLiteral("monospace")));
}

void LogPanel::appendMessage(const QString& level, const QString& message)
{
    appendPlainText(QStringLiteral("%1 %2 %3").arg(QTime::currentTime().toString("HH:mm:ss"), level.leftJustified(5), message));
}

} // namespace emo::widgets
