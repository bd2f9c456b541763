// A whole file mapped read-only and shared (its descriptor kept open for map_private): pages come from the page cache on first touch, so
// opening costs nothing and processes that map the same file share one copy.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ascmh {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);  // throws ERR_ASCMH_IO
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // A private, writable mapping of bytes [offset, offset + bytes) of the same file (offset page
  // aligned, the range inside the file): reads come from the page cache, and a write copies only
  // the page it touches. Unmap with munmap(p, bytes). Throws ERR_ASCMH_IO.
  void* map_private(uint64_t offset, uint64_t bytes) const;

 private:
  std::string path_;
  int fd_ = -1;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace ascmh
