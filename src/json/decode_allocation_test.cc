// Steady-state decoding of named rows with known string categories allocates nothing: after a
// first request has sized the thread's buffers, a second identical request must not call
// operator new. This binary replaces the global operator new to count calls.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <string>

#include "json/predict_codec.h"
#include "json/tensor_codec.h"

namespace {
thread_local bool t_counting = false;
thread_local size_t t_allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (t_counting) ++t_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace inferd {
namespace {

InputSchema Schema() {
  std::vector<InputColumn> cols(4);
  cols[0].name = "age";
  cols[0].accepts_missing = true;
  cols[1].name = "sex";
  cols[1].type = InputColumn::Type::kString;
  cols[1].categories = {"female", "male"};
  cols[1].unknown_is_error = true;
  cols[2].name = "embarked";
  cols[2].type = InputColumn::Type::kString;
  cols[2].categories = {"C", "Q", "S"};
  cols[3].name = "fare";
  return InputSchema(std::move(cols), true);
}

size_t AllocationsOfSecondDecode(const std::string& body, bool predict_codec) {
  InputSchema schema = Schema();
  InputSpec spec;
  spec.n_features = 4;
  spec.schema = &schema;
  InferenceRequest req;
  PredictFlags proba;
  for (int i = 0; i < 2; ++i) {
    req.Clear();
    t_allocations = 0;
    t_counting = i == 1;
    Status st =
        predict_codec ? DecodePredictRequest(body, spec, &req, &proba) : DecodeV1PredictRequest(body, spec, &req);
    t_counting = false;
    EXPECT_TRUE(st.ok()) << st.message();
  }
  EXPECT_EQ(req.x[1], StringCode("male"));
  return t_allocations;
}

TEST(DecodeAllocation, TheCounterSeesAllocations) {
  t_allocations = 0;
  t_counting = true;
  std::string s(100, 'x');
  t_counting = false;
  EXPECT_EQ(t_allocations, 1u);
  // An unknown column's error message is built, so it allocates.
  InputSchema schema = Schema();
  InputSpec spec;
  spec.n_features = 4;
  spec.schema = &schema;
  InferenceRequest req;
  PredictFlags proba;
  t_allocations = 0;
  t_counting = true;
  Status st = DecodePredictRequest(R"({"features": {"cabin": 1}})", spec, &req, &proba);
  t_counting = false;
  EXPECT_FALSE(st.ok());
  EXPECT_GT(t_allocations, 0u);
}

TEST(DecodeAllocation, NamedRowWithKnownStringsAllocatesNothing) {
  EXPECT_EQ(
      AllocationsOfSecondDecode(R"({"features": {"fare": 7.25, "sex": "male", "age": null, "embarked": "S"}})", true),
      0u);
  EXPECT_EQ(AllocationsOfSecondDecode(
                R"({"instances": [{"fare": 7.25, "sex": "male", "age": 22, "embarked": "S"},
                                  {"fare": 8.05, "sex": "female", "age": 35, "embarked": "C"}]})",
                true),
            0u);
}

TEST(DecodeAllocation, V1RecordsWithKnownStringsAllocateNothing) {
  EXPECT_EQ(
      AllocationsOfSecondDecode(R"({"instances": [{"fare": 7.25, "sex": "male", "age": 22, "embarked": "S"}]})", false),
      0u);
}

}  // namespace
}  // namespace inferd
