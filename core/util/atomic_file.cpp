#include "util/atomic_file.h"

#include "util/error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace emo::util {

namespace {
std::string systemError(int code) { return std::strerror(code); }

void writeAll(int fd, const void* data, std::size_t size, const std::string& tempPath)
{
    auto bytes = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t written = ::write(fd, bytes, size);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            throw Error::runtime("cannot write " + tempPath + ": " + systemError(errno));
        }
        bytes += written;
        size -= static_cast<std::size_t>(written);
    }
}
} // namespace

void writeFileAtomically(const std::string& path, const std::function<void(const ByteSink&)>& writer)
{
    const std::string tempPath = path + ".tmp-" + std::to_string(::getpid());
    int fd = ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw Error::runtime("cannot create " + tempPath + ": " + systemError(errno));
    try {
        writer([&](const void* data, std::size_t size) { writeAll(fd, data, size, tempPath); });
        if (::fsync(fd) != 0)
            throw Error::runtime("cannot flush " + tempPath + ": " + systemError(errno));
        if (::close(fd) != 0) {
            fd = -1;
            throw Error::runtime("cannot close " + tempPath + ": " + systemError(errno));
        }
        fd = -1;
        if (std::rename(tempPath.c_str(), path.c_str()) != 0)
            throw Error::runtime("cannot rename " + tempPath + " to " + path + ": " + systemError(errno));
    } catch (...) {
        if (fd >= 0)
            ::close(fd);
        std::remove(tempPath.c_str());
        throw;
    }
}

void writeTextFileAtomically(const std::string& path, const std::string& text)
{
    writeFileAtomically(path, [&](const ByteSink& sink) { sink(text.data(), text.size()); });
}

std::string readTextFile(const std::string& path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw Error::badInput(path + ": no such file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error::badInput(path + ": cannot open for reading");
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string joinPath(const std::string& folder, const std::string& name)
{
    return (std::filesystem::path(folder) / name).string();
}

} // namespace emo::util
