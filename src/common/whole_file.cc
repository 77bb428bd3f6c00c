#include "common/whole_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

namespace inferd {
namespace {

// read(2) of up to `size` bytes into `out`, retried on EINTR; *got = 0 at the end of the file.
bool ReadSome(int fd, char* out, size_t size, size_t* got) {
  while (true) {
    const ssize_t n = ::read(fd, out, size);
    if (n >= 0) {
      *got = static_cast<size_t>(n);
      return true;
    }
    if (errno != EINTR) return false;
  }
}

}  // namespace

WholeFileReader::~WholeFileReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool WholeFileReader::OpenHead(const std::string& path, size_t n) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return false;
  n = std::min(n, kMaxHead);
  for (size_t got = 1; head_size_ < n && got != 0; head_size_ += got) {
    if (!ReadSome(fd_, head_ + head_size_, n - head_size_, &got)) return false;
  }
  return true;
}

StatusOr<std::string_view> WholeFileReader::ReadAll(size_t max_bytes) {
  // One byte past the expected size, so that the read that finds the end fits; the limit
  // leaves room for that byte.
  max_bytes = std::min<size_t>(max_bytes, SIZE_MAX / 2 - 1);
  struct stat st;
  size_t capacity = size_t{1} << 16;
  if (fstat(fd_, &st) == 0 && st.st_size > 0) capacity = static_cast<size_t>(st.st_size);
  capacity = std::min(std::max(capacity, head_size_), max_bytes) + 1;
  bytes_.reset(new char[capacity]);
  std::memcpy(bytes_.get(), head_, head_size_);
  size_t size = head_size_;
  while (true) {
    if (size == capacity) {
      if (size > max_bytes) {
        return Status::ResourceExhausted("file is over the limit of " + std::to_string(max_bytes) + " bytes");
      }
      capacity = std::min(2 * size, max_bytes + 1);
      std::unique_ptr<char[]> grown(new char[capacity]);
      std::memcpy(grown.get(), bytes_.get(), size);
      bytes_ = std::move(grown);
    }
    size_t n = 0;
    if (!ReadSome(fd_, bytes_.get() + size, capacity - size, &n)) return Status::InvalidArgument("read error");
    if (n == 0) break;
    size += n;
  }
  return std::string_view(bytes_.get(), size);
}

}  // namespace inferd
