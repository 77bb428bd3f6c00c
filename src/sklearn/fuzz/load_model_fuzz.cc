// libFuzzer target: untrusted model bytes -> LoadModelBytes -> one prediction of each kind
// the model offers. The contract under test (include/inferd/loader.h, TEAM rules): any input
// is either refused with a Status or yields a model whose methods work on a finite row —
// never a crash, sanitizer report, hang, or allocation beyond the limits below.
//
// The loader limits are tightened so that a legitimate "too big" refusal is cheap; libFuzzer's
// own -rss_limit_mb / -malloc_limit_mb (scripts/fuzz.sh) catch anything that escapes them.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "inferd/loader.h"
#include "inferd/model.h"

namespace {

// Rows wider than this are not predicted (a legitimately loaded model may declare a huge
// n_features; allocating that row is the caller's choice, not a loader bug).
constexpr size_t kMaxFeatures = 1 << 16;
constexpr size_t kMaxOutputs = 1 << 16;

void PredictOnce(const inferd::Model& m) {
  size_t nf = m.n_features();
  if (nf == 0 || nf > kMaxFeatures) return;
  std::vector<double> row(nf);
  for (size_t i = 0; i < nf; ++i) row[i] = 0.25 * static_cast<double>(i % 7) - 0.5;
  size_t width = m.n_outputs();
  if (width > kMaxOutputs) return;
  switch (m.kind()) {
    case inferd::ModelKind::kClassifier: {
      int32_t cls = -1;
      if (m.PredictClass(row.data(), 1, &cls).ok()) {
        // The contract: an index into classes().
        if (cls < 0 || static_cast<size_t>(cls) >= m.classes().size()) __builtin_trap();
      }
      if (m.has_proba()) {
        std::vector<double> p(m.classes().size());
        (void)m.PredictProba(row.data(), 1, p.data());
      }
      break;
    }
    case inferd::ModelKind::kRegressor: {
      std::vector<double> v(width == 0 ? 1 : width);
      (void)m.PredictValue(row.data(), 1, v.data());
      break;
    }
    case inferd::ModelKind::kTransformer: {
      std::vector<double> v(width == 0 ? 1 : width);
      (void)m.Transform(row.data(), 1, v.data());
      break;
    }
  }
  size_t dw = m.decision_function_width();
  if (dw > 0 && dw <= kMaxOutputs) {
    std::vector<double> d(dw);
    (void)m.DecisionFunction(row.data(), 1, d.data());
  }
  (void)m.Describe();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  inferd::LoadOptions o;
  o.max_file_bytes = 1 << 20;
  o.max_decompressed_bytes = 64 << 20;
  o.max_expansion_ratio = 1000;
  auto m = inferd::LoadModelBytes(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz", o);
  if (m.ok()) PredictOnce(**m);
  return 0;
}
