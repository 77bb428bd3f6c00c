// MappedFile: a read-only private mapping of a whole regular file that survives the file
// being truncated underneath it.
//
// Why map: a model file is read once and mostly consists of raw array bytes that the
// loader only needs to look at. Mapping the page cache avoids copying the file into fresh
// memory, which the kernel must zero first.
//
// Why a guard: touching a mapped page that lies beyond the file's end raises SIGBUS, and an
// operator who rewrites `model.pkl` in place (`cp new.pkl model.pkl` truncates first) while
// inferd is loading it would otherwise kill the server.
//
// Process-wide state: the first Open() installs a SIGBUS handler (sigaction, SA_SIGINFO),
// once per process (std::call_once), and never removes it. On a fault at an address inside
// a live MappedFile, the handler maps a zero page over the faulting page (so the access
// completes and reads zeros) and records it: truncated() then tells the loader to discard
// whatever it built from the bytes. Every other SIGBUS (a fault elsewhere, a signal someone
// sent) goes to the disposition installed before it (normally: the process dies, as
// without the handler). A SIGBUS handler the program installs later replaces it. If the
// handler cannot be installed, Open() fails with Unavailable and the caller reads the file
// instead. The handler finds live mappings in a fixed table of kMaxLive slots of atomics
// (async-signal-safe), shared by every thread.
//
// Thread safety: the object is immutable apart from the truncation flag (atomic); any
// thread may read the bytes, and any thread may Open() or destroy a MappedFile. Up to
// kMaxLive files can be mapped at once; Open() fails with Unavailable beyond that and the
// caller reads the file instead.
#ifndef INFERD_PICKLE_MAPPED_FILE_H_
#define INFERD_PICKLE_MAPPED_FILE_H_

#include <cstddef>
#include <memory>

#include "inferd/status.h"

namespace inferd::pickle {

class MappedFile {
 public:
  static constexpr size_t kMaxLive = 16;

  // Maps `size` bytes of the open file `fd` (the caller keeps ownership of fd; the mapping
  // stays valid after it is closed). REQUIRES: size > 0, fd is a regular file.
  static StatusOr<std::shared_ptr<MappedFile>> Open(int fd, size_t size);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  // True if a page of the mapping was found missing (the file shrank) since Open: those
  // bytes read as zeros, so nothing derived from the file may be trusted.
  bool truncated() const;

 private:
  MappedFile(const char* data, size_t size, size_t slot) : data_(data), size_(size), slot_(slot) {}
  const char* data_;
  size_t size_;
  size_t slot_;  // index in the fault handler's table
};

// Maps in, with one call, the pages of [p, p + n) that are about to be read whole (a long
// string copied out of a mapped file): faulting them in one by one costs several times the
// copy itself on some VMs (docs/benchmarks.md). Any memory may be passed; it is only advice,
// and a range the kernel cannot populate (old kernels, a truncated file) is left as it is.
void PopulateForRead(const char* p, size_t n);

}  // namespace inferd::pickle

#endif  // INFERD_PICKLE_MAPPED_FILE_H_
