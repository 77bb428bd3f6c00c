#include "pickle/machine.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>

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
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define INFERD_LATIN1_SSSE3 1
#endif

#include "pickle/globals.h"
#include "pickle/joblib.h"

namespace inferd::pickle {
namespace {

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

// True iff p[0..n) is UTF-8 that only encodes U+0000..U+00FF: every byte is ASCII, a lead
// byte 0xC2/0xC3 immediately followed by a continuation byte (0x80..0xBF), or such a
// continuation byte. This is the common shape of non-ASCII text in model files, and the
// whole shape of the protocol-2 encoding of binary data (_codecs.encode(str, 'latin1')),
// where ASCII and non-ASCII bytes alternate at random. Whether a byte is acceptable
// depends only on it and its predecessor, so 16 bytes are checked at once without a
// data-dependent branch; the branchy general validator below mispredicts about every
// other byte on such data.
bool IsLatin1RangeUtf8(const uint8_t* p, size_t n) {
  if (n == 0) return true;
  // 0xC0, 0xC1 and 0xC4..0xFF are overlong leads or leads of code points above U+00FF:
  // bytes >= 0xC0 that are not 0xC2/0xC3. A byte must be a continuation exactly when its
  // predecessor is a 0xC2/0xC3 lead.
  auto is_lead = [](uint8_t c) -> uint8_t { return (c & 0xFEu) == 0xC2u; };
  auto is_cont = [](uint8_t c) -> uint8_t { return (c & 0xC0u) == 0x80u; };
  auto is_high = [](uint8_t c) -> uint8_t { return (c & 0xC0u) == 0xC0u; };
  uint8_t bad = static_cast<uint8_t>(is_cont(p[0]) | (is_high(p[0]) ^ is_lead(p[0])) | is_lead(p[n - 1]));
  size_t j = 1;
  // 16 bytes at a time with GCC/Clang vector extensions (SSE2 on x86-64, NEON on arm64):
  // each lane compares byte j with byte j - 1, exactly as the scalar tail does.
  using V16 = uint8_t __attribute__((vector_size(16)));
  V16 acc = {};
  for (; j + 16 <= n; j += 16) {
    V16 cur, prev;
    std::memcpy(&cur, p + j, 16);
    std::memcpy(&prev, p + j - 1, 16);
    const V16 cont = (V16)((cur & 0xC0) == 0x80);  // lanes are 0x00 or 0xFF
    const V16 lead_before = (V16)((prev & 0xFE) == 0xC2);
    const V16 high = (V16)((cur & 0xC0) == 0xC0);
    const V16 lead = (V16)((cur & 0xFE) == 0xC2);
    acc |= (cont ^ lead_before) | (high ^ lead);
  }
  uint64_t halves[2];
  std::memcpy(halves, &acc, 16);
  if (halves[0] | halves[1]) return false;
  for (; j < n; ++j) {
    bad |= static_cast<uint8_t>((is_cont(p[j]) ^ is_lead(p[j - 1])) | (is_high(p[j]) ^ is_lead(p[j])));
  }
  return bad == 0;
}

// UTF-8 structure check; like Python's 'surrogatepass' decoding, encoded surrogates pass.
bool ValidUtf8(const uint8_t* p, size_t n) {
  if (IsLatin1RangeUtf8(p, n)) return true;  // fast, branch-free; the general loop decides the rest
  size_t i = 0;
  while (i < n) {
    // Fast path over ASCII.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else
      return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    i += len;
  }
  return true;
}

bool IsContainerKind(Kind k) {
  switch (k) {
    case Kind::kTuple:
    case Kind::kList:
    case Kind::kSet:
    case Kind::kDict:
    case Kind::kObject:
    case Kind::kArray:
    case Kind::kSlice: return true;
    default: return false;
  }
}

GlobalRole RoleOf(const Value& g) { return static_cast<GlobalRole>(g.i); }

bool IsWrapperRecord(const Value& v) {
  return v.kind == Kind::kObject && (v.cls == kNumpyArrayWrapper || v.cls == kVendoredNumpyArrayWrapper);
}

// The compaction step of Latin1FromUtf8 over p[j..n), writing from o[k]; returns the new
// output length. Every input byte is stored at the output cursor, which advances past
// every byte except a 0xC2/0xC3 lead, so a lead is overwritten by its continuation byte.
// In valid UTF-8, U+0080..U+00BF is C2 80..BF (the continuation byte is the character) and
// U+00C0..U+00FF is C3 80..BF (the continuation byte plus 0x40). Branch-free: the data is
// random binary, so any branch on it mispredicts. REQUIRES k <= j; then k <= j holds at
// every store, so writes stay inside an n-byte output whatever the input bytes are.
size_t Latin1CompactScalar(const uint8_t* p, size_t j, size_t n, uint8_t* o, size_t k) {
  uint8_t prev = j > 0 ? p[j - 1] : 0;
  for (; j < n; ++j) {
    const uint8_t c = p[j];
    o[k] = static_cast<uint8_t>(c + (static_cast<unsigned>(prev == 0xC3u) << 6));
    k += (c & 0xFEu) != 0xC2u;
    prev = c;
  }
  return k;
}

#ifdef INFERD_LATIN1_SSSE3
// For each 8-bit keep-mask m: the pshufb control moving the kept bytes of an 8-byte group
// to its front, and how many there are.
struct CompactTable {
  uint8_t idx[256][8];
  uint8_t count[256];
  constexpr CompactTable() : idx(), count() {
    for (int m = 0; m < 256; ++m) {
      int w = 0;
      for (int bit = 0; bit < 8; ++bit) {
        if (m & (1 << bit)) idx[m][w++] = static_cast<uint8_t>(bit);
      }
      count[m] = static_cast<uint8_t>(w);
      for (; w < 8; ++w) idx[m][w] = 0x80;  // pshufb writes zero; overwritten later or cut
    }
  }
};
constexpr CompactTable kCompact{};

bool HasSsse3() {
  static const bool has = __builtin_cpu_supports("ssse3");
  return has;
}

// The same compaction 16 input bytes at a time (SSSE3 pshufb; checked at run time). Handles
// p[0..j) for the largest j <= n reachable in whole blocks and returns the output length;
// the caller finishes with Latin1CompactScalar. Each 8-byte store at o + k writes the
// group's kept bytes plus zeros, and k <= (bytes consumed) keeps it within o[0..j + 16).
__attribute__((target("ssse3"))) size_t Latin1CompactSsse3(const uint8_t* p, size_t n, uint8_t* o, size_t* j_out) {
  size_t k = 0, j = 0;
  if (n > 0) {  // the first byte has no predecessor to load
    o[0] = p[0];
    k = (p[0] & 0xFEu) != 0xC2u;
    j = 1;
  }
  const __m128i c3 = _mm_set1_epi8(static_cast<char>(0xC3));
  const __m128i fe = _mm_set1_epi8(static_cast<char>(0xFE));
  const __m128i c2 = _mm_set1_epi8(static_cast<char>(0xC2));
  const __m128i x40 = _mm_set1_epi8(0x40);
  for (; j + 16 <= n; j += 16) {
    const __m128i cur = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j));
    const __m128i prev = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j - 1));
    const __m128i adj = _mm_add_epi8(cur, _mm_and_si128(_mm_cmpeq_epi8(prev, c3), x40));
    const __m128i lead = _mm_cmpeq_epi8(_mm_and_si128(cur, fe), c2);
    const unsigned keep = ~static_cast<unsigned>(_mm_movemask_epi8(lead)) & 0xFFFFu;
    const unsigned lo = keep & 0xFFu, hi = keep >> 8;
    uint64_t ctl;
    std::memcpy(&ctl, kCompact.idx[lo], 8);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o + k),
                     _mm_shuffle_epi8(adj, _mm_cvtsi64_si128(static_cast<long long>(ctl))));
    k += kCompact.count[lo];
    std::memcpy(&ctl, kCompact.idx[hi], 8);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o + k),
                     _mm_shuffle_epi8(_mm_srli_si128(adj, 8), _mm_cvtsi64_si128(static_cast<long long>(ctl))));
    k += kCompact.count[hi];
  }
  *j_out = j;
  return k;
}
#endif

