// A whole file mapped read-only and shared: pages come from the page cache on first touch, so
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

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace ascmh
