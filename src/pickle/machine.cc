#include "pickle/machine.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>

#include "pickle/globals.h"
#include "pickle/joblib.h"
#include "pickle/mapped_file.h"
#include "pickle/text_codec.h"

namespace inferd::pickle {
namespace {

// Strings at least this long are populated before they are copied out (PopulateForRead).
constexpr size_t kPopulateBytes = size_t{256} << 10;

// Opcodes (CPython Lib/pickletools.py names).
// clang-format off
enum Op : uint8_t {
  MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', FLOAT = 'F', INT = 'I', BININT = 'J',
  BININT1 = 'K', LONG = 'L', BININT2 = 'M', NONE = 'N', PERSID = 'P', BINPERSID = 'Q', REDUCE = 'R',
  STRING = 'S', BINSTRING = 'T', SHORT_BINSTRING = 'U', UNICODE = 'V', BINUNICODE = 'X', APPEND = 'a',
  BUILD = 'b', GLOBAL = 'c', DICT = 'd', EMPTY_DICT = '}', APPENDS = 'e', GET = 'g', BINGET = 'h',
  INST = 'i', LONG_BINGET = 'j', LIST = 'l', EMPTY_LIST = ']', OBJ = 'o', PUT = 'p', BINPUT = 'q',
  LONG_BINPUT = 'r', SETITEM = 's', TUPLE = 't', EMPTY_TUPLE = ')', SETITEMS = 'u', BINFLOAT = 'G',
  PROTO = 0x80, NEWOBJ = 0x81, EXT1 = 0x82, EXT2 = 0x83, EXT4 = 0x84, TUPLE1 = 0x85, TUPLE2 = 0x86,
  TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a, LONG4 = 0x8b, BINBYTES = 'B',
  SHORT_BINBYTES = 'C', SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e, EMPTY_SET = 0x8f,
  ADDITEMS = 0x90, FROZENSET = 0x91, NEWOBJ_EX = 0x92, STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95,
  BYTEARRAY8 = 0x96, NEXT_BUFFER = 0x97, READONLY_BUFFER = 0x98,
};
// clang-format on

const char* OpName(uint8_t op) {
  switch (op) {
    case BINUNICODE: return "BINUNICODE";
    case SHORT_BINUNICODE: return "SHORT_BINUNICODE";
    case BINUNICODE8: return "BINUNICODE8";
    case BINBYTES: return "BINBYTES";
    case SHORT_BINBYTES: return "SHORT_BINBYTES";
    case BINBYTES8: return "BINBYTES8";
    case BYTEARRAY8: return "BYTEARRAY8";
    case BINSTRING: return "BINSTRING";
    case SHORT_BINSTRING: return "SHORT_BINSTRING";
    default: return "opcode";
  }
}

std::string At(size_t at) { return " at byte " + std::to_string(at); }
Status Bad(const std::string& what, size_t at) { return Status::InvalidArgument(what + At(at)); }

std::string HexByte(uint8_t b) {
  static const char* d = "0123456789abcdef";
  return std::string("0x") + d[b >> 4] + d[b & 15];
}

template <typename T>
T LoadLE(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

GlobalRole RoleOf(const Value& g) { return static_cast<GlobalRole>(g.i); }

// A type reference (builtins.object, numpy.float64, ...) is only ever a value: calling it
// would construct something the file chose, so REDUCE / NEWOBJ on it is refused.
Status RefuseTypeCall(const Value& type, size_t at) {
  return Bad("calling type '" + type.s + "' is not supported (a type is only accepted as a value)", at);
}

bool IsWrapperRecord(const Value& v) {
  return v.kind == Kind::kObject && (v.cls == kNumpyArrayWrapper || v.cls == kVendoredNumpyArrayWrapper);
}

// _codecs.encode(text, 'latin1') into *out; `at` is the REDUCE's offset for the message.
Status EncodeLatin1(const std::string& text, std::string* out, size_t at) {
  if (!Latin1FromUtf8(text, out)) return Bad("latin-1 encoding of a character above U+00FF", at);
  return Status::Ok();
}

bool IsLatin1Name(const Value& v) {
  return v.kind == Kind::kStr && (v.s == "latin1" || v.s == "latin-1" || v.s == "iso-8859-1" || v.s == "iso8859-1");
}

}  // namespace

MachineContext::MachineContext(std::string_view s, const ReadLimits& l)
    : stream(s), limits(l), arena(std::make_shared<ValueArena>(ArenaBudget(s.size()))) {}

MachineContext::~MachineContext() = default;

Machine::Machine(MachineContext* ctx, size_t start, int nesting)
    : ctx_(ctx),
      data_(reinterpret_cast<const uint8_t*>(ctx->stream.data())),
      size_(ctx->stream.size()),
      pos_(start),
      nesting_(nesting),
      max_stack_(ctx->limits.max_stack),
      dtypes_(ctx->limits.max_depth) {
  // Growth of these vectors is a burst of copies and, once they pass 1 KiB, a glibc
  // malloc_consolidate over every small chunk freed so far. Model files hold about one memo
  // entry and one container per 64 stream bytes, so reserve that much, capped so a big file
  // costs at most 1 MiB here.
  const size_t hint = std::min<size_t>((size_ - start) / 64, size_t{1} << 16);
  stack_.reserve(64);
  memo_.reserve(hint);
  if (nesting == 0) ctx->containers.reserve(hint);  // the outer stream includes the nested ones
  none_ = NewValue(Kind::kNone);
  true_ = NewValue(Kind::kBool);
  true_->b = true;
  false_ = NewValue(Kind::kBool);
}

Status Machine::Truncated(size_t n, const char* what, size_t at) const {
  return Status::InvalidArgument("truncated file: expected " + std::to_string(n) + " bytes for " + what + At(at) +
                                 ", only " + std::to_string(size_ - pos_) + " left");
}

Status Machine::ArenaExhausted(size_t at) const {
  return Status::ResourceExhausted("the pickle makes more values than a stream of " + std::to_string(size_) +
                                   " bytes may (" + std::to_string(ArenaBudget(size_) >> 20) + " MiB of nodes)" +
                                   At(at));
}

Status Machine::StackFull(size_t at) const {
  return Status::ResourceExhausted("pickle stack exceeds " + std::to_string(max_stack_) + " entries" + At(at));
}

StatusOr<ValuePtr> Machine::Pop(size_t at, const char* what) {
  size_t floor = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= floor) return Bad(std::string("stack underflow in ") + what, at);
  ValuePtr v = std::move(stack_.back());
  stack_.pop_back();
  return v;
}

StatusOr<size_t> Machine::MarkStart(size_t at, const char* what) {
  if (marks_.empty()) return Bad(std::string(what) + " without a MARK", at);
  size_t m = marks_.back();
  marks_.pop_back();
  return m;
}

void Machine::ChargeArray(const NdArray& a) {
  ctx_->arena->Charge((a.data.is_view() ? 0 : a.data.size()) + a.objects.size() * sizeof(ValuePtr));
}

ValuePtr Machine::NewValue(Kind k) {
  ValuePtr v(ctx_->arena->NewValue());
  v->kind = k;
  return v;
}

ValuePtr Machine::NewContainer(Kind k) {
  ValuePtr v = NewValue(k);
  ctx_->containers.push_back(v);
  return v;
}

ValuePtr Machine::NewInt(int64_t i) {
  if (i >= 0 && i < 256) {
    ValuePtr& shared = ctx_->small_ints[i];
    if (!shared) {
      shared = NewValue(Kind::kInt);
      shared->i = i;
    }
    return shared;
  }
  ValuePtr v = NewValue(Kind::kInt);
  v->i = i;
  return v;
}

bool Machine::TryMemoPut(size_t index) {
  if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) return false;
  if (index < memo_.size()) {
    if (!memo_[index]) {
      if (memo_count_ >= ctx_->limits.max_memo) return false;
      ++memo_count_;
    }
    memo_[index] = stack_.back();
    return true;
  }
  if (index == memo_.size() && sparse_memo_.empty() && memo_count_ < ctx_->limits.max_memo) {
    memo_.push_back(stack_.back());
    ++memo_count_;
    return true;
  }
  return false;
}