// Latin-1 text (decoded from UTF-8) -> bytes; the protocol-2 encoding of bytes objects
// (numpy array data in joblib's nested object-array pickles: the hot path of loading a
// gradient boosting model).
//
// PRECONDITION for a correct result: `s` is valid UTF-8 (every kStr is; ReadString checks).
// Then a code point above U+00FF shows as a byte >= 0xC4, and every other non-ASCII
// character is a lead 0xC2/0xC3 followed by one continuation byte. Memory safety does not
// depend on the precondition: writes stay inside the pre-sized output for any input.
StatusOr<std::string> Latin1FromUtf8(const std::string& s, size_t at) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  uint8_t above = 0;  // an OR over all bytes (no early exit) so that the loop vectorises
  for (size_t j = 0; j < n; ++j) above |= static_cast<uint8_t>(p[j] >= 0xC4u);
  if (above) {
    return Bad("latin-1 encoding of a character above U+00FF", at);
  }
  std::string out(n, '\0');
  uint8_t* o = reinterpret_cast<uint8_t*>(out.data());
  size_t j = 0, k = 0;
#ifdef INFERD_LATIN1_SSSE3
  if (HasSsse3()) k = Latin1CompactSsse3(p, n, o, &j);
#endif
  k = Latin1CompactScalar(p, j, n, o, k);
  out.resize(k);
  return out;
}

