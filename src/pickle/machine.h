// The non-executing pickle virtual machine (sklearn-model-files.md §6.1, §6.3): the opcode
// interpreter only. Strings are checked by pickle/text_codec.h, nodes come from
// pickle/arena.h, and the finished graph is checked by pickle/graph_check.h.
//
// Runs protocol 2..5 opcodes over an in-memory stream. GLOBALs become symbolic tokens
// (policy in globals.h), REDUCE / NEWOBJ / BUILD on tokens build records, and only the
// numpy / joblib / builtins tokens listed in globals.h are interpreted. BUILD completes the
// memoised placeholder IN PLACE (the pickler memoises an object before its BUILD, so a
// later BINGET must see the completed object).
//
// Ownership: the MachineContext owns (shares) the load's arena and borrows the stream; a
// Machine borrows its context, which must outlive it. Values it returns live in the arena.
// Thread safety: a Machine and its MachineContext belong to one thread; no global state
// here (the arena's chunk cache is process-wide: see pickle/arena.h).
#ifndef INFERD_PICKLE_MACHINE_H_
#define INFERD_PICKLE_MACHINE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "inferd/status.h"
#include "pickle/arena.h"
#include "pickle/numpy.h"
#include "pickle/reader.h"
#include "pickle/value.h"

namespace inferd::pickle {

// State shared by the outer machine and the nested object-array pickles it starts.
struct MachineContext {
  MachineContext(std::string_view s, const ReadLimits& l);
  ~MachineContext();
  MachineContext(const MachineContext&) = delete;
  MachineContext& operator=(const MachineContext&) = delete;

  std::string_view stream;  // the whole decompressed stream; offsets in messages refer to it
  // If set, keeps `stream` alive and unchanged: arrays may then view their bytes in it
  // (NdArray::data) instead of copying them.
  std::shared_ptr<const void> stream_keeper;
  const ReadLimits& limits;
  size_t nested_pickles = 0;
  std::shared_ptr<ValueArena> arena;  // owns every node of the load (pickle/arena.h)
  // Shared immutable Int values 0..255, created on first use: BININT1 is the most frequent
  // opcode of tree ensembles. Scalars are never mutated after creation (BUILD, APPEND,
  // SETITEM(S) refuse them), so one node may stand for every occurrence.
  ValuePtr small_ints[256];
  // Float values shared the same way, through a direct-mapped cache by bit pattern (a slot
  // keeps the last value that hashed to it).
  static constexpr size_t kFloatSlots = 64;
  struct SharedFloat {
    uint64_t bits = 0;
    ValuePtr value;
  } floats[kFloatSlots];
  // Every container-like Value created (tuple/list/set/dict/object/array/slice), for the
  // reader's graph check (CheckGraph in pickle/graph_check.h).
  std::vector<ValuePtr> containers;
};

class Machine {
 public:
  // Interprets the pickle starting at `start` in ctx->stream. `nesting` is 0 for the file
  // itself and 1 for a joblib nested object-array pickle (which may not nest further).
  Machine(MachineContext* ctx, size_t start, int nesting);

  // Runs to STOP and returns the top of stack. After success, end() is the offset just past
  // the STOP opcode.
  StatusOr<ValuePtr> Run();
  size_t end() const { return pos_; }

 private:
  Status Step(uint8_t op, size_t at);
  // Need and Push run for nearly every opcode: the checks are inline, the messages not.
  Status Need(size_t n, const char* what, size_t at) const {
    if (n > size_ - pos_) [[unlikely]]
      return Truncated(n, what, at);
    return Status::Ok();
  }
  Status Push(ValuePtr v, size_t at) {
    if (stack_.size() + marks_.size() >= max_stack_) [[unlikely]]
      return StackFull(at);
    stack_.push_back(std::move(v));
    return Status::Ok();
  }
  Status Truncated(size_t n, const char* what, size_t at) const;
  Status StackFull(size_t at) const;
  Status ArenaExhausted(size_t at) const;
  StatusOr<ValuePtr> Pop(size_t at, const char* what);
  StatusOr<size_t> MarkStart(size_t at, const char* what);
  ValuePtr NewValue(Kind k);      // a node from ctx_->arena
  ValuePtr NewContainer(Kind k);  // NewValue + registered in ctx_->containers
  ValuePtr NewInt(int64_t i);     // shared node for 0..255
  // Counts an array's own (not viewed) data and object links against the arena's budget.
  void ChargeArray(const NdArray& a);
  // memo[index] = top of stack for the common valid case (index in or just past the dense
  // memo, under the limit, stack non-empty above the MARK); false leaves it to MemoPut's
  // checked path, which also produces the errors.
  bool TryMemoPut(size_t index);
  Status MemoPut(size_t index, size_t at);
  StatusOr<ValuePtr> MemoGet(size_t index, size_t at) const;
  Status PushGlobal(std::string_view module, std::string_view name, size_t at);
  Status Reduce(const ValuePtr& callable, const ValuePtr& args, size_t at);
  Status NewObj(const ValuePtr& cls, const ValuePtr& args, size_t at);
  Status Build(const ValuePtr& target, const ValuePtr& state, size_t at);
  StatusOr<ValuePtr> ReadString(size_t len_bytes, bool unicode, const char* what, size_t at);

  MachineContext* ctx_;
  const uint8_t* data_;
  size_t size_;
  size_t pos_;
  int nesting_;
  size_t max_stack_;  // ctx_->limits.max_stack
  DtypeTable dtypes_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;  // stack_ sizes at each active MARK
  std::vector<ValuePtr> memo_;
  std::unordered_map<size_t, ValuePtr> sparse_memo_;  // indices beyond memo_.size()
  size_t memo_count_ = 0;
  ValuePtr none_, true_, false_;
};

}  // namespace inferd::pickle

#endif  // INFERD_PICKLE_MACHINE_H_
