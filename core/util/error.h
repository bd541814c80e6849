#pragma once
#include <stdexcept>
#include <string>

namespace emo {

// The one exception core throws. `kind` decides the CLI exit code (BadInput → 2, Runtime → 1) and
// lets the GUI tell "fix your file" from "something broke". The message names the file or field.
class Error : public std::runtime_error {
public:
    enum class Kind { BadInput, Runtime, Cancelled };

    explicit Error(const std::string& message, Kind kind = Kind::BadInput)
        : std::runtime_error(message), m_kind(kind) {}

    Kind kind() const { return m_kind; }

    static Error badInput(const std::string& message) { return Error(message, Kind::BadInput); }
    static Error runtime(const std::string& message) { return Error(message, Kind::Runtime); }
    static Error cancelled(const std::string& message = "cancelled") { return Error(message, Kind::Cancelled); }

private:
    Kind m_kind;
};

} // namespace emo
