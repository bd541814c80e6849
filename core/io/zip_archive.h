#pragma once
#include "util/read_only_file.h"

#include <cstdint>
#include <string>
#include <vector>

namespace emo::io {

struct ZipEntry {
    std::string name;
    uint64_t dataOffset = 0;  // of the entry's bytes in the file
    uint64_t size = 0;
};

// The central directory of a zip whose entries are stored uncompressed, as torch.save writes them (zip64
// included, for checkpoints over 4 GiB). Reading an entry is a positioned read of the file; nothing is
// inflated. open() checks every entry lies inside the file and throws emo::Error(BadInput) naming the file
// and entry otherwise (compressed, encrypted, truncated, not a zip).
class ZipArchive {
public:
    static ZipArchive open(const std::string& path);

    const std::string& path() const { return m_file.path(); }
    const std::vector<ZipEntry>& entries() const { return m_entries; }
    const ZipEntry* find(const std::string& name) const;  // nullptr when absent

    std::string read(const ZipEntry& entry) const;  // the whole entry
    // `bytes` of the entry from `offset` inside it; throws naming the entry when that runs past its end.
    void readAt(const ZipEntry& entry, void* buffer, uint64_t bytes, uint64_t offset) const;

private:
    explicit ZipArchive(util::ReadOnlyFile file) : m_file(std::move(file)) {}
    util::ReadOnlyFile m_file;
    std::vector<ZipEntry> m_entries;
};

} // namespace emo::io
