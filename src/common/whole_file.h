// WholeFileReader: reads a file whole into memory with read(2), after a look at its first
// bytes, for loaders that recognise a format by its start before committing to it (native
// XGBoost and LightGBM model files). The kernel copies straight into one uninitialised heap
// buffer sized from fstat (grown if the file turns out longer); nothing past max_bytes is kept.
//
// Thread safety: an object is used by one thread at a time.
#ifndef INFERD_COMMON_WHOLE_FILE_H_
#define INFERD_COMMON_WHOLE_FILE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "inferd/status.h"

namespace inferd {

class WholeFileReader {
 public:
  static constexpr size_t kMaxHead = 16;

  WholeFileReader() = default;
  ~WholeFileReader();
  WholeFileReader(const WholeFileReader&) = delete;
  WholeFileReader& operator=(const WholeFileReader&) = delete;

  // Opens `path` and reads its first min(n, kMaxHead) bytes (fewer if the file is shorter);
  // false if it cannot be opened or read. Call once.
  bool OpenHead(const std::string& path, size_t n);
  // The bytes OpenHead read.
  std::string_view head() const { return {head_, head_size_}; }

  // The whole file, head included, valid while the reader lives. Errors: ResourceExhausted
  // "file is over the limit of N bytes" when it holds more than max_bytes, InvalidArgument
  // "read error". REQUIRES: OpenHead returned true; call once.
  StatusOr<std::string_view> ReadAll(size_t max_bytes);

 private:
  int fd_ = -1;
  char head_[kMaxHead] = {};
  size_t head_size_ = 0;
  std::unique_ptr<char[]> bytes_;
};

}  // namespace inferd

#endif  // INFERD_COMMON_WHOLE_FILE_H_