bool IsLatin1Name(const Value& v) {
  return v.kind == Kind::kStr && (v.s == "latin1" || v.s == "latin-1" || v.s == "iso-8859-1" || v.s == "iso8859-1");
}

}  // namespace

// Why an arena that owns the nodes: loading a 100-tree gradient boosting model creates
// ~3,600 Value nodes. As shared_ptr's, each carried a control block and a reference count
// (a lock-prefixed add per copy once the process has threads), garbage had to be broken up
// and dropped node by node, and the whole tree torn down recursively at the end: together
// ~30 % of that load (docs/benchmarks.md). Here a node is a pointer bump, links are plain
// pointers, and the arena destroys every node, in allocation order, when the last owner
// (the MachineContext, a TreePtr) lets go: no recursion, so neither cycles nor depth matter.
//
// Memory: no node is freed before the arena dies, so garbage (popped scalars, REDUCE
// temporaries) stays until then. Nearly every object of a Python-written pickle is memoised
// and so stays alive anyway. A hostile stream could create garbage fast (a 10-byte
// BINFLOAT + POP pair costs a ~250-byte node), so the machine refuses a load whose arena
// passes its budget (over_budget()).
//
// Thread safety: NewValue() is called only by the loading thread; the arena dies on
// whichever thread drops the last owner.
class ValueArena {
 public:
  explicit ValueArena(size_t budget) : budget_(budget) {}
  ValueArena(const ValueArena&) = delete;
  ValueArena& operator=(const ValueArena&) = delete;
  ~ValueArena() {
    for (Value* v : values_) v->~Value();
    while (chunks_) {
      Chunk* next = chunks_->next;
      if (!ChunkCache::Give(chunks_)) ::operator delete(chunks_);
      chunks_ = next;
    }
  }

