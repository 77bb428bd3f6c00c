// inferd_micro_bench: single-threaded, in-process timings of the C++ runtimes with Google Benchmark.
//
//   inferd_micro_bench [--benchmark_* flags] [--load_seconds=S] NAME=MODEL,ROWS.f64 [NAME=MODEL ...]
//
// MODEL is any file LoadModelFile takes (a pickle / joblib file, a native XGBoost .json / .ubj, or a
// LightGBM model text).
// ROWS.f64 is a raw little-endian float64 matrix, row-major, model.n_features() columns (bench/run
// writes it from the same held-out rows it sends to the servers and gives scikit-learn). A case
// without ROWS (NAME=MODEL) is timed for its load only (bench/run's native XGBoost files, whose
// predictions are the pickle's). For each model it registers:
//   Load/NAME            LoadModelFile(MODEL.pkl) (file in the page cache; parse + build), timed
//                        one load per repetition (Iterations(1)), so the median aggregate is the
//                        median of single loads -- the same estimator bench/run uses for
//                        joblib.load. (A mean over 0.3 s of loads, the default, is pulled up by
//                        any slow stretch of a shared VM; the median of single loads is not.)
//                        Repetitions: as many as fit in ~S s (--load_seconds, default 2; bench/run
//                        --smoke passes 0.5), 20 to 1000; this overrides --benchmark_repetitions
//                        for Load only.
//   LoadPhase/NAME/parse, .../build, .../drop
//                        The three parts of a load timed apart (manual time, same repetitions):
//                        reading the file into the value tree (pickle::ReadPickleFile), building
//                        the model from the tree (sklearn::BuildEstimator), and dropping the tree
//                        and the file mapping. Their sum is Load/NAME minus LoadModelFile's file
//                        checks (stat, xgboost sniff) and minus freeing the model, which Load/NAME
//                        includes as joblib.load's timing does. docs/benchmarks.md quotes them.
//                        Pickles only (native XGBoost and LightGBM files have no value tree).
//   Predict/NAME/ROWS    PredictClass (classifiers) or PredictValue (regressors) on the first ROWS
//                        rows, for ROWS in 1, 100, 1000 (fewer if the file holds fewer rows)
//   Contributions/NAME/ROWS  Model::Contributions (exact per-feature contributions) for ROWS in
//                        1, 1000, for the models named by --contributions=NAME,... that explain
//                        (opt-in: a deep forest's explanations take minutes): what xgboost's
//                        predict(pred_contribs=True) computes
//   PredictProba/NAME/ROWS  PredictProba, the same row counts, for classifiers with has_proba():
//                        what predict_proba, and xgboost's inplace_predict, compute
// Every Predict benchmark first checks the call succeeds and stops with a message if it does not,
// so a timing never comes from an error path.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "inferd/loader.h"
#include "inferd/model.h"
#include "pickle/reader.h"
#include "sklearn/registry.h"

namespace {

struct Case {
  std::string name;
  std::string model_path;
  std::shared_ptr<const inferd::Model> model;
  std::vector<double> rows;  // n_rows * n_features, row-major
  size_t n_rows = 0;
  double first_load_s = 0;  // the untimed load in main(): sizes the Load repetitions
};

bool ReadRows(const std::string& path, size_t n_features, std::vector<double>* out, size_t* n_rows) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return false;
  const std::streamoff bytes = in.tellg();
  const size_t row_bytes = n_features * sizeof(double);
  if (bytes <= 0 || row_bytes == 0 || static_cast<size_t>(bytes) % row_bytes != 0) return false;
  out->resize(static_cast<size_t>(bytes) / sizeof(double));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(out->data()), bytes);
  *n_rows = static_cast<size_t>(bytes) / row_bytes;
  return static_cast<bool>(in);
}

