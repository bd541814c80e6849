#include "io/zip_archive.h"

#include "util/error.h"

#include <algorithm>

namespace emo::io {

namespace {

constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kDirectoryEntry = 0x02014b50;
constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint64_t kEndRecordSize = 22;
constexpr uint64_t kMaxComment = 0xffff;

uint64_t little(const unsigned char* bytes, int count)
{
    uint64_t value = 0;
    for (int i = count - 1; i >= 0; --i)
        value = (value << 8) | bytes[i];
    return value;
}

std::string readBytes(const util::ReadOnlyFile& file, uint64_t offset, uint64_t size, const std::string& what)
{
    if (offset > file.size() || size > file.size() - offset)
        throw Error::badInput(file.path() + ": truncated zip (" + what + " runs past the end of the file)");
    std::string bytes(static_cast<std::size_t>(size), '\0');
    if (!file.readAt(bytes.data(), size, offset))
        throw Error::badInput(file.path() + ": truncated zip (" + what + ")");
    return bytes;
}

const unsigned char* at(const std::string& bytes, std::size_t offset)
{
    return reinterpret_cast<const unsigned char*>(bytes.data()) + offset;
}

// Where the central directory lies and how many entries it holds, from the (zip64) end records.
struct Directory {
    uint64_t offset = 0;
    uint64_t size = 0;
    uint64_t count = 0;
};

Directory findDirectory(const util::ReadOnlyFile& file)
{
    const std::string& path = file.path();
    if (file.size() < kEndRecordSize)
        throw Error::badInput(path + ": not a zip archive (" + std::to_string(file.size()) + " bytes)");
    const uint64_t tailSize = std::min<uint64_t>(file.size(), kEndRecordSize + kMaxComment);
    const uint64_t tailStart = file.size() - tailSize;
    const std::string tail = readBytes(file, tailStart, tailSize, "end of central directory");
    std::size_t end = std::string::npos;
    for (std::size_t i = tail.size() - kEndRecordSize + 1; i-- > 0;)
        if (little(at(tail, i), 4) == kEndOfDirectory) {
            end = i;
            break;
        }
    if (end == std::string::npos)
        throw Error::badInput(path + ": not a zip archive (no end of central directory; truncated, or saved by "
                              "torch.save before PyTorch 1.6 with _use_new_zipfile_serialization=False)");
    Directory directory{little(at(tail, end + 16), 4), little(at(tail, end + 12), 4), little(at(tail, end + 10), 2)};
    if (directory.offset == 0xffffffff || directory.size == 0xffffffff || directory.count == 0xffff) {
        const uint64_t endAt = tailStart + end;
        if (endAt < 20)
            throw Error::badInput(path + ": zip64 archive without its zip64 locator");
        const std::string locator = readBytes(file, endAt - 20, 20, "zip64 locator");
        if (little(at(locator, 0), 4) != kZip64Locator)
            throw Error::badInput(path + ": zip64 archive without its zip64 locator");
        const std::string record = readBytes(file, little(at(locator, 8), 8), 56, "zip64 end of central directory");
        if (little(at(record, 0), 4) != kZip64EndOfDirectory)
            throw Error::badInput(path + ": zip64 end of central directory has a bad signature");
        directory = {little(at(record, 48), 8), little(at(record, 40), 8), little(at(record, 32), 8)};
    }
    return directory;
}

} // namespace

ZipArchive ZipArchive::open(const std::string& path)
{
    ZipArchive archive(util::ReadOnlyFile::open(path, "zip archive"));
    const util::ReadOnlyFile& file = archive.m_file;
    const Directory directory = findDirectory(file);
    const std::string bytes = readBytes(file, directory.offset, directory.size, "central directory");
    std::size_t cursor = 0;
    for (uint64_t index = 0; index < directory.count; ++index) {
        if (cursor + 46 > bytes.size() || little(at(bytes, cursor), 4) != kDirectoryEntry)
            throw Error::badInput(path + ": central directory entry " + std::to_string(index) + " is damaged");
        const unsigned char* header = at(bytes, cursor);
        const uint64_t flags = little(header + 8, 2), method = little(header + 10, 2);
        uint64_t compressed = little(header + 20, 4), size = little(header + 24, 4);
        const std::size_t nameLength = little(header + 28, 2), extraLength = little(header + 30, 2),
                          commentLength = little(header + 32, 2);
        uint64_t localOffset = little(header + 42, 4);
        if (cursor + 46 + nameLength + extraLength + commentLength > bytes.size())
            throw Error::badInput(path + ": central directory entry " + std::to_string(index) + " is damaged");
        ZipEntry entry;
        entry.name = bytes.substr(cursor + 46, nameLength);
        const std::string where = path + ": entry '" + entry.name + "'";
        // The zip64 extra field holds, in this order, whichever of the three were saturated.
        for (std::size_t e = cursor + 46 + nameLength; e + 4 <= cursor + 46 + nameLength + extraLength;) {
            const uint64_t id = little(at(bytes, e), 2), length = little(at(bytes, e + 2), 2);
            if (id == 0x0001) {
                std::size_t field = e + 4;
                for (uint64_t* value : {&size, &compressed, &localOffset})
                    if (*value == 0xffffffff && field + 8 <= e + 4 + length) {
                        *value = little(at(bytes, field), 8);
                        field += 8;
                    }
            }
            e += 4 + length;
        }
        if (flags & 1)
            throw Error::badInput(where + " is encrypted");
        if (method != 0 || compressed != size)
            throw Error::badInput(where + " is compressed (method " + std::to_string(method)
                                  + "); only stored entries, as torch.save writes them, are read");
        const std::string local = readBytes(file, localOffset, 30, "local header of '" + entry.name + "'");
        if (little(at(local, 0), 4) != kLocalHeader)
            throw Error::badInput(where + ": local header has a bad signature");
        entry.dataOffset = localOffset + 30 + little(at(local, 26), 2) + little(at(local, 28), 2);
        entry.size = size;
        if (entry.dataOffset > file.size() || entry.size > file.size() - entry.dataOffset)
            throw Error::badInput(where + ": its " + std::to_string(entry.size) + " bytes run past the end of the file ("
                                  + std::to_string(file.size()) + " bytes); truncated?");
        archive.m_entries.push_back(std::move(entry));
        cursor += 46 + nameLength + extraLength + commentLength;
    }
    return archive;
}

const ZipEntry* ZipArchive::find(const std::string& name) const
{
    for (const ZipEntry& entry : m_entries)
        if (entry.name == name)
            return &entry;
    return nullptr;
}

std::string ZipArchive::read(const ZipEntry& entry) const
{
    std::string bytes(static_cast<std::size_t>(entry.size), '\0');
    readAt(entry, bytes.data(), entry.size, 0);
    return bytes;
}

void ZipArchive::readAt(const ZipEntry& entry, void* buffer, uint64_t bytes, uint64_t offset) const
{
    if (offset > entry.size || bytes > entry.size - offset)
        throw Error::badInput(path() + ": entry '" + entry.name + "': bytes [" + std::to_string(offset) + ", "
                              + std::to_string(offset + bytes) + ") lie outside its " + std::to_string(entry.size));
    if (!m_file.readAt(buffer, bytes, entry.dataOffset + offset))
        throw Error::badInput(path() + ": entry '" + entry.name + "': file ended before its data (changed since opened?)");
}

} // namespace emo::io