  // A default-constructed node of kind kNone, owned by the arena.
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
    size_t size;
  };
  static constexpr size_t kFirstChunk = size_t{16} << 10;
  static constexpr size_t kMaxChunk = size_t{1} << 20;

  void* Allocate(size_t bytes, size_t align) {
    size_t pad = (align - reinterpret_cast<uintptr_t>(cur_) % align) % align;
    if (cur_ == nullptr || pad + bytes > left_) {
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
      pad = (align - reinterpret_cast<uintptr_t>(cur_) % align) % align;
    }
    unsigned char* p = cur_ + pad;
    cur_ = p + bytes;
    left_ -= pad + bytes;
    return p;
  }

  // Chunks of finished loads, kept for the next load. Why: a chunk of 128 KiB or more is
  // mmap'd by malloc and returned to the kernel when freed, so every load page-faulted its
  // whole node memory in again: ~250 faults (~0.6 ms, 40% of the load) for a 100-tree
  // gradient boosting model, and the same again on every reload. The cache keeps at most
  // one chunk of each size (16 KiB .. 1 MiB, so < 2 MiB in all); chunks of other sizes
  // (one huge node) are freed as before. Under ASan a cached chunk is poisoned, so a use
  // of a dead tree's node is still caught.
  // Thread safety: Take/Give may be called from any thread (a tree may die anywhere).
  class ChunkCache {
   public:
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

  const size_t budget_;
  std::vector<Value*> values_;  // every node, in allocation order (destroyed by ~ValueArena)
  Chunk* chunks_ = nullptr;
  unsigned char* cur_ = nullptr;
  size_t left_ = 0;
  size_t next_chunk_ = kFirstChunk;
  size_t reserved_ = 0;  // bytes in chunks_
  size_t charged_ = 0;   // see Charge()
};