Status Machine::MemoPut(size_t index, size_t at) {
  if (TryMemoPut(index)) return Status::Ok();
  // The uncommon cases: errors, sparse indices, absorbing sparse entries.
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
    return Bad("memo store with an empty stack", at);
  }
  const ValuePtr& v = stack_.back();
  if (index < memo_.size()) {
    if (!memo_[index]) ++memo_count_;
    memo_[index] = v;
  } else if (index == memo_.size()) {
    memo_.push_back(v);
    ++memo_count_;
    // Absorb sparse entries that are now contiguous.
    while (!sparse_memo_.empty()) {
      auto it = sparse_memo_.find(memo_.size());
      if (it == sparse_memo_.end()) break;
      memo_.push_back(std::move(it->second));
      sparse_memo_.erase(it);
    }
  } else {
    auto [it, inserted] = sparse_memo_.insert_or_assign(index, v);
    if (inserted) ++memo_count_;
  }
  if (memo_count_ > ctx_->limits.max_memo) {
    return Status::ResourceExhausted("pickle memo exceeds " + std::to_string(ctx_->limits.max_memo) + " entries" +
                                     At(at));
  }
  return Status::Ok();
}

StatusOr<ValuePtr> Machine::MemoGet(size_t index, size_t at) const {
  if (index < memo_.size() && memo_[index]) return memo_[index];
  auto it = sparse_memo_.find(index);
  if (it != sparse_memo_.end()) return it->second;
  return Bad("memo index " + std::to_string(index) + " is not defined (memo holds " + std::to_string(memo_count_) +
                 " entries)",
             at);
}

