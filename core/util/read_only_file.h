#pragma once
#include <cstdint>
#include <string>

namespace emo::util {

// A regular file opened for positioned reads (pread), closed when the object goes. Readers of large
// checkpoints use it to read headers and single tensors without reading, or mapping, the whole file.
class ReadOnlyFile {
public:
    // Throws emo::Error(BadInput) "<path>: cannot open <what>: <reason>" or "<path>: not a regular file".
    static ReadOnlyFile open(const std::string& path, const std::string& what);

    ReadOnlyFile(ReadOnlyFile&& other) noexcept;
    ReadOnlyFile& operator=(ReadOnlyFile&& other) noexcept;
    ReadOnlyFile(const ReadOnlyFile&) = delete;
    ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
    ~ReadOnlyFile();

    const std::string& path() const { return m_path; }
    uint64_t size() const { return m_size; }  // at open time

    // Reads exactly `bytes` at `offset`; false when the file ends first; emo::Error(Runtime) on a read error.
    bool readAt(void* buffer, uint64_t bytes, uint64_t offset) const;

private:
    ReadOnlyFile(int fd, std::string path, uint64_t size) : m_fd(fd), m_path(std::move(path)), m_size(size) {}
    int m_fd = -1;
    std::string m_path;
    uint64_t m_size = 0;
};

} // namespace emo::util
