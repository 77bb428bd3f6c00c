// libFuzzer target: untrusted bytes -> ReadXgbDocument (JSON or UBJSON, as a model file and as
// a snapshot) -> XgbBooster. The contract under test (xgboost_document.h, xgboost_booster.h):
// any input is refused with a one-line Status or yields a document that passes
// ValidateXgbDocument again, whose every tree can be walked from the root to a leaf, and from
// which the evaluator builds a booster that predicts rows of zeros, NaN, negative and huge
// values, under both dart weightings and a `missing` value — never a crash, sanitizer report,
// hang, or an allocation beyond the reader's budget. The JSON parser is also checked against
// simdjson's: they take and refuse the same texts but for the refusals that are the reader's
// own (depth, repeated keys, integers beyond int64, the budget) and the values simdjson has no
// syntax or range for (xgboost's NaN / Infinity words, numbers beyond double). A UBJSON
// document's trees read straight from their bytes (XgbTreeObjects::kDirect) must give the
// document or the error that reading them through the parser gives.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include <cmath>
#include <limits>
#include <vector>

#include <simdjson.h>

#include "sklearn/xgboost/xgboost_booster.h"
#include "sklearn/xgboost/xgboost_document.h"
#include "sklearn/xgboost/xgboost_value.h"

namespace {

using inferd::sklearn::XgbDocument;

// fuzz.sh reports the line after "FINDING:" as what a failed check found.
[[noreturn]] void Finding(const char* what) {
  std::fprintf(stderr, "FINDING: %s\n", what);
  __builtin_trap();
}

// Walks every tree from the root with the first feature at 0: uses each checked index.
void Walk(const XgbDocument& d) {
  for (const auto& t : d.trees) {
    int64_t node = 0;
    for (int64_t steps = 0; t.nodes[static_cast<size_t>(node)].left != -1; ++steps) {
      if (steps > inferd::sklearn::kMaxXgbTreeDepth) Finding("a walk from the root is deeper than the bound");
      const auto i = static_cast<size_t>(node);
      const int64_t f = t.nodes[i].split_index;
      if (f < 0 || f >= d.num_feature) Finding("an accepted split feature is out of range");
      node = 0.0f < t.nodes[i].split_condition ? t.nodes[i].left : t.nodes[i].right;
      if (node <= 0 || node >= t.num_nodes) Finding("an accepted child index is out of range");
    }
  }
  for (int64_t g : d.tree_info) {
    if (g < 0 || g >= d.output_groups()) Finding("an accepted tree_info entry is out of range");
  }
}

// Builds the booster the way each form is served and predicts four rows.
void Evaluate(const XgbDocument& d) {
  using inferd::sklearn::XgbBooster;
  using inferd::sklearn::XgbDartPath;
  using inferd::sklearn::XgbEvalOptions;
  for (const auto path : {XgbDartPath::kDMatrix, XgbDartPath::kInplace}) {
    XgbEvalOptions o;
    o.dart_path = path;
    if (path == XgbDartPath::kInplace) {
      o.missing = 1.0;
      o.rounds = d.rounds() / 2;
    }
    auto b = XgbBooster::Build(d, o);
    if (!b.ok()) {
      if (b.status().message().find('\n') != std::string::npos) Finding("a booster error is not one line");
      continue;
    }
    const size_t nf = b->n_features();
    if (nf != static_cast<size_t>(d.num_feature)) Finding("the booster's feature count differs from the document's");
    std::vector<double> rows(4 * nf);
    for (size_t j = 0; j < nf; ++j) {
      rows[nf + j] = std::numeric_limits<double>::quiet_NaN();
      rows[2 * nf + j] = -static_cast<double>(j) - 0.5;
      rows[3 * nf + j] = j % 2 == 0 ? 1e30 : static_cast<double>(j);
    }
    std::vector<float> out(4 * b->n_groups());
    b->Margins(rows.data(), 4, out.data());
    b->Predict(rows.data(), 4, out.data());
    b->Predict(rows.data() + 3 * nf, 1, out.data());
  }
}

void CompareWithSimdjson(std::string_view bytes) {
  if (bytes.empty()) return;
  const auto ours = inferd::sklearn::ParseXgbJson(bytes);
  simdjson::dom::parser parser;
  const simdjson::padded_string text(bytes);
  const simdjson::error_code theirs = parser.parse(text).error();
  if (theirs == simdjson::SUCCESS && !ours.ok()) {
    const std::string& m = ours.status().message();
    for (const char* own : {"nested deeper than", "duplicate key", "integer out of range", "too many values"}) {
      if (m.find(own) != std::string::npos) return;
    }
    Finding("JSON that simdjson parses is refused");
  }
  if (theirs != simdjson::SUCCESS && ours.ok()) {
    if (theirs == simdjson::NUMBER_ERROR || theirs == simdjson::NUMBER_OUT_OF_RANGE) return;  // beyond double
    if (bytes.find("NaN") != std::string_view::npos || bytes.find("Infinity") != std::string_view::npos) return;
    Finding("JSON that simdjson refuses is accepted");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CompareWithSimdjson(bytes);
  for (auto form : {inferd::sklearn::XgbDocumentForm::kModelFile, inferd::sklearn::XgbDocumentForm::kSnapshot}) {
    auto doc = inferd::sklearn::ReadXgbDocument(bytes, form);
    const auto generic = inferd::sklearn::ReadXgbDocument(bytes, form, inferd::sklearn::XgbTreeObjects::kGeneric);
    if (doc.status().message() != generic.status().message()) {
      Finding("the direct tree reader and the parser give different errors");
    }
    if (doc.ok() && generic.ok() && !inferd::sklearn::SameXgbDocument(*doc, *generic)) {
      Finding("the direct tree reader and the parser give different documents");
    }
    if (!doc.ok()) {
      const std::string& m = doc.status().message();
      if (m.empty() || m.find('\n') != std::string::npos) Finding("an error is not one line");
      continue;
    }
    if (!inferd::sklearn::ValidateXgbDocument(*doc).ok()) Finding("an accepted document fails validation");
    Walk(*doc);
    Evaluate(*doc);
  }
  return 0;
}