Status Machine::PushGlobal(std::string_view module, std::string_view name, size_t at) {
  INFERD_ASSIGN_OR_RETURN(GlobalRole role, ClassifyGlobal(module, name, at));
  ValuePtr g = NewValue(Kind::kGlobal);
  g->s = GlobalName(module, name);
  g->i = static_cast<int64_t>(role);  // internal: the reader's GlobalRole for REDUCE/NEWOBJ
  return Push(std::move(g), at);
}

StatusOr<ValuePtr> Machine::ReadString(size_t len_bytes, bool unicode, const char* what, size_t at) {
  INFERD_RETURN_IF_ERROR(Need(len_bytes, what, at));
  uint64_t len = 0;
  switch (len_bytes) {
    case 1: len = data_[pos_]; break;
    case 4: len = LoadLE<uint32_t>(data_ + pos_); break;
    default: len = LoadLE<uint64_t>(data_ + pos_); break;
  }
  pos_ += len_bytes;
  if (len > size_ - pos_) {
    return Status::InvalidArgument("truncated file: expected " + std::to_string(len) + " bytes for " + what + At(at) +
                                   ", only " + std::to_string(size_ - pos_) + " left");
  }
  const uint8_t* p = data_ + pos_;
  if (unicode && !ValidUtf8(p, len)) return Bad(std::string("invalid UTF-8 in ") + what, at);
  ValuePtr v = NewValue(unicode ? Kind::kStr : Kind::kBytes);
  if (len >= kPopulateBytes) PopulateForRead(reinterpret_cast<const char*>(p), len);
  v->s.assign(reinterpret_cast<const char*>(p), len);
  pos_ += len;
  return v;
}

StatusOr<ValuePtr> Machine::Run() {
  if (size_ - pos_ < 2 || data_[pos_] != PROTO) {
    if (pos_ < size_ && data_[pos_] != PROTO) {
      return Bad("not a pickle protocol 2-5 stream (first opcode " + HexByte(data_[pos_]) +
                     "; protocol 0/1 pickles are not supported)",
                 pos_);
    }
    return Bad("truncated file: no pickle header", pos_);
  }
  while (pos_ < size_) {
    const size_t at = pos_;
    const uint8_t op = data_[pos_++];
    // Fast paths for the opcodes that make up most of a model file (BINGET, BINPUT,
    // LONG_BINPUT, BININT1, NONE, NEWFALSE/NEWTRUE).
    // They cover only the common, valid case and leave anything else -- a truncated operand,
    // a full stack, a MARK boundary, an undefined or sparse memo index -- to Step(), which
    // repeats the checks and produces the error. Same results as Step(), minus the Status
    // round trip per opcode.
    const bool room = stack_.size() + marks_.size() < max_stack_;
    switch (op) {
      case BINGET:
        if (pos_ < size_ && room) {
          const size_t idx = data_[pos_];
          if (idx < memo_.size() && memo_[idx]) {
            ++pos_;
            stack_.push_back(memo_[idx]);
            continue;
          }
        }
        break;
      case BINPUT:
      case LONG_BINPUT: {
        const size_t len = op == BINPUT ? 1 : 4;
        if (size_ - pos_ >= len && TryMemoPut(op == BINPUT ? data_[pos_] : LoadLE<uint32_t>(data_ + pos_))) {
          pos_ += len;
          continue;
        }
        break;
      }
      case BININT1:
        if (pos_ < size_ && room) {
          stack_.push_back(NewInt(data_[pos_++]));
          continue;
        }
        break;
      case NONE:
      case NEWFALSE:
      case NEWTRUE:
        if (room) {
          stack_.push_back(op == NONE ? none_ : op == NEWFALSE ? false_ : true_);
          continue;
        }
        break;
      default: break;
    }
    if (op == STOP) {
      INFERD_ASSIGN_OR_RETURN(ValuePtr result, Pop(at, "STOP"));
      return result;
    }
    INFERD_RETURN_IF_ERROR(Step(op, at));
    // Only Step makes nodes (the fast paths above share theirs).
    if (ctx_->arena->over_budget()) [[unlikely]]
      return ArenaExhausted(at);
  }
  return Status::InvalidArgument("truncated file: the pickle ends at byte " + std::to_string(size_) +
                                 " without a STOP opcode");
}

