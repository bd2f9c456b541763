#include "storage/posix_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace ascmh {

void io_error(const std::string& what, const std::string& path, int error) {
  throw CodedError("ERR_ASCMH_IO", what + " " + path + ": " + std::strerror(error));
}

void write_all(int fd, const void* data, size_t bytes, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd, p, std::min<size_t>(bytes, size_t(1) << 30));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) io_error("cannot write", path, n < 0 ? errno : ENOSPC);
    p += n;
    bytes -= static_cast<size_t>(n);
  }
}

bool read_at(int fd, void* data, size_t bytes, uint64_t offset, const std::string& path) {
  char* p = static_cast<char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::pread(fd, p, std::min<size_t>(bytes, size_t(1) << 30), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) io_error("cannot read", path, errno);
    if (n == 0) return false;
    p += n;
    bytes -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

void fsync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

ReplacementFile::ReplacementFile(const std::string& target) : target_(target) {
  static std::atomic<uint64_t> serial{0};
  temporary_ = directory_of(target) + "/." + target.substr(target.find_last_of('/') + 1) + ".tmp-" +
               std::to_string(::getpid()) + "-" + std::to_string(serial++);
  fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) io_error("cannot open", target, errno);
}

ReplacementFile::~ReplacementFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temporary_.c_str());
}

void ReplacementFile::write_at(const void* data, size_t bytes, uint64_t offset) {
  if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) io_error("cannot write", target_, errno);
  write_all(fd_, data, bytes, target_);
}

void ReplacementFile::commit() {
  if (::fsync(fd_) != 0) io_error("cannot write", target_, errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) io_error("cannot write", target_, errno);
  if (::rename(temporary_.c_str(), target_.c_str()) != 0) io_error("cannot write", target_, errno);
  committed_ = true;
  fsync_directory(directory_of(target_));
}

}  // namespace ascmh
