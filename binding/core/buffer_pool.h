// Large result buffers recycled instead of freed. On these machines the first touch of fresh memory
// costs about 3 ns per byte, more than a search spends per result: a buffer handed to JS returns
// here when JS collects it, and the next search writes into memory that is already mapped.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace ascmh {

// A block of at least `bytes` bytes, 64-byte aligned, from the pool or newly mapped.
struct PoolBlock {
  void* data = nullptr;
  size_t capacity = 0;  // bytes
};
PoolBlock acquire_block(size_t bytes);
// Gives a block back; the pool keeps it while it holds less than its limit (256 MiB).
void release_block(PoolBlock block);

// A typed array of `size` elements in a pooled block (released when destroyed).
template <class T>
class PooledArray {
 public:
  PooledArray() = default;
  explicit PooledArray(size_t size) : size_(size) {
    if (size) block_ = acquire_block(size * sizeof(T));
  }
  ~PooledArray() { reset(); }
  PooledArray(PooledArray&& o) noexcept : block_(o.block_), size_(o.size_) {
    o.block_ = {};
    o.size_ = 0;
  }
  PooledArray& operator=(PooledArray&& o) noexcept {
    if (this != &o) {
      reset();
      block_ = o.block_;
      size_ = o.size_;
      o.block_ = {};
      o.size_ = 0;
    }
    return *this;
  }
  PooledArray(const PooledArray&) = delete;
  PooledArray& operator=(const PooledArray&) = delete;

  T* data() { return static_cast<T*>(block_.data); }
  const T* data() const { return static_cast<const T*>(block_.data); }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  // Hands the block over (for an external JS buffer whose finalizer calls release_block).
  PoolBlock release() {
    PoolBlock b = block_;
    block_ = {};
    size_ = 0;
    return b;
  }
  void reset() {
    if (block_.data) release_block(block_);
    block_ = {};
    size_ = 0;
  }

 private:
  PoolBlock block_;
  size_t size_ = 0;
};

}  // namespace ascmh