Status Machine::Step(uint8_t op, size_t at) {
  switch (op) {
    case PROTO: {
      INFERD_RETURN_IF_ERROR(Need(1, "PROTO", at));
      uint8_t proto = data_[pos_++];
      if (proto < 2 || proto > 5) return Bad("unsupported pickle protocol " + std::to_string(proto), at);
      return Status::Ok();
    }
    case FRAME:
      // Advisory: joblib splices raw array bytes outside frames, so read sequentially.
      INFERD_RETURN_IF_ERROR(Need(8, "FRAME", at));
      pos_ += 8;
      return Status::Ok();
    case NONE: return Push(none_, at);
    case NEWTRUE: return Push(true_, at);
    case NEWFALSE: return Push(false_, at);
    case BININT:
    case BININT1:
    case BININT2: {
      int64_t i;
      if (op == BININT) {
        INFERD_RETURN_IF_ERROR(Need(4, "BININT", at));
        i = LoadLE<int32_t>(data_ + pos_);
        pos_ += 4;
      } else if (op == BININT1) {
        INFERD_RETURN_IF_ERROR(Need(1, "BININT1", at));
        i = data_[pos_++];
      } else {
        INFERD_RETURN_IF_ERROR(Need(2, "BININT2", at));
        i = LoadLE<uint16_t>(data_ + pos_);
        pos_ += 2;
      }
      return Push(NewInt(i), at);
    }
    case LONG1:
    case LONG4: {
      uint64_t n;
      if (op == LONG1) {
        INFERD_RETURN_IF_ERROR(Need(1, "LONG1", at));
        n = data_[pos_++];
      } else {
        INFERD_RETURN_IF_ERROR(Need(4, "LONG4", at));
        n = LoadLE<uint32_t>(data_ + pos_);
        pos_ += 4;
      }
      if (n > 8) return Bad("integer of " + std::to_string(n) + " bytes does not fit in int64", at);
      INFERD_RETURN_IF_ERROR(Need(n, "LONG1", at));
      uint64_t u = 0;
      for (size_t k = 0; k < n; ++k) u |= static_cast<uint64_t>(data_[pos_ + k]) << (8 * k);
      if (n > 0 && n < 8 && (data_[pos_ + n - 1] & 0x80)) u |= ~uint64_t{0} << (8 * n);  // sign-extend
      pos_ += n;
      return Push(NewInt(static_cast<int64_t>(u)), at);
    }
    case BINFLOAT: {
      INFERD_RETURN_IF_ERROR(Need(8, "BINFLOAT", at));
      uint64_t bits = __builtin_bswap64(LoadLE<uint64_t>(data_ + pos_));  // big-endian on the wire
      pos_ += 8;
      // Shared like small ints (MachineContext::floats): an ensemble repeats the same few
      // values (0.0, 1.0, a tolerance) in every estimator, and no node is ever freed early.
      MachineContext::SharedFloat& slot =
          ctx_->floats[(bits ^ (bits >> 29) ^ (bits >> 47)) % MachineContext::kFloatSlots];
      if (!slot.value || slot.bits != bits) {
        slot.value = NewValue(Kind::kFloat);
        std::memcpy(&slot.value->f, &bits, 8);
        slot.bits = bits;
      }
      return Push(slot.value, at);
    }
    case SHORT_BINUNICODE:
    case BINUNICODE:
    case BINUNICODE8: {
      size_t lb = op == SHORT_BINUNICODE ? 1 : op == BINUNICODE ? 4 : 8;
      INFERD_ASSIGN_OR_RETURN(ValuePtr v, ReadString(lb, true, OpName(op), at));
      return Push(std::move(v), at);
    }
    case SHORT_BINBYTES:
    case BINBYTES:
    case BINBYTES8:
    case BYTEARRAY8:
    case SHORT_BINSTRING:
    case BINSTRING: {
      size_t lb = (op == SHORT_BINBYTES || op == SHORT_BINSTRING) ? 1 : (op == BINBYTES || op == BINSTRING) ? 4 : 8;
      INFERD_ASSIGN_OR_RETURN(ValuePtr v, ReadString(lb, false, OpName(op), at));
      return Push(std::move(v), at);
    }
    case MARK:
      if (marks_.size() >= ctx_->limits.max_depth) {
        return Status::ResourceExhausted("MARK nesting deeper than " + std::to_string(ctx_->limits.max_depth) + At(at));
      }
      if (stack_.size() + marks_.size() >= ctx_->limits.max_stack) {
        return Status::ResourceExhausted("pickle stack exceeds " + std::to_string(ctx_->limits.max_stack) + " entries" +
                                         At(at));
      }
      marks_.push_back(stack_.size());
      return Status::Ok();
    case POP: return Pop(at, "POP").status();
    case POP_MARK: {
      INFERD_ASSIGN_OR_RETURN(size_t m, MarkStart(at, "POP_MARK"));
      stack_.resize(m);
      return Status::Ok();
    }
    case DUP: {
      size_t floor = marks_.empty() ? 0 : marks_.back();
      if (stack_.size() <= floor) return Bad("stack underflow in DUP", at);
      ValuePtr top = stack_.back();
      return Push(std::move(top), at);
    }
    case EMPTY_TUPLE: return Push(NewContainer(Kind::kTuple), at);
    case EMPTY_LIST: return Push(NewContainer(Kind::kList), at);
    case EMPTY_DICT: return Push(NewContainer(Kind::kDict), at);
    case EMPTY_SET: return Push(NewContainer(Kind::kSet), at);
    case TUPLE1:
    case TUPLE2:
    case TUPLE3: {
      size_t n = op - TUPLE1 + 1;
      size_t floor = marks_.empty() ? 0 : marks_.back();
      if (stack_.size() < floor + n) return Bad("stack underflow in TUPLE" + std::to_string(n), at);
      ValuePtr t = NewContainer(Kind::kTuple);
      t->items.assign(std::make_move_iterator(stack_.end() - static_cast<ptrdiff_t>(n)),
                      std::make_move_iterator(stack_.end()));
      stack_.resize(stack_.size() - n);
      return Push(std::move(t), at);
    }
    case TUPLE:
    case FROZENSET: {
      INFERD_ASSIGN_OR_RETURN(size_t m, MarkStart(at, op == TUPLE ? "TUPLE" : "FROZENSET"));
      ValuePtr t = NewContainer(op == TUPLE ? Kind::kTuple : Kind::kSet);
      t->items.assign(std::make_move_iterator(stack_.begin() + static_cast<ptrdiff_t>(m)),
                      std::make_move_iterator(stack_.end()));
      stack_.resize(m);
      return Push(std::move(t), at);
    }
    case APPEND: {
      INFERD_ASSIGN_OR_RETURN(ValuePtr v, Pop(at, "APPEND"));
      size_t floor = marks_.empty() ? 0 : marks_.back();
      if (stack_.size() <= floor) return Bad("stack underflow in APPEND", at);
      Value& list = *stack_.back();
      if (list.kind != Kind::kList && list.kind != Kind::kObject) return Bad("APPEND to " + list.Describe(), at);
      list.items.push_back(std::move(v));
      return Status::Ok();
    }
    case APPENDS:
    case ADDITEMS: {
      const char* name = op == APPENDS ? "APPENDS" : "ADDITEMS";
      INFERD_ASSIGN_OR_RETURN(size_t m, MarkStart(at, name));
      size_t floor = marks_.empty() ? 0 : marks_.back();
      if (m <= floor || m > stack_.size()) return Bad(std::string("stack underflow in ") + name, at);
      Value& c = *stack_[m - 1];
      bool ok = op == APPENDS ? (c.kind == Kind::kList || c.kind == Kind::kObject) : c.kind == Kind::kSet;
      if (!ok) return Bad(std::string(name) + " to " + c.Describe(), at);
      c.items.insert(c.items.end(), std::make_move_iterator(stack_.begin() + static_cast<ptrdiff_t>(m)),
                     std::make_move_iterator(stack_.end()));
      stack_.resize(m);
      return Status::Ok();
    }
    case SETITEM: {
      INFERD_ASSIGN_OR_RETURN(ValuePtr v, Pop(at, "SETITEM"));
      INFERD_ASSIGN_OR_RETURN(ValuePtr k, Pop(at, "SETITEM"));
      size_t floor = marks_.empty() ? 0 : marks_.back();
      if (stack_.size() <= floor) return Bad("stack underflow in SETITEM", at);
      Value& d = *stack_.back();
      if (d.kind != Kind::kDict && d.kind != Kind::kObject) return Bad("SETITEM on " + d.Describe(), at);
      d.entries.emplace_back(std::move(k), std::move(v));
      return Status::Ok();
    }
    case SETITEMS: {
      INFERD_ASSIGN_OR_RETURN(size_t m, MarkStart(at, "SETITEMS"));
      size_t floor = marks_.empty() ? 0 : marks_.back();
      if (m <= floor || m > stack_.size()) return Bad("stack underflow in SETITEMS", at);
      if ((stack_.size() - m) % 2 != 0) return Bad("SETITEMS with an odd number of items", at);
      Value& d = *stack_[m - 1];
      if (d.kind != Kind::kDict && d.kind != Kind::kObject) return Bad("SETITEMS on " + d.Describe(), at);
      d.entries.reserve(d.entries.size() + (stack_.size() - m) / 2);
      for (size_t k = m; k < stack_.size(); k += 2)
        d.entries.emplace_back(std::move(stack_[k]), std::move(stack_[k + 1]));
      stack_.resize(m);
      return Status::Ok();
    }
    case MEMOIZE: return MemoPut(memo_count_, at);  // Python: memo[len(memo)] = top
    case BINPUT: {
      INFERD_RETURN_IF_ERROR(Need(1, "BINPUT", at));
      return MemoPut(data_[pos_++], at);
    }
    case LONG_BINPUT: {
      INFERD_RETURN_IF_ERROR(Need(4, "LONG_BINPUT", at));
      size_t idx = LoadLE<uint32_t>(data_ + pos_);
      pos_ += 4;
      return MemoPut(idx, at);
    }
    case BINGET:
    case LONG_BINGET: {
      size_t idx;
      if (op == BINGET) {
        INFERD_RETURN_IF_ERROR(Need(1, "BINGET", at));
        idx = data_[pos_++];
      } else {
        INFERD_RETURN_IF_ERROR(Need(4, "LONG_BINGET", at));
        idx = LoadLE<uint32_t>(data_ + pos_);
        pos_ += 4;
      }
      INFERD_ASSIGN_OR_RETURN(ValuePtr v, MemoGet(idx, at));
      return Push(std::move(v), at);
    }
    case GLOBAL: {
      std::string_view parts[2];
      for (auto& part : parts) {
        const void* nl = std::memchr(data_ + pos_, '\n', std::min<size_t>(size_ - pos_, 512));
        if (!nl) {
          if (size_ - pos_ < 512) return Bad("truncated file: unterminated GLOBAL name", at);
          return Bad("GLOBAL name longer than 512 bytes", at);
        }
        size_t len = static_cast<const uint8_t*>(nl) - (data_ + pos_);
        part = std::string_view(reinterpret_cast<const char*>(data_ + pos_), len);
        pos_ += len + 1;
      }
      return PushGlobal(parts[0], parts[1], at);
    }
    case STACK_GLOBAL: {
      INFERD_ASSIGN_OR_RETURN(ValuePtr name, Pop(at, "STACK_GLOBAL"));
      INFERD_ASSIGN_OR_RETURN(ValuePtr module, Pop(at, "STACK_GLOBAL"));
      if (name->kind != Kind::kStr || module->kind != Kind::kStr) {
        return Bad("STACK_GLOBAL needs two str, found " + module->Describe() + " and " + name->Describe(), at);
      }
      return PushGlobal(module->s, name->s, at);
    }
    case REDUCE: {
      INFERD_ASSIGN_OR_RETURN(ValuePtr args, Pop(at, "REDUCE"));
      INFERD_ASSIGN_OR_RETURN(ValuePtr fn, Pop(at, "REDUCE"));
      return Reduce(fn, args, at);
    }
    case NEWOBJ: {
      INFERD_ASSIGN_OR_RETURN(ValuePtr args, Pop(at, "NEWOBJ"));
      INFERD_ASSIGN_OR_RETURN(ValuePtr cls, Pop(at, "NEWOBJ"));
      return NewObj(cls, args, at);
    }
    case NEWOBJ_EX: {
      INFERD_ASSIGN_OR_RETURN(ValuePtr kwargs, Pop(at, "NEWOBJ_EX"));
      INFERD_ASSIGN_OR_RETURN(ValuePtr args, Pop(at, "NEWOBJ_EX"));
      INFERD_ASSIGN_OR_RETURN(ValuePtr cls, Pop(at, "NEWOBJ_EX"));
      if (kwargs->kind != Kind::kDict || !kwargs->entries.empty()) {
        return Status::Unimplemented("NEWOBJ_EX with keyword arguments" + At(at));
      }
      return NewObj(cls, args, at);
    }
    case BUILD: {
      INFERD_ASSIGN_OR_RETURN(ValuePtr state, Pop(at, "BUILD"));
      size_t floor = marks_.empty() ? 0 : marks_.back();
      if (stack_.size() <= floor) return Bad("stack underflow in BUILD", at);
      return Build(stack_.back(), state, at);
    }
    case NEXT_BUFFER:
    case READONLY_BUFFER:
      return Status::Unimplemented("out-of-band pickle buffers (NEXT_BUFFER/READONLY_BUFFER) are not supported" +
                                   At(at));
    case PERSID:
    case BINPERSID: return Bad("persistent IDs (PERSID/BINPERSID) are not supported", at);
    case EXT1:
    case EXT2:
    case EXT4: return Bad("extension registry opcodes (EXT1/EXT2/EXT4) are not supported", at);
    case INST:
    case OBJ: return Bad("protocol 0/1 object opcodes (INST/OBJ) are not supported", at);
    case INT:
    case LONG:
    case FLOAT:
    case STRING:
    case UNICODE:
    case GET:
    case PUT:
    case DICT:
    case LIST:
      return Bad("protocol 0/1 text opcode '" + std::string(1, static_cast<char>(op)) + "' is not supported", at);
    default: return Bad("bad opcode " + HexByte(op), at);
  }
}

