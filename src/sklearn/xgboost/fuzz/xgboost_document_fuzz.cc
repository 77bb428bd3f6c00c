// libFuzzer target: untrusted bytes -> ReadXgbDocument (JSON or UBJSON, as a model file and as
// a snapshot). The contract under test (xgboost_document.h): any input is refused with a
// one-line Status or yields a document that passes ValidateXgbDocument again and whose every
// tree can be walked from the root to a leaf — never a crash, sanitizer report, hang, or an
// allocation beyond the reader's budget.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sklearn/xgboost/xgboost_document.h"

namespace {

using inferd::sklearn::XgbDocument;

// Walks every tree from the root with the first feature at 0: uses each checked index.
void Walk(const XgbDocument& d) {
  for (const auto& t : d.trees) {
    int64_t node = 0;
    for (int64_t steps = 0; t.left_children[static_cast<size_t>(node)] != -1; ++steps) {
      if (steps > inferd::sklearn::kMaxXgbTreeDepth) __builtin_trap();
      const auto i = static_cast<size_t>(node);
      const int64_t f = t.split_indices[i];
      if (f < 0 || f >= d.num_feature) __builtin_trap();
      node = 0.0f < t.split_conditions[i] ? t.left_children[i] : t.right_children[i];
      if (node <= 0 || node >= t.num_nodes) __builtin_trap();
    }
  }
  for (int64_t g : d.tree_info) {
    if (g < 0 || g >= d.output_groups()) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (auto form : {inferd::sklearn::XgbDocumentForm::kModelFile, inferd::sklearn::XgbDocumentForm::kSnapshot}) {
    auto doc = inferd::sklearn::ReadXgbDocument(bytes, form);
    if (!doc.ok()) {
      if (doc.status().message().empty() || doc.status().message().find('\n') != std::string::npos) __builtin_trap();
      continue;
    }
    if (!inferd::sklearn::ValidateXgbDocument(*doc).ok()) __builtin_trap();
    if (doc->model_bytes.empty()) __builtin_trap();
    Walk(*doc);
  }
  return 0;
}
