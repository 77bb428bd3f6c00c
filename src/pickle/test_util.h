// Helpers shared by the pickle tests: fixture loading and a tiny pickle byte builder for
// crafted (hostile) streams.
#ifndef INFERD_PICKLE_TEST_UTIL_H_
#define INFERD_PICKLE_TEST_UTIL_H_

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace inferd::pickle::testing {

inline std::string TestdataPath(const std::string& name) { return std::string(INFERD_PICKLE_TESTDATA) + "/" + name; }

inline std::string ReadFixture(const std::string& name) {
  std::ifstream in(TestdataPath(name), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Appends pickle opcodes. Only what the tests need.
class PickleBuilder {
 public:
  explicit PickleBuilder(int proto = 2) {
    b_.push_back('\x80');
    b_.push_back(static_cast<char>(proto));
  }
  PickleBuilder& Op(char c) {
    b_.push_back(c);
    return *this;
  }
  PickleBuilder& Raw(const std::string& s) {
    b_ += s;
    return *this;
  }
  PickleBuilder& U32(uint32_t v) {
    for (int k = 0; k < 4; ++k) b_.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
    return *this;
  }
  PickleBuilder& Str(const std::string& s) {  // BINUNICODE
    b_.push_back('X');
    U32(static_cast<uint32_t>(s.size()));
    b_ += s;
    return *this;
  }
  PickleBuilder& Bytes(const std::string& s) {  // BINBYTES
    b_.push_back('B');
    U32(static_cast<uint32_t>(s.size()));
    b_ += s;
    return *this;
  }
  PickleBuilder& Int(int32_t v) {  // BININT
    b_.push_back('J');
    U32(static_cast<uint32_t>(v));
    return *this;
  }
  PickleBuilder& Long1(int64_t v) {  // LONG1, 8 bytes
    b_.push_back('\x8a');
    b_.push_back('\x08');
    for (int k = 0; k < 8; ++k) b_.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * k)) & 0xff));
    return *this;
  }
  PickleBuilder& Global(const std::string& module, const std::string& name) {
    b_ += "c" + module + "\n" + name + "\n";
    return *this;
  }
  PickleBuilder& StackGlobal(const std::string& module, const std::string& name) {
    Str(module);
    Str(name);
    b_.push_back('\x93');
    return *this;
  }
  // numpy.dtype(name) REDUCE + BUILD (3, order, None, None, None, -1, -1, 0).
  PickleBuilder& Dtype(const std::string& name, char order = '<') {
    Global("numpy", "dtype").Op('(').Str(name).Op('\x89').Op('\x88').Op('t').Op('R');
    Op('(').Int(3).Str(std::string(1, order)).Op('N').Op('N').Op('N').Int(-1).Int(-1).Int(0).Op('t').Op('b');
    return *this;
  }
  size_t size() const { return b_.size(); }
  std::string Stop() const { return b_ + "."; }
  const std::string& str() const { return b_; }

 private:
  std::string b_;
};

}  // namespace inferd::pickle::testing

#endif  // INFERD_PICKLE_TEST_UTIL_H_