Status Machine::Reduce(const ValuePtr& fn, const ValuePtr& args, size_t at) {
  if (fn->kind != Kind::kGlobal) return Bad("REDUCE on a non-global callable (" + fn->Describe() + ")", at);
  if (args->kind != Kind::kTuple) return Bad("REDUCE arguments must be a tuple, found " + args->Describe(), at);
  const auto& a = args->items;
  switch (RoleOf(*fn)) {
    case GlobalRole::kReconstruct: {
      if (a.empty() || a[0]->kind != Kind::kGlobal || RoleOf(*a[0]) != GlobalRole::kArrayType) {
        return Bad("_reconstruct expects numpy.ndarray as its first argument, found " +
                       (a.empty() ? std::string("nothing") : a[0]->Describe()),
                   at);
      }
      ValuePtr v = NewContainer(Kind::kArray);
      v->array = std::make_shared<NdArray>();  // a placeholder: dtype stays null until BUILD
      return Push(std::move(v), at);
    }
    case GlobalRole::kScalar: {
      INFERD_ASSIGN_OR_RETURN(auto arr, MakeScalar(*args, dtypes_, at));
      ChargeArray(*arr);
      ValuePtr v = NewContainer(Kind::kArray);
      v->array = std::move(arr);
      return Push(std::move(v), at);
    }
    case GlobalRole::kFrombuffer: {
      INFERD_ASSIGN_OR_RETURN(auto arr, MakeFromBuffer(*args, dtypes_, at));
      ChargeArray(*arr);
      ValuePtr v = NewContainer(Kind::kArray);
      v->array = std::move(arr);
      return Push(std::move(v), at);
    }
    case GlobalRole::kDtype: {
      INFERD_ASSIGN_OR_RETURN(auto d, dtypes_.Create(*args, at));
      ValuePtr v = NewValue(Kind::kDtype);
      v->dtype = std::move(d);
      return Push(std::move(v), at);
    }
    case GlobalRole::kCodecsEncode: {
      if (a.size() != 2 || a[0]->kind != Kind::kStr || !IsLatin1Name(*a[1])) {
        return Bad("_codecs.encode is only accepted as encode(str, 'latin1'), found " + args->Describe() +
                       (a.size() == 2 ? " with encoding " + a[1]->Describe() : ""),
                   at);
      }
      ValuePtr v = NewValue(Kind::kBytes);
      INFERD_RETURN_IF_ERROR(EncodeLatin1(a[0]->s, &v->s, at));
      ctx_->arena->Charge(v->s.size());
      return Push(std::move(v), at);
    }
    case GlobalRole::kBytes:
    case GlobalRole::kBytearray: {
      // bytes(b) / bytearray(b) hold b's bytes, and nothing here mutates a value: the node itself
      // stands for the copy (a booster's bytearray is the model, megabytes long).
      if (a.size() == 1 && a[0]->kind == Kind::kBytes) return Push(a[0], at);
      ValuePtr v = NewValue(Kind::kBytes);
      if (a.empty()) {
      } else if (a.size() == 2 && a[0]->kind == Kind::kStr && IsLatin1Name(*a[1])) {
        INFERD_RETURN_IF_ERROR(EncodeLatin1(a[0]->s, &v->s, at));
      } else {
        return Bad(fn->s + " with unsupported arguments " + args->Describe(), at);
      }
      ctx_->arena->Charge(v->s.size());
      return Push(std::move(v), at);
    }
    case GlobalRole::kSlice: {
      if (a.empty() || a.size() > 3) return Bad("slice expects 1 to 3 arguments", at);
      // Bounds may be column names (ColumnTransformer's slice('age', 'fare')); a step may not.
      for (size_t i = 0; i < a.size(); ++i) {
        const bool is_step = a.size() == 3 && i == 2;
        const bool name_ok = !is_step && a[i]->kind == Kind::kStr;
        if (a[i]->kind != Kind::kNone && a[i]->kind != Kind::kInt && !name_ok)
          return Bad("slice bound must be None, int or str, found " + a[i]->Describe(), at);
      }
      ValuePtr v = NewContainer(Kind::kSlice);
      if (a.size() == 1) {
        v->items = {none_, a[0], none_};
      } else {
        v->items = a;
        while (v->items.size() < 3) v->items.push_back(none_);
      }
      return Push(std::move(v), at);
    }
    case GlobalRole::kSet:
    case GlobalRole::kFrozenset: {
      ValuePtr v = NewContainer(Kind::kSet);
      if (a.size() == 1 && (a[0]->kind == Kind::kList || a[0]->kind == Kind::kTuple || a[0]->kind == Kind::kSet)) {
        v->items = a[0]->items;
        ctx_->arena->Charge(v->items.size() * sizeof(ValuePtr));
      } else if (!a.empty()) {
        return Bad(fn->s + " with unsupported arguments " + args->Describe(), at);
      }
      return Push(std::move(v), at);
    }
    case GlobalRole::kOrderedDict: {
      ValuePtr v = NewContainer(Kind::kDict);
      if (a.size() == 1 && a[0]->kind == Kind::kList) {
        for (const ValuePtr& p : a[0]->items) {
          if ((p->kind != Kind::kTuple && p->kind != Kind::kList) || p->items.size() != 2) {
            return Bad("OrderedDict item must be a pair, found " + p->Describe(), at);
          }
          v->entries.emplace_back(p->items[0], p->items[1]);
        }
        ctx_->arena->Charge(v->entries.size() * sizeof(v->entries[0]));
      } else if (!a.empty()) {
        return Bad("OrderedDict with unsupported arguments " + args->Describe(), at);
      }
      return Push(std::move(v), at);
    }
    case GlobalRole::kArrayType: return Bad("calling " + fn->s + " directly is not supported", at);
    case GlobalRole::kTypeReference: return RefuseTypeCall(*fn, at);
    case GlobalRole::kNumpyArrayWrapper:
    case GlobalRole::kOpaque:
    case GlobalRole::kModelClass: {
      ValuePtr v = NewContainer(Kind::kObject);
      v->cls = fn->s;
      v->args = args;
      return Push(std::move(v), at);
    }
  }
  return Status::Internal("unhandled global role" + At(at));
}

