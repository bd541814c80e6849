#include "util/atomic_file.h"

#include "util/error.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace emo::util {

namespace {
std::string systemError(int code) { return std::strerror(code); }

// Fault injection for the crash-consistency test: EMO_FAULT_WRITE_DELAY_MS holds every atomic write this long
// with its temporary file written but not yet renamed, so that a kill can be placed inside the write.
int faultWriteDelayMs()
{
    static const int delay = [] {
        const char* text = std::getenv("EMO_FAULT_WRITE_DELAY_MS");
        return text ? std::max(0, std::atoi(text)) : 0;
    }();
    return delay;
}

// After a rename the folder's entry must reach the disk too, or a power cut could bring back the old file.
void syncFolderOf(const std::string& path)
{
    const std::string folder = std::filesystem::path(path).parent_path().string();
    const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);  // best effort: some file systems refuse fsync on a folder
        ::close(fd);
    }
}

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
        if (faultWriteDelayMs() > 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(faultWriteDelayMs()));
        if (::fsync(fd) != 0)
            throw Error::runtime("cannot flush " + tempPath + ": " + systemError(errno));
        if (::close(fd) != 0) {
            fd = -1;
            throw Error::runtime("cannot close " + tempPath + ": " + systemError(errno));
        }
        fd = -1;
        if (std::rename(tempPath.c_str(), path.c_str()) != 0)
            throw Error::runtime("cannot rename " + tempPath + " to " + path + ": " + systemError(errno));
        syncFolderOf(path);
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