namespace {

// The arena's budget for a stream of `n` bytes: 64 MiB, plus 8 bytes per stream byte, for
// the nodes and what opcodes copy out of other values (ValueArena::Charge).
// Model files take less: a 100-tree gradient boosting model ~6 bytes per byte (~1 MB of
// nodes for 174 kB: its trees are nested protocol-2 pickles, node-heavy), a 500-tree
// forest ~0.02 (2 MB for 96 MB: its arrays are views). Garbage made as fast as a stream can
// make it (EMPTY_TUPLE, POP) takes ~125 bytes per byte; such a stream is refused once past
// the budget. Repeated floats and small ints share their node and cost nothing.
size_t ArenaBudget(size_t n) {
  constexpr size_t kBase = size_t{64} << 20;
  constexpr size_t kPerByte = 8;
  return n > (SIZE_MAX - kBase) / kPerByte ? SIZE_MAX : kBase + kPerByte * n;
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
  // entry per 60 bytes and one container per 70 (100-tree gradient boosting: 3000 and 2500
  // in 170 kB), so reserve that much, capped so a big file costs at most 1 MiB here.
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
    // LONG_BINPUT, BININT1, NONE, NEWFALSE/NEWTRUE: 67% of a 100-tree gradient boosting model's 15k opcodes).
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
      INFERD_ASSIGN_OR_RETURN(v->s, Latin1FromUtf8(a[0]->s, at));
      ctx_->arena->Charge(v->s.size());
      return Push(std::move(v), at);
    }
    case GlobalRole::kBytes:
    case GlobalRole::kBytearray: {
      ValuePtr v = NewValue(Kind::kBytes);
      if (a.empty()) {
      } else if (a.size() == 1 && a[0]->kind == Kind::kBytes) {
        v->s = a[0]->s;
      } else if (a.size() == 2 && a[0]->kind == Kind::kStr && IsLatin1Name(*a[1])) {
        INFERD_ASSIGN_OR_RETURN(v->s, Latin1FromUtf8(a[0]->s, at));
      } else {
        return Bad(fn->s + " with unsupported arguments " + args->Describe(), at);
      }
      ctx_->arena->Charge(v->s.size());
      return Push(std::move(v), at);
    }
    case GlobalRole::kSlice: {
      if (a.empty() || a.size() > 3) return Bad("slice expects 1 to 3 arguments", at);
      for (const ValuePtr& x : a) {
        if (x->kind != Kind::kNone && x->kind != Kind::kInt)
          return Bad("slice bound must be None or int, found " + x->Describe(), at);
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
    case GlobalRole::kNumpyArrayWrapper:
    case GlobalRole::kScalarType:
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
    case GlobalRole::kNumpyArrayWrapper:
    case GlobalRole::kOpaque:
    case GlobalRole::kModelClass:
    case GlobalRole::kScalarType: {
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

namespace {

// Children of a value for graph traversal; returns nullptr past the end.
struct ChildIter {
  static size_t Count(const Value& v) {
    return v.items.size() + 2 * v.entries.size() + 2 + (v.array ? v.array->objects.size() : 0);
  }
  static const Value* Get(const Value& v, size_t i) {
    if (i < v.items.size()) return v.items[i].get();
    i -= v.items.size();
    if (i < 2 * v.entries.size()) return (i % 2 ? v.entries[i / 2].second : v.entries[i / 2].first).get();
    i -= 2 * v.entries.size();
    if (i == 0) return v.args.get();
    if (i == 1) return v.state.get();
    i -= 2;
    return v.array->objects[i].get();
  }
};

}  // namespace

Status FinishGraph(const ValuePtr& root, size_t max_depth, MachineContext* ctx) {
  // Per-container bookkeeping lives in a vector indexed by the container's position in
  // ctx->containers; the position is stashed in the container's (otherwise unused) `i`
  // field for the duration of the walk and reset to 0 before returning. (A hash map keyed
  // by pointer cost ~13% of loading a 100-tree gradient boosting model.) A container not
  // found in ctx->containers (none exist today) falls back to a map.
  constexpr uint32_t kUnseen = 0xfffffffeu;
  constexpr uint32_t kOnPath = 0xffffffffu;
  const size_t n = ctx->containers.size();
  std::vector<uint32_t> height(n, kUnseen);
  std::unordered_map<const Value*, uint32_t> other;
  for (size_t k = 0; k < n; ++k) ctx->containers[k]->i = static_cast<int64_t>(k + 1);
  auto slot = [&](const Value* v) -> uint32_t& {
    const int64_t id = v->i;
    if (id >= 1 && static_cast<size_t>(id) <= n && ctx->containers[static_cast<size_t>(id - 1)].get() == v) {
      return height[static_cast<size_t>(id - 1)];
    }
    return other.try_emplace(v, kUnseen).first->second;
  };
  struct Frame {
    const Value* v;
    size_t next;
    size_t count;  // ChildIter::Count(*v), fixed during the walk
    uint32_t h;
  };
  std::vector<Frame> path;
  Status status;
  if (root && IsContainerKind(root->kind)) {
    path.push_back({root.get(), 0, ChildIter::Count(*root), 0});
    slot(root.get()) = kOnPath;
  }
  while (!path.empty() && status.ok()) {
    Frame& f = path.back();
    if (f.next < f.count) {
      const Value* c = ChildIter::Get(*f.v, f.next++);
      if (!c || !IsContainerKind(c->kind)) continue;
      uint32_t& hc = slot(c);
      if (hc != kUnseen) {
        if (hc == kOnPath) {
          status = Status::InvalidArgument("the pickle contains a reference cycle (through " + c->Describe() + ")");
        } else {
          f.h = std::max(f.h, hc + 1);
        }
        continue;
      }
      if (path.size() >= max_depth) {
        status = Status::ResourceExhausted("values nested deeper than " + std::to_string(max_depth) + " levels");
        continue;
      }
      hc = kOnPath;
      path.push_back({c, 0, ChildIter::Count(*c), 0});
      continue;
    }
    const uint32_t h = f.h;
    slot(f.v) = h;
    path.pop_back();
    if (!path.empty()) path.back().h = std::max(path.back().h, h + 1);
  }
  for (size_t k = 0; k < n; ++k) ctx->containers[k]->i = 0;
  ctx->containers.clear();
  return status;
}

}  // namespace inferd::pickle
