// Small POSIX file helpers with coded errors (ERR_ASCMH_IO): whole writes and reads, fsync of a
// directory, and a temporary file that is renamed over its target only when complete.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ascmh {

[[noreturn]] void io_error(const std::string& what, const std::string& path, int error);

// Writes all bytes at the current offset (EINTR retried).
void write_all(int fd, const void* data, size_t bytes, const std::string& path);
// Reads exactly `bytes` at `offset`; false if the file ended first.
bool read_at(int fd, void* data, size_t bytes, uint64_t offset, const std::string& path);
// Makes a rename or a file creation in `dir` durable.
void fsync_directory(const std::string& dir);
std::string directory_of(const std::string& path);

// A file written beside `target` and renamed over it by commit(); removed if never committed.
class ReplacementFile {
 public:
  explicit ReplacementFile(const std::string& target);
  ~ReplacementFile();
  ReplacementFile(const ReplacementFile&) = delete;
  ReplacementFile& operator=(const ReplacementFile&) = delete;
  int fd() const { return fd_; }
  const std::string& target() const { return target_; }
  void write(const void* data, size_t bytes) { write_all(fd_, data, bytes, target_); }
  void write_at(const void* data, size_t bytes, uint64_t offset);
  // fsync, close, rename over the target, fsync the directory.
  void commit();

 private:
  std::string target_, temporary_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace ascmh