// A native XGBoost model file starts with '{' (JSON and UBJSON objects both) and a LightGBM
// model text with the line "tree", which no pickle does (LoadModelFile tells them apart the
// same way).
bool IsPickleFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[5] = {0, 0, 0, 0, 0};
  in.read(head, sizeof head);
  const std::string h(head, static_cast<size_t>(in.gcount()));
  return !h.empty() && h[0] != '{' && h != "tree\n" && h.rfind("tree\r", 0) != 0;
}

inferd::Status Predict(const inferd::Model& m, const double* x, size_t n, bool proba, std::vector<int32_t>* cls,
                       std::vector<double>* val) {
  if (proba) return m.PredictProba(x, n, val->data());
  if (m.kind() == inferd::ModelKind::kClassifier) return m.PredictClass(x, n, cls->data());
  return m.PredictValue(x, n, val->data());
}

void BM_Load(benchmark::State& state, const Case* c) {
  for (auto _ : state) {
    auto m = inferd::LoadModelFile(c->model_path);
    if (!m.ok()) {
      state.SkipWithError(m.status().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(m.value().get());
  }
}

enum class Phase { kParse, kBuild, kDrop };

void BM_LoadPhase(benchmark::State& state, const Case* c, Phase phase) {
  const inferd::LoadOptions options;  // LoadModelFile's defaults
  inferd::pickle::ReadLimits limits;
  limits.max_decompressed_bytes = options.max_decompressed_bytes;
  limits.max_expansion_ratio = options.max_expansion_ratio;
  using Clock = std::chrono::steady_clock;
  for (auto _ : state) {
    std::shared_ptr<const inferd::pickle::MappedFile> mapping;
    const Clock::time_point t0 = Clock::now();
    auto root = inferd::pickle::ReadPickleFile(c->model_path, limits, &mapping);
    const Clock::time_point t1 = Clock::now();
    if (!root.ok() || *root == nullptr) {
      state.SkipWithError(root.ok() ? "empty pickle" : root.status().message().c_str());
      return;
    }
    auto m = inferd::sklearn::BuildEstimator(**root);
    const Clock::time_point t2 = Clock::now();
    if (!m.ok()) {
      state.SkipWithError(m.status().message().c_str());
      return;
    }
    root = inferd::pickle::TreePtr();
    mapping.reset();
    const Clock::time_point t3 = Clock::now();
    benchmark::DoNotOptimize(m.value().get());
    const Clock::duration d = phase == Phase::kParse ? t1 - t0 : phase == Phase::kBuild ? t2 - t1 : t3 - t2;
    state.SetIterationTime(std::chrono::duration<double>(d).count());
  }
}

void BM_Predict(benchmark::State& state, const Case* c, size_t n, bool proba) {
  const inferd::Model& m = *c->model;
  std::vector<int32_t> cls(n);
  std::vector<double> val(n * std::max<size_t>(1, m.n_outputs()));
  inferd::Status st = Predict(m, c->rows.data(), n, proba, &cls, &val);
  if (!st.ok()) {
    state.SkipWithError(st.message().c_str());
    return;
  }
  for (auto _ : state) {
    st = Predict(m, c->rows.data(), n, proba, &cls, &val);
    benchmark::DoNotOptimize(cls.data());
    benchmark::DoNotOptimize(val.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
}

void BM_Contributions(benchmark::State& state, const Case* c, size_t n) {
  const inferd::Model& m = *c->model;
  std::vector<double> out(n * m.contribution_groups() * (m.n_features() + 1));
  inferd::Status st = m.Contributions(c->rows.data(), n, out.data());
  if (!st.ok()) {
    state.SkipWithError(st.message().c_str());
    return;
  }
  for (auto _ : state) {
    st = m.Contributions(c->rows.data(), n, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);  // removes the --benchmark_* flags it understood
  // Cases live until the end of main: the registered benchmarks point at them.
  std::vector<std::unique_ptr<Case>> cases;
  double load_seconds = 2.0;
  std::string explained = ",";  // --contributions: ",NAME,NAME,"
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--load_seconds=", 0) == 0) {
      load_seconds = std::atof(arg.c_str() + 15);
      continue;
    }
    if (arg.rfind("--contributions=", 0) == 0) {
      explained += arg.substr(16) + ",";
      continue;
    }
    const size_t eq = arg.find('='), comma = arg.find(',', eq == std::string::npos ? 0 : eq);
    if (eq == std::string::npos) {
      std::fprintf(stderr,
                   "usage: %s [--benchmark_...] [--load_seconds=S] [--contributions=NAME,...] "
                   "NAME=MODEL[,ROWS.f64] ...\n",
                   argv[0]);
      return 2;
    }
    auto c = std::make_unique<Case>();
    c->name = arg.substr(0, eq);
    c->model_path = arg.substr(eq + 1, comma == std::string::npos ? std::string::npos : comma - eq - 1);
    const auto t0 = std::chrono::steady_clock::now();
    auto loaded = inferd::LoadModelFile(c->model_path);
    c->first_load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!loaded.ok()) {
      std::fprintf(stderr, "inferd_micro_bench: %s\n", loaded.status().message().c_str());
      return 1;
    }
    c->model = std::move(loaded).value();
    if (comma != std::string::npos && !ReadRows(arg.substr(comma + 1), c->model->n_features(), &c->rows, &c->n_rows)) {
      std::fprintf(stderr, "inferd_micro_bench: %s: not a float64 matrix with %zu columns\n",
                   arg.substr(comma + 1).c_str(), c->model->n_features());
      return 1;
    }
    cases.push_back(std::move(c));
  }
  if (cases.empty()) {
    std::fprintf(stderr, "usage: %s [--benchmark_...] [--load_seconds=S] NAME=MODEL[,ROWS.f64] ...\n", argv[0]);
    return 2;
  }
  for (const auto& c : cases) {
    const int reps = static_cast<int>(std::clamp(load_seconds / std::max(c->first_load_s, 1e-6), 20.0, 1000.0));
    // Loads are timed one per repetition (see the file comment), with min and max.
    auto single_loads = [reps](benchmark::internal::Benchmark* b) {
      b->Unit(benchmark::kMillisecond)
          ->Iterations(1)
          ->Repetitions(reps)
          ->ComputeStatistics("min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); })
          ->ComputeStatistics("max",
                              [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); });
    };
    single_loads(benchmark::RegisterBenchmark(("Load/" + c->name).c_str(), BM_Load, c.get()));
    for (auto [phase, label] :
         {std::pair{Phase::kParse, "parse"}, std::pair{Phase::kBuild, "build"}, std::pair{Phase::kDrop, "drop"}}) {
      if (!IsPickleFile(c->model_path)) break;
      single_loads(
          benchmark::RegisterBenchmark(("LoadPhase/" + c->name + "/" + label).c_str(), BM_LoadPhase, c.get(), phase)
              ->UseManualTime());
    }
    for (size_t n : {size_t{1}, size_t{100}, size_t{1000}}) {
      if (n > c->n_rows) break;
      benchmark::RegisterBenchmark(("Predict/" + c->name + "/" + std::to_string(n)).c_str(), BM_Predict, c.get(), n,
                                   false)
          ->Unit(benchmark::kMicrosecond);
    }
    for (size_t n : {size_t{1}, size_t{1000}}) {
      if (n > c->n_rows || c->model->contribution_groups() == 0 ||
          explained.find("," + c->name + ",") == std::string::npos) {
        break;
      }
      benchmark::RegisterBenchmark(("Contributions/" + c->name + "/" + std::to_string(n)).c_str(), BM_Contributions,
                                   c.get(), n)
          ->Unit(benchmark::kMicrosecond);
    }
    if (c->model->kind() != inferd::ModelKind::kClassifier || !c->model->has_proba()) continue;
    for (size_t n : {size_t{1}, size_t{100}, size_t{1000}}) {
      if (n > c->n_rows) break;
      benchmark::RegisterBenchmark(("PredictProba/" + c->name + "/" + std::to_string(n)).c_str(), BM_Predict, c.get(),
                                   n, true)
          ->Unit(benchmark::kMicrosecond);
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
