#pragma once
#include <QPlainTextEdit>

namespace emo::widgets {

// The log panel: engine and app messages (spdlog, through the app's sink), newest last, bounded.
class LogPanel : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit LogPanel(QWidget* parent = nullptr);

public Q_SLOTS:
    void appendMessage(const QString& level, const QString& message);
};

} // namespace emo::widgets
