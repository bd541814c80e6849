#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace emo::util {

// Writes a file under a temporary name in the same folder, flushes it to disk and renames it into place,
// so a reader (or a crash, or a full disk) never sees a half-written file replace a good one.
// `writer` receives a callback that appends bytes; any failure removes the temporary file and throws
// emo::Error(Runtime) naming `path`.
using ByteSink = std::function<void(const void* data, std::size_t size)>;
void writeFileAtomically(const std::string& path, const std::function<void(const ByteSink&)>& writer);

// Convenience for small text files (config.json, run.json).
void writeTextFileAtomically(const std::string& path, const std::string& text);

// Reads a whole file; throws emo::Error(BadInput) naming `path` when it is missing or unreadable.
std::string readTextFile(const std::string& path);

// folder/name as one path string (std::filesystem's join).
std::string joinPath(const std::string& folder, const std::string& name);

} // namespace emo::util
