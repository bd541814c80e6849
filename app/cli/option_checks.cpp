#include "option_checks.h"

#include "format.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>

namespace emo::cli {

namespace {

// The whole text as a double, or false (trailing characters, empty text).
bool parseReal(const std::string& text, double* value)
{
    if (text.empty())
        return false;
    char* end = nullptr;
    *value = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size();
}

std::string bound(double value) { return formatNumber(value, 6); }

} // namespace

CLI::Validator finiteIn(double min, double max, OpenEnd open)
{
    const std::string range = (open == OpenEnd::Min ? "(" : "[") + bound(min) + ", " + bound(max) +
                              (open == OpenEnd::Max ? ")" : "]");
    return CLI::Validator(
        [=](std::string& input) -> std::string {
            double value = 0.0;
            if (!parseReal(input, &value) || !std::isfinite(value) || value < min || value > max ||
                (open == OpenEnd::Min && value == min) || (open == OpenEnd::Max && value == max))
                return "must be a finite number in " + range + " (got " + input + ")";
            return {};
        },
        "in " + range);
}

CLI::Validator finiteAtLeast(double min)
{
    return CLI::Validator(
        [=](std::string& input) -> std::string {
            double value = 0.0;
            if (!parseReal(input, &value) || !std::isfinite(value) || value < min)
                return "must be a finite number ≥ " + bound(min) + " (got " + input + ")";
            return {};
        },
        "≥ " + bound(min));
}

CLI::Validator countIn(int64_t min, int64_t max)
{
    const std::string range = "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
    return CLI::Validator(
        [=](std::string& input) -> std::string {
            char* end = nullptr;
            errno = 0;
            const long long value = input.empty() ? 0 : std::strtoll(input.c_str(), &end, 10);
            if (input.empty() || end != input.c_str() + input.size() || errno == ERANGE || value < min || value > max)
                return "must be a whole number in " + range + " (got " + input + ")";
            return {};
        },
        "in " + range);
}

CLI::Validator outputFolder()
{
    return CLI::Validator(
        [](std::string& input) -> std::string {
            std::error_code error;
            if (input.empty())
                return "names no folder";
            if (std::filesystem::exists(input, error) && !std::filesystem::is_directory(input, error))
                return input + " is an existing file, not a folder";
            return {};
        },
        "FOLDER");
}

} // namespace emo::cli
