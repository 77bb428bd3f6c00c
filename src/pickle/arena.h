// ValueArena: the bump allocator that owns every Value node of one load. Why: a node costs
// a pointer bump, a link is a plain pointer with no reference count, and a tree dies all at
// once without recursion.
//
// Contract: nodes are never freed one by one; the arena destroys them all, in allocation
// order, when it dies, so neither cycles nor depth matter at teardown. Links between nodes
// are plain pointers (ValuePtr); a node lives exactly as long as its arena.
// Ownership: shared (std::shared_ptr) by the load's MachineContext and by the TreePtr that
// ReadPickle hands out; the arena dies with the last of them, on any thread.
// Thread safety: NewValue() and Charge() are called by the loading thread only; after the
// load the arena is not modified until it is destroyed.
// Process-wide state: a cache of freed chunks (at most one per chunk size, 16 KiB .. 1 MiB,
// so under 2 MiB in all, kept until the process exits) shared by every arena of the
// process, so that a reload reuses the memory the previous load faulted in. Every access
// to it holds its mutex, and a chunk belongs either to one arena or to the cache, never to
// both, so arenas on different threads may take and give chunks concurrently.
#ifndef INFERD_PICKLE_ARENA_H_
#define INFERD_PICKLE_ARENA_H_

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "pickle/value.h"

namespace inferd::pickle {

// The arena budget for a stream of `stream_bytes` bytes: 64 MiB plus 8 bytes per stream
// byte, for the nodes and what opcodes copy out of other values (ValueArena::Charge). Model
// files need far less; a stream that only makes garbage (EMPTY_TUPLE, POP) passes it and is
// refused. Repeated floats and small ints share their node and cost nothing.
size_t ArenaBudget(size_t stream_bytes);

// Memory: no node is freed before the arena dies, so garbage (popped scalars, REDUCE
// temporaries) stays until then; nearly every object of a Python-written pickle is
// memoised and stays alive anyway. A hostile stream could make garbage fast, so the
// machine refuses a load whose arena passes its budget (over_budget()).
class ValueArena {
 public:
  explicit ValueArena(size_t budget) : budget_(budget) {}
  ValueArena(const ValueArena&) = delete;
  ValueArena& operator=(const ValueArena&) = delete;
  ~ValueArena();

  // A default-constructed node of kind kNone, owned by the arena. Inline: called for
  // every node of a load.
  Value* NewValue() {
    Value* v = new (Allocate(sizeof(Value), alignof(Value))) Value();
    values_.push_back(v);
    return v;
  }
  // Heap bytes a node got by copying or converting other nodes' contents rather than stream
  // bytes (a latin-1 encoding, a merged dict, an array's copied data): counted against the
  // same budget, since a stream can repeat such an opcode on one memoised value.
  void Charge(size_t bytes) { charged_ += bytes; }
  // True once the nodes and what was charged take more than the budget.
  bool over_budget() const { return reserved_ + charged_ > budget_; }

 private:
  struct alignas(std::max_align_t) Chunk {
    Chunk* next;
    size_t size;  // usable bytes after the header
  };
  class ChunkCache;  // the process-wide cache of freed chunks (arena.cc)
  static constexpr size_t kFirstChunk = size_t{16} << 10;
  static constexpr size_t kMaxChunk = size_t{1} << 20;

  void* Allocate(size_t bytes, size_t align) {
    size_t pad = (align - reinterpret_cast<uintptr_t>(cur_) % align) % align;
    if (cur_ == nullptr || pad + bytes > left_) [[unlikely]]
      pad = AddChunk(bytes, align);
    unsigned char* p = cur_ + pad;
    cur_ = p + bytes;
    left_ -= pad + bytes;
    return p;
  }
  // Starts a chunk with room for `bytes` at `align`; returns the padding needed at cur_.
  size_t AddChunk(size_t bytes, size_t align);

  const size_t budget_;
  std::vector<Value*> values_;  // every node, in allocation order (destroyed by ~ValueArena)
  Chunk* chunks_ = nullptr;
  unsigned char* cur_ = nullptr;
  size_t left_ = 0;
  size_t next_chunk_ = kFirstChunk;
  size_t reserved_ = 0;  // bytes in chunks_
  size_t charged_ = 0;   // see Charge()
};

}  // namespace inferd::pickle

#endif  // INFERD_PICKLE_ARENA_H_
