#include "pickle/reader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

#include "pickle/decompress.h"
#include "pickle/machine.h"

namespace inferd::pickle {

StatusOr<ValuePtr> ReadPickle(std::string_view bytes, const ReadLimits& limits) {
  std::string storage;
  std::string_view stream;
  INFERD_RETURN_IF_ERROR(Decompress(bytes, limits, &storage, &stream));
  MachineContext ctx(stream, limits);
  StatusOr<ValuePtr> result = [&]() -> StatusOr<ValuePtr> {
    Machine m(&ctx, 0, 0);
    return m.Run();  // the machine (stack, memo) is destroyed before the graph is checked
  }();
  if (!result.ok()) {
    TearDown(&ctx);
    return result.status();
  }
  INFERD_RETURN_IF_ERROR(FinishGraph(*result, limits.max_depth, &ctx));
  return result;
}

StatusOr<ValuePtr> ReadPickleFile(const std::string& path, const ReadLimits& limits) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::NotFound(std::string("cannot open: ") + std::strerror(errno));
  struct Closer { FILE* f; ~Closer() { std::fclose(f); } } closer{f};
  struct stat st{};
  if (fstat(fileno(f), &st) != 0) return Status::NotFound(std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("not a regular file");
  const size_t size = static_cast<size_t>(st.st_size);
  if (size > limits.max_decompressed_bytes) {
    return Status::ResourceExhausted("file of " + std::to_string(size) + " bytes exceeds the " +
                                     std::to_string(limits.max_decompressed_bytes) + "-byte limit");
  }
  std::string bytes(size, '\0');
  if (size > 0 && std::fread(bytes.data(), 1, size, f) != size) {
    return Status::InvalidArgument(std::string("read error: ") + std::strerror(errno));
  }
  return ReadPickle(bytes, limits);
}

}  // namespace inferd::pickle
