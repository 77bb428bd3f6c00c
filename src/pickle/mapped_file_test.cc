#include "pickle/mapped_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace inferd::pickle {
namespace {

// A temporary file of `size` bytes, byte i = i % 251 + 1 (never 0).
class TempFile {
 public:
  explicit TempFile(size_t size) {
    char tmpl[] = "/tmp/inferd-mapped-XXXXXX";
    fd_ = mkstemp(tmpl);
    path_ = tmpl;
    std::vector<char> bytes(size);
    for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i % 251 + 1);
    EXPECT_EQ(write(fd_, bytes.data(), size), static_cast<ssize_t>(size));
  }
  ~TempFile() {
    close(fd_);
    unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  void Truncate(off_t size) const { ASSERT_EQ(ftruncate(fd_, size), 0); }

 private:
  int fd_ = -1;
  std::string path_;
};

constexpr size_t kSize = size_t{3} << 20;

TEST(MappedFile, MapsTheWholeFile) {
  TempFile f(kSize);
  auto m = MappedFile::Open(f.fd(), kSize);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ((*m)->size(), kSize);
  for (size_t i : {size_t{0}, size_t{12345}, kSize - 1}) {
    EXPECT_EQ((*m)->data()[i], static_cast<char>(i % 251 + 1)) << i;
  }
  EXPECT_FALSE((*m)->truncated());
}

TEST(MappedFile, TruncationUnderneathReadsZerosAndIsReported) {
  TempFile f(kSize);
  auto m = MappedFile::Open(f.fd(), kSize);
  ASSERT_TRUE(m.ok()) << m.status().message();
  // What `cp new.pkl model.pkl` does to the file first. Without the guard the reads below
  // would raise SIGBUS and kill the test.
  f.Truncate(4096);
  const volatile char* p = (*m)->data();
  EXPECT_EQ(p[100], static_cast<char>(100 % 251 + 1));  // still inside the file
  EXPECT_FALSE((*m)->truncated());
  EXPECT_EQ(p[kSize / 2], 0);
  EXPECT_EQ(p[kSize - 1], 0);
  EXPECT_TRUE((*m)->truncated());
}

TEST(MappedFile, SlotsAreBoundedAndReused) {
  TempFile f(kSize);
  std::vector<std::shared_ptr<MappedFile>> live;
  for (size_t i = 0; i < MappedFile::kMaxLive; ++i) {
    auto m = MappedFile::Open(f.fd(), kSize);
    ASSERT_TRUE(m.ok()) << i << ": " << m.status().message();
    live.push_back(*m);
  }
  auto over = MappedFile::Open(f.fd(), kSize);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kUnavailable);
  live.pop_back();
  auto again = MappedFile::Open(f.fd(), kSize);
  EXPECT_TRUE(again.ok());
  EXPECT_FALSE((*again)->truncated());  // a reused slot starts clean
}

// Faults outside a guarded mapping keep their previous disposition: the guard must not turn
// a real bug into silent zeros. (That disposition is the default action — killed by SIGBUS —
// or, under AddressSanitizer, its report and abort: so the test asks for death, not which.)
TEST(MappedFileDeathTest, OtherBusErrorsStillKill) {
  TempFile f(kSize);
  auto guard = MappedFile::Open(f.fd(), kSize);  // installs the handler
  ASSERT_TRUE(guard.ok());
  EXPECT_DEATH(
      {
        void* p = mmap(nullptr, kSize, PROT_READ, MAP_PRIVATE, f.fd(), 0);
        // Setup failures exit 0, which EXPECT_DEATH counts as a failure (not a death).
        if (p == MAP_FAILED || ftruncate(f.fd(), 0) != 0) std::exit(0);
        volatile char c = static_cast<const char*>(p)[kSize - 1];
        (void)c;
        std::exit(0);
      },
      "");
  EXPECT_DEATH(raise(SIGBUS), "");
}

}  // namespace
}  // namespace inferd::pickle
