// libFuzzer target: untrusted bytes -> ReadLgbDocument -> LgbBooster -> LightGBMModel. The
// contract under test (lightgbm_document.h, lightgbm_booster.h): any input is refused with a
// one-line Status, or yields a document whose every tree can be walked from the root to a
// leaf within its node count using only in-range indices, and from which the evaluator
// predicts rows of zeros, NaN, negative and huge values (all iterations and the first one) —
// never a crash, sanitizer report, hang, or an allocation out of proportion to the input.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "sklearn/lightgbm/lightgbm_booster.h"
#include "sklearn/lightgbm/lightgbm_document.h"
#include "sklearn/lightgbm/lightgbm_model.h"

namespace {

using inferd::sklearn::LgbDocument;

// fuzz.sh reports the line after "FINDING:" as what a failed check found.
[[noreturn]] void Finding(const char* what) {
  std::fprintf(stderr, "FINDING: %s\n", what);
  __builtin_trap();
}

void CheckOneLine(const inferd::Status& s) {
  if (s.message().empty() || s.message().find('\n') != std::string::npos) Finding("an error is not one line");
}

// Walks every tree from the root, always left then always right: uses each checked index.
void Walk(const LgbDocument& d) {
  for (const auto& t : d.trees) {
    if (t.leaf_value.size() != static_cast<size_t>(t.num_leaves)) Finding("leaf_value does not match num_leaves");
    const int64_t internal = t.num_leaves - 1;
    for (int side = 0; side < 2; ++side) {
      int64_t node = internal > 0 ? 0 : -1;
      for (int64_t steps = 0; node >= 0; ++steps) {
        if (steps > internal) Finding("a walk from the root is longer than the node count");
        const auto i = static_cast<size_t>(node);
        const int32_t f = t.split_feature[i];
        if (f < 0 || static_cast<size_t>(f) >= d.n_features()) Finding("an accepted split feature is out of range");
        node = side == 0 ? t.left_child[i] : t.right_child[i];
        if (node >= internal) Finding("an accepted child node is out of range");
      }
      if (~node >= t.num_leaves) Finding("an accepted leaf index is out of range");
    }
  }
}

void Evaluate(const LgbDocument& d, std::string_view text) {
  for (int64_t iterations : {int64_t{0}, int64_t{1}}) {
    auto b = inferd::sklearn::LgbBooster::Build(d, iterations);
    if (!b.ok()) {
      CheckOneLine(b.status());
      continue;
    }
    const size_t nf = b->n_features();
    if (nf != d.n_features()) Finding("the booster's feature count differs from the document's");
    std::vector<double> rows(4 * nf);
    for (size_t j = 0; j < nf; ++j) {
      rows[nf + j] = std::numeric_limits<double>::quiet_NaN();
      rows[2 * nf + j] = -static_cast<double>(j) - 0.5;
      rows[3 * nf + j] = j % 2 == 0 ? 1e30 : static_cast<double>(j);
    }
    std::vector<double> out(4 * b->n_groups());
    b->RawScores(rows.data(), 4, out.data());
    b->Predict(rows.data(), 4, out.data());
  }
  // The whole model (pandas categories, roles) as the loader builds it.
  auto m = inferd::sklearn::LightGBMModel::Load(text, inferd::sklearn::LgbOptions());
  if (!m.ok()) {
    CheckOneLine(m.status());
    return;
  }
  const size_t nf = (*m)->n_features();
  std::vector<double> row(nf, std::numeric_limits<double>::quiet_NaN());
  std::vector<double> out(std::max((*m)->n_outputs(), (*m)->raw_score_width()) + 2);
  std::vector<int32_t> label(1);
  if ((*m)->has_proba()) {
    (void)(*m)->PredictProba(row.data(), 1, out.data());
    (void)(*m)->PredictClass(row.data(), 1, label.data());
    if (label[0] < 0 || static_cast<size_t>(label[0]) >= (*m)->classes().size()) Finding("a label is out of range");
  } else {
    (void)(*m)->PredictValue(row.data(), 1, out.data());
  }
  (void)(*m)->RawScore(row.data(), 1, out.data());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = inferd::sklearn::ReadLgbDocument(text);
  if (!doc.ok()) {
    CheckOneLine(doc.status());
    return 0;
  }
  Walk(*doc);
  Evaluate(*doc, text);
  return 0;
}
