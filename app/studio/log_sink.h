#pragma once
// spdlog → the log panel: messages from any thread are queued to the panel on the GUI thread.
#include "log_panel.h"

#include <spdlog/sinks/base_sink.h>

#include <QMetaObject>
#include <QPointer>

#include <mutex>

namespace emo::studio {

class LogSink : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit LogSink(widgets::LogPanel* panel) : m_panel(panel) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override
    {
        const QString level = QString::fromUtf8(spdlog::level::to_string_view(msg.level).data(),
                                                int(spdlog::level::to_string_view(msg.level).size()));
        const QString text = QString::fromUtf8(msg.payload.data(), int(msg.payload.size()));
        QPointer<widgets::LogPanel> panel = m_panel;
        QMetaObject::invokeMethod(m_panel, [panel, level, text] {
            if (panel)
                panel->appendMessage(level, text);
        }, Qt::QueuedConnection);
    }
    void flush_() override {}

private:
    QPointer<widgets::LogPanel> m_panel;
};

} // namespace emo::studio
