#include "core/buffer_pool.h"

#include <sys/mman.h>

#include <mutex>
#include <new>
#include <vector>

namespace ascmh {
namespace {

constexpr size_t kMinBytes = size_t(64) << 10;   // below this plain allocation is as fast
constexpr size_t kKeepBytes = size_t(256) << 20;  // the most the pool holds
constexpr size_t kHugePageBytes = size_t(2) << 20;

// Power-of-two size classes from 64 KiB; a request takes a block of its class.
size_t class_bytes(size_t bytes) {
  size_t c = kMinBytes;
  while (c < bytes) c <<= 1;
  return c;
}

struct Pool {
  std::mutex mutex;
  std::vector<PoolBlock> free;
  size_t kept = 0;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: finalizers may run at exit
  return *p;
}

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
// Under AddressSanitizer every block is an exact-size allocation, so a write past the end is
// reported instead of landing in the unused rest of a pooled block.
PoolBlock acquire_block(size_t bytes) {
  return {::operator new(bytes, std::align_val_t(64)), bytes};
}
void release_block(PoolBlock block) {
  if (block.data) ::operator delete(block.data, std::align_val_t(64));
}
#else
PoolBlock acquire_block(size_t bytes) {
  const size_t want = class_bytes(bytes);
  {
    Pool& p = pool();
    std::lock_guard<std::mutex> lock(p.mutex);
    for (size_t i = 0; i < p.free.size(); ++i)
      if (p.free[i].capacity == want) {
        PoolBlock b = p.free[i];
        p.free[i] = p.free.back();
        p.free.pop_back();
        p.kept -= b.capacity;
        return b;
      }
  }
  void* data = mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED) throw std::bad_alloc();
  // A block JS still holds is not back in the pool, so the next search may need a fresh one:
  // huge pages make its first touch about 40x cheaper here (core/large_array.h).
  if (want >= kHugePageBytes) madvise(data, want, MADV_HUGEPAGE);
  return {data, want};
}

void release_block(PoolBlock block) {
  if (!block.data) return;
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    if (p.kept + block.capacity <= kKeepBytes) {
      p.free.push_back(block);
      p.kept += block.capacity;
      return;
    }
  }
  munmap(block.data, block.capacity);
}
#endif

}  // namespace ascmh