Status Machine::NewObj(const ValuePtr& cls, const ValuePtr& args, size_t at) {
  if (cls->kind != Kind::kGlobal) return Bad("NEWOBJ on a non-class (" + cls->Describe() + ")", at);
  if (args->kind != Kind::kTuple) return Bad("NEWOBJ arguments must be a tuple, found " + args->Describe(), at);
  switch (RoleOf(*cls)) {
    case GlobalRole::kSet:
    case GlobalRole::kFrozenset:
    case GlobalRole::kOrderedDict:
    case GlobalRole::kBytes:
    case GlobalRole::kBytearray: return Reduce(cls, args, at);
    case GlobalRole::kTypeReference: return RefuseTypeCall(*cls, at);
    case GlobalRole::kNumpyArrayWrapper:
    case GlobalRole::kOpaque:
    case GlobalRole::kModelClass: {
      ValuePtr v = NewContainer(Kind::kObject);
      v->cls = cls->s;
      v->args = args;
      return Push(std::move(v), at);
    }
    default: return Bad("NEWOBJ on " + cls->s + " is not supported", at);
  }
}

Status Machine::Build(const ValuePtr& target, const ValuePtr& state, size_t at) {
  Value& t = *target;
  switch (t.kind) {
    case Kind::kObject: {
      if (IsWrapperRecord(t)) {
        if (t.state) return Bad("BUILD applied twice to a NumpyArrayWrapper", at);
        return CompleteArrayWrapper(&t, *state, dtypes_, ctx_, nesting_, &pos_, at);
      }
      if (state->is_none()) return Status::Ok();
      // (dict, slots_dict): merge both into one dict.
      if (state->kind == Kind::kTuple && state->items.size() == 2 &&
          (state->items[0]->kind == Kind::kDict || state->items[0]->is_none()) &&
          state->items[1]->kind == Kind::kDict) {
        ValuePtr merged = NewContainer(Kind::kDict);
        for (const ValuePtr& part : state->items)
          merged->entries.insert(merged->entries.end(), part->entries.begin(), part->entries.end());
        if (t.state && t.state->kind == Kind::kDict) {
          merged->entries.insert(merged->entries.begin(), t.state->entries.begin(), t.state->entries.end());
        }
        ctx_->arena->Charge(merged->entries.size() * sizeof(merged->entries[0]));
        t.state = std::move(merged);
        return Status::Ok();
      }
      if (state->kind == Kind::kDict && t.state && t.state->kind == Kind::kDict) {
        ValuePtr merged = NewContainer(Kind::kDict);
        merged->entries = t.state->entries;
        merged->entries.insert(merged->entries.end(), state->entries.begin(), state->entries.end());
        ctx_->arena->Charge(merged->entries.size() * sizeof(merged->entries[0]));
        t.state = std::move(merged);
        return Status::Ok();
      }
      t.state = state;
      return Status::Ok();
    }
    case Kind::kArray:
      if (!t.array || t.array->dtype) return Bad("BUILD on a finished ndarray", at);
      INFERD_RETURN_IF_ERROR(BuildReconstructed(t.array.get(), *state, dtypes_, at));
      ChargeArray(*t.array);
      return Status::Ok();
    case Kind::kDtype: return dtypes_.Build(t.dtype, *state, at);
    case Kind::kDict:
    case Kind::kBytes:
    case Kind::kSet:
      // OrderedDict / bytearray / set carry an instance __dict__ that is None or empty.
      if (state->is_none() || (state->kind == Kind::kDict && state->entries.empty())) return Status::Ok();
      return Bad("BUILD with state " + state->Describe() + " on " + t.Describe(), at);
    default: return Bad("BUILD on " + t.Describe(), at);
  }
}

}  // namespace inferd::pickle
