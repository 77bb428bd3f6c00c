// HugePageAllocator<T>: a std::allocator replacement for the few big, long-lived arrays of a
// loaded model (a forest's node and leaf tables). Blocks of at least 2 MiB are mapped
// directly and advised for transparent huge pages; smaller ones come from operator new.
// Value-initialisation without arguments (vector::resize) default-initialises instead: the
// tables are written right after they grow, so zero-filling them first is a wasted pass.
//
// Why: page faults on fresh memory dominate building a big table; huge pages take ~500x fewer
// (docs/benchmarks.md). Without THP support the advice is ignored and this is ordinary
// anonymous memory.
//
// Thread safety: stateless; allocate/deallocate may be called from any thread.
#ifndef INFERD_COMMON_HUGE_PAGE_ALLOCATOR_H_
#define INFERD_COMMON_HUGE_PAGE_ALLOCATOR_H_

#include <sys/mman.h>

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace inferd {

template <typename T>
class HugePageAllocator {
 public:
  using value_type = T;
  static constexpr size_t kHugePage = size_t{2} << 20;

  HugePageAllocator() noexcept = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit

  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugePage) return static_cast<T*>(::operator new(bytes));
    void* p = ::mmap(nullptr, Rounded(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    ::madvise(p, Rounded(bytes), MADV_HUGEPAGE);  // advisory
    return static_cast<T*>(p);
  }

  // REQUIRES: n is the count passed to the allocate() that returned p (the standard
  // allocator contract), which is what decides how the block was obtained.
  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugePage) {
      ::operator delete(p);
    } else {
      ::munmap(p, Rounded(bytes));
    }
  }

  // resize(n) on trivially constructible elements: leave them uninitialised (see above).
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) { return true; }

 private:
  static size_t Rounded(size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }
};

}  // namespace inferd

#endif  // INFERD_COMMON_HUGE_PAGE_ALLOCATOR_H_
