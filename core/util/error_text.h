#pragma once
#include <exception>
#include <string>

namespace emo::util {

// The message of any exception as a user should read it: emo::Error's as it is, a LibTorch error's
// (c10::Error) as "torch: …" without the C++ backtrace its what() carries. The CLI and the app both print this.
std::string errorText(const std::exception& e);

} // namespace emo::util
