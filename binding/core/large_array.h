// A large zero-initialised array in its own anonymous mapping with transparent huge pages
// requested (the kernel here has THP in "madvise" mode): the n x K kernel-feature matrix then
// takes one page fault per 2 MB instead of per 4 KB, and its memory returns to the system when
// it is freed.
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <new>
#include <utility>

namespace ascmh {

template <class T>
class LargeArray {
 public:
  LargeArray() = default;
  explicit LargeArray(size_t count) : count_(count) {
    if (count == 0) return;
    bytes_ = (count * sizeof(T) + kHugePage - 1) / kHugePage * kHugePage;
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    madvise(p, bytes_, MADV_HUGEPAGE);  // advisory: without THP it is plain pages
    data_ = static_cast<T*>(p);
  }
  ~LargeArray() { release(); }
  LargeArray(LargeArray&& other) noexcept { *this = std::move(other); }
  LargeArray& operator=(LargeArray&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      count_ = std::exchange(other.count_, 0);
      bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
  }
  LargeArray(const LargeArray&) = delete;
  LargeArray& operator=(const LargeArray&) = delete;
  // Takes a mapping of `bytes` (from mmap) holding count elements; it is unmapped when released.
  static LargeArray from_mapping(void* p, size_t count, size_t bytes) {
    LargeArray a;
    a.data_ = static_cast<T*>(p);
    a.count_ = count;
    a.bytes_ = bytes;
    return a;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return count_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  static constexpr size_t kHugePage = size_t(2) << 20;
  void release() {
    if (data_) munmap(data_, bytes_);
    data_ = nullptr;
  }
  T* data_ = nullptr;
  size_t count_ = 0, bytes_ = 0;
};

}  // namespace ascmh
