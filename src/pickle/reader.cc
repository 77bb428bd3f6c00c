#include "pickle/reader.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <memory>
#include <new>
#include <string>

#include "pickle/decompress.h"
#include "pickle/graph_check.h"
#include "pickle/machine.h"

namespace inferd::pickle {
namespace {

// The whole file, read once. Not zero-filled (read() overwrites every byte), and large
// files get an anonymous mapping advised for transparent huge pages: a big buffer faults in
// far faster in 2 MiB pages than in 4 KiB ones.
class FileBuffer {
 public:
  FileBuffer() = default;
  FileBuffer(const FileBuffer&) = delete;
  FileBuffer& operator=(const FileBuffer&) = delete;
  ~FileBuffer() {
    if (mapped_) {
      ::munmap(data_, mapped_);
    } else {
      delete[] data_;
    }
  }
  bool Allocate(size_t size) {
    constexpr size_t kHuge = size_t{2} << 20;
    if (size >= kHuge) {
      const size_t len = (size + kHuge - 1) / kHuge * kHuge;
      void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) return false;
      ::madvise(p, len, MADV_HUGEPAGE);  // advisory: without THP it is ordinary memory
      data_ = static_cast<char*>(p);
      mapped_ = len;
      return true;
    }
    data_ = new (std::nothrow) char[size == 0 ? 1 : size];
    return data_ != nullptr;
  }
  char* data() { return data_; }

 private:
  char* data_ = nullptr;
  size_t mapped_ = 0;  // length of the mapping, 0 if data_ came from new[]
};

// `keeper`, if set, keeps `bytes` alive and unchanged while it lives: arrays then view
// their data in the input instead of copying it (NdArray::data).
StatusOr<TreePtr> ReadPickleKept(std::string_view bytes, std::shared_ptr<const void> keeper, const ReadLimits& limits) {
  auto storage = std::make_shared<std::string>();
  std::string_view stream;
  INFERD_RETURN_IF_ERROR(Decompress(bytes, limits, storage.get(), &stream));
  MachineContext ctx(stream, limits);
  // A decompressed stream is ours to share; the input only if the caller's keeper holds it.
  if (stream.data() == storage->data() && !storage->empty()) {
    ctx.stream_keeper = std::move(storage);
  } else {
    ctx.stream_keeper = std::move(keeper);
  }
  StatusOr<ValuePtr> result = [&]() -> StatusOr<ValuePtr> {
    Machine m(&ctx, 0, 0);
    return m.Run();  // the machine (stack, memo) is destroyed before the graph is checked
  }();
  if (!result.ok()) return result.status();  // the context's arena takes every node with it
  INFERD_RETURN_IF_ERROR(CheckGraph(*result, limits.max_depth, &ctx.containers));
  // The root owns the arena, and so the whole tree.
  return TreePtr(ctx.arena, result->get());
}

// Files at least this big are mapped instead of read; below it a read() into a buffer is
// as fast and needs no guard slot. From 128 KiB a read buffer is a fresh mmap'd malloc chunk
// whose pages the kernel zeroes on every load before read() copies into them; mapping the
// page cache skips both.
constexpr size_t kMapThreshold = size_t{64} << 10;

}  // namespace

const char* const kShrankMessage = "the file was truncated while it was being read (rewritten in place?)";

StatusOr<TreePtr> ReadPickle(std::string_view bytes, const ReadLimits& limits) {
  return ReadPickleKept(bytes, nullptr, limits);
}

StatusOr<TreePtr> ReadPickleFile(const std::string& path, const ReadLimits& limits,
                                 std::shared_ptr<const MappedFile>* mapping) {
  if (mapping != nullptr) mapping->reset();
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::NotFound(std::string("cannot open: ") + std::strerror(errno));
  struct Closer {
    FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{f};
  struct stat st {};
  if (fstat(fileno(f), &st) != 0) return Status::NotFound(std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("not a regular file");
  const size_t size = static_cast<size_t>(st.st_size);
  if (size > limits.max_decompressed_bytes) {
    return Status::ResourceExhausted("file of " + std::to_string(size) + " bytes exceeds the " +
                                     std::to_string(limits.max_decompressed_bytes) + "-byte limit");
  }
  if (size >= kMapThreshold) {
    StatusOr<std::shared_ptr<MappedFile>> mapped = MappedFile::Open(fileno(f), size);
    if (mapped.ok()) {
      std::shared_ptr<const MappedFile> file = std::move(mapped).value();
      const std::string_view bytes(file->data(), file->size());
      StatusOr<TreePtr> root = ReadPickleKept(bytes, file, limits);
      if (file->truncated()) return Status::InvalidArgument(kShrankMessage);
      if (mapping != nullptr) *mapping = std::move(file);
      return root;
    }
    // No mapping (guard slots busy, mmap refused): read the file instead.
  }
  // Shared: arrays view their bytes in it, and it lives as long as the last of them.
  auto buffer = std::make_shared<FileBuffer>();
  if (!buffer->Allocate(size)) {
    return Status::ResourceExhausted("cannot allocate " + std::to_string(size) + " bytes for the file");
  }
  size_t got = 0;
  while (got < size) {
    const ssize_t r = ::read(fileno(f), buffer->data() + got, size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Status::InvalidArgument(std::string("read error: ") + std::strerror(errno));
    if (r == 0) return Status::InvalidArgument("read error: the file shrank while being read");
    got += static_cast<size_t>(r);
  }
  const std::string_view bytes(buffer->data(), size);
  return ReadPickleKept(bytes, std::move(buffer), limits);
}

}  // namespace inferd::pickle
