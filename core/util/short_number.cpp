#include "util/short_number.h"

#include <cstdio>

namespace emo::util {

std::string shortNumber(double value)
{
    char text[32];
    std::snprintf(text, sizeof(text), "%g", value);
    return text;
}

} // namespace emo::util
