#include "util/error_text.h"

#include <c10/util/Exception.h>

namespace emo::util {

std::string errorText(const std::exception& e)
{
    if (const auto* torchError = dynamic_cast<const c10::Error*>(&e))
        return "torch: " + std::string(torchError->what_without_backtrace());
    return e.what();
}

} // namespace emo::util
