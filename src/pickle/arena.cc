#include "pickle/arena.h"

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#define INFERD_ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define INFERD_ARENA_ASAN 1
#endif
#endif
#ifdef INFERD_ARENA_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace inferd::pickle {

size_t ArenaBudget(size_t stream_bytes) {
  constexpr size_t kBase = size_t{64} << 20;
  constexpr size_t kPerByte = 8;
  return stream_bytes > (SIZE_MAX - kBase) / kPerByte ? SIZE_MAX : kBase + kPerByte * stream_bytes;
}

// Chunks of finished loads, kept for the next load. Why: malloc maps a chunk of 128 KiB or
// more and returns it to the kernel when freed, so without the cache every load and reload
// page-faults its whole node memory in again. At most one chunk of each size (kFirstChunk
// << k, up to kMaxChunk) is kept; chunks of other sizes (one huge node) are freed. Under
// ASan a cached chunk is poisoned, so a use of a dead tree's node is still caught.
// Thread safety: Take/Give may be called from any thread (a tree may die anywhere); mu_
// guards slots_.
class ValueArena::ChunkCache {
 public:
  // A cached chunk of exactly `size` usable bytes, now owned by the caller, or null.
  static Chunk* Take(size_t size) {
    const int k = SlotOf(size);
    if (k < 0) return nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    Chunk* c = std::exchange(slots_[k], nullptr);
#ifdef INFERD_ARENA_ASAN
    if (c != nullptr) ASAN_UNPOISON_MEMORY_REGION(c + 1, c->size);
#endif
    return c;
  }
  // True if the cache took `c` (then the caller must not free it).
  static bool Give(Chunk* c) {
    const int k = SlotOf(c->size);
    if (k < 0) return false;
    std::lock_guard<std::mutex> lock(mu_);
    if (slots_[k] != nullptr) return false;
    slots_[k] = c;
#ifdef INFERD_ARENA_ASAN
    ASAN_POISON_MEMORY_REGION(c + 1, c->size);
#endif
    return true;
  }

 private:
  static int SlotOf(size_t size) {
    for (int k = 0; k < kSlots; ++k) {
      if (size == kFirstChunk << k) return k;
    }
    return -1;
  }
  static constexpr int kSlots = 7;  // 16 KiB << 6 == kMaxChunk
  static_assert((kFirstChunk << (kSlots - 1)) == kMaxChunk);
  static inline std::mutex mu_;
  static inline Chunk* slots_[kSlots] = {};
};

ValueArena::~ValueArena() {
  for (Value* v : values_) v->~Value();
  while (chunks_) {
    Chunk* next = chunks_->next;
    if (!ChunkCache::Give(chunks_)) ::operator delete(chunks_);
    chunks_ = next;
  }
}

size_t ValueArena::AddChunk(size_t bytes, size_t align) {
  const size_t size = std::max(next_chunk_, bytes + align);
  next_chunk_ = std::min<size_t>(next_chunk_ * 2, kMaxChunk);
  Chunk* c = ChunkCache::Take(size);
  if (c == nullptr) c = static_cast<Chunk*>(::operator new(sizeof(Chunk) + size));
  reserved_ += size;
  c->next = chunks_;
  c->size = size;
  chunks_ = c;
  cur_ = reinterpret_cast<unsigned char*>(c + 1);
  left_ = size;
  return (align - reinterpret_cast<uintptr_t>(cur_) % align) % align;
}

}  // namespace inferd::pickle
