#include "pickle/mapped_file.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>

namespace inferd::pickle {
namespace {

// One slot per live mapping. The handler only reads atomics (async-signal-safe); a slot is
// active while begin != 0. Publication order: end then begin; retirement: begin first.
struct Slot {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<bool> truncated{false};
  std::atomic<bool> taken{false};
};

// Files up to this size are mapped in whole at Open (PopulateForRead): a pickle is read from
// end to end, and faulting its pages in one at a time costs several times that on some VMs.
// Bigger files fault in as the forest build's threads read their arrays.
constexpr size_t kPopulateLimit = size_t{16} << 20;

Slot g_slots[MappedFile::kMaxLive];
uintptr_t g_page_size = 4096;
struct sigaction g_previous;  // written once, before the handler is installed
std::once_flag g_install_once;
bool g_installed = false;

void ChainToPrevious(int sig, siginfo_t* info, void* context) {
  if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
    g_previous.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  // Default action: restore it and re-deliver. For a hardware fault, returning re-runs the
  // faulting access, which now takes the default action; for a sent signal, raise it.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGBUS, &dfl, nullptr);
  if (info == nullptr || info->si_code <= 0) raise(SIGBUS);
}

void OnSigbus(int sig, siginfo_t* info, void* context) {
  if (info != nullptr && info->si_code > 0) {  // a fault, not a signal someone sent
    const uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
    for (Slot& s : g_slots) {
      const uintptr_t b = s.begin.load(std::memory_order_acquire);
      if (b == 0 || addr < b || addr >= s.end.load(std::memory_order_acquire)) continue;
      const uintptr_t page = addr & ~(g_page_size - 1);
      void* p =
          mmap(reinterpret_cast<void*>(page), g_page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      if (p != MAP_FAILED) {
        s.truncated.store(true, std::memory_order_release);
        return;  // the access is retried and reads zeros
      }
      break;
    }
  }
  ChainToPrevious(sig, info, context);
}

void Install() {
  const long ps = sysconf(_SC_PAGESIZE);
  if (ps > 0) g_page_size = static_cast<uintptr_t>(ps);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = &OnSigbus;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  g_installed = sigaction(SIGBUS, &sa, &g_previous) == 0;
}

}  // namespace

StatusOr<std::shared_ptr<MappedFile>> MappedFile::Open(int fd, size_t size) {
  std::call_once(g_install_once, Install);
  if (!g_installed || size == 0) return Status::Unavailable("file mapping guard unavailable");
  size_t slot = kMaxLive;
  for (size_t i = 0; i < kMaxLive; ++i) {
    bool expected = false;
    if (g_slots[i].taken.compare_exchange_strong(expected, true)) {
      slot = i;
      break;
    }
  }
  if (slot == kMaxLive) return Status::Unavailable("too many files mapped at once");
  // Big files are not populated: that would map every page on this thread before parsing
  // begins, while their array pages are first read by the forest build, which runs on several
  // threads and faults them in itself (the kernel maps 16 cached pages per fault).
  // MADV_WILLNEED starts reading a file that is not cached yet, without waiting.
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    g_slots[slot].taken.store(false);
    return Status::Unavailable(std::string("cannot map the file: ") + std::strerror(err));
  }
  if (size <= kPopulateLimit) {
    PopulateForRead(static_cast<const char*>(p), size);
  } else {
    madvise(p, size, MADV_WILLNEED);
  }
  const uintptr_t b = reinterpret_cast<uintptr_t>(p);
  Slot& s = g_slots[slot];
  s.truncated.store(false, std::memory_order_relaxed);
  s.end.store(b + size, std::memory_order_release);
  s.begin.store(b, std::memory_order_release);
  return std::shared_ptr<MappedFile>(new MappedFile(static_cast<const char*>(p), size, slot));
}

void PopulateForRead(const char* p, size_t n) {
#ifdef MADV_POPULATE_READ
  if (n == 0) return;
  const long page = sysconf(_SC_PAGESIZE);  // NOLINT(runtime/int): sysconf's type
  const auto mask = static_cast<uintptr_t>(page > 0 ? page : 4096) - 1;
  const uintptr_t begin = reinterpret_cast<uintptr_t>(p) & ~mask;
  const uintptr_t end = reinterpret_cast<uintptr_t>(p) + n;
  madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ);
#else
  (void)p;
  (void)n;
#endif
}

MappedFile::~MappedFile() {
  Slot& s = g_slots[slot_];
  s.begin.store(0, std::memory_order_release);
  s.end.store(0, std::memory_order_release);
  munmap(const_cast<char*>(data_), size_);
  s.taken.store(false, std::memory_order_release);
}

bool MappedFile::truncated() const { return g_slots[slot_].truncated.load(std::memory_order_acquire); }

}  // namespace inferd::pickle
