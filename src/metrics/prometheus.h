// Building blocks for Prometheus metrics and their text exposition (format 0.0.4).
//
//   Family           a family's name, type and help, declared once (constexpr); writes the
//                    # HELP / # TYPE lines and scalar samples.
//   Labels           a label set, values escaped as they are added.
//   Counter<W>, Gauge<W>, Histogram<W>
//                    the cells of one shard. W is the write policy: SingleWriter (one thread
//                    writes the shard) or SharedWriter (several threads may).
//   HistogramTotal   histogram shards summed at scrape time; renders _bucket/_sum/_count.
//                    Counter and gauge shards are summed with Load().
//   CodeSlot()       the `code` label: the status codes counted one by one, else their class.
//   BucketSlot()     the one latency bucket layout (seconds; observed in nanoseconds).
//
// Thread safety: cells may be written and read concurrently (relaxed atomics: a scrape may see
// one cell of a request updated before another). Family, Labels and totals are plain values.
#ifndef INFERD_METRICS_PROMETHEUS_H_
#define INFERD_METRICS_PROMETHEUS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace inferd::prom {

// ---- Status codes ----------------------------------------------------------------------------

// Status codes counted individually; any other code is counted by its class (1xx..5xx).
inline constexpr std::array<int, 10> kCountedCodes = {200, 400, 404, 405, 408, 413, 431, 500, 501, 503};
inline constexpr size_t kCodeSlots = kCountedCodes.size() + 5;

// The slot of `code`: its index in kCountedCodes, else its class after them (out of range: 5xx).
size_t CodeSlot(int code);
// The `code` label value of a slot ("200", "4xx").
std::string CodeLabel(size_t slot);

// ---- Latency buckets -------------------------------------------------------------------------

// Upper bounds in seconds; +Inf is the last slot.
inline constexpr std::array<double, 16> kBucketSeconds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
inline constexpr size_t kBucketSlots = kBucketSeconds.size() + 1;

// The bounds in nanoseconds, so the hot path compares integers.
inline constexpr std::array<uint64_t, kBucketSeconds.size()> kBucketNanos = [] {
  std::array<uint64_t, kBucketSeconds.size()> n{};
  for (size_t i = 0; i < n.size(); ++i) n[i] = static_cast<uint64_t>(kBucketSeconds[i] * 1e9 + 0.5);
  return n;
}();

// The first bucket whose bound is >= nanos (kBucketSlots - 1 is +Inf).
inline size_t BucketSlot(uint64_t nanos) {
  size_t b = 0;
  while (b < kBucketNanos.size() && nanos > kBucketNanos[b]) ++b;
  return b;
}

// ---- Exposition ------------------------------------------------------------------------------

// Escapes a label value (backslash, double quote, newline).
std::string EscapeLabelValue(std::string_view v);

// A label set in exposition order, rendered as `a="x",b="y"`.
class Labels {
 public:
  Labels() = default;
  Labels(std::string_view name, std::string_view value) { Add(name, value); }
  // Appends name="escaped value".
  Labels& Add(std::string_view name, std::string_view value);
  // A copy with one more label.
  Labels With(std::string_view name, std::string_view value) const { return Labels(*this).Add(name, value); }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

enum class MetricType { kCounter, kGauge, kHistogram };

// One metric family, declared once (a constexpr value next to the code that fills it).
// REQUIRES: `help` has no backslash or newline.
struct Family {
  const char* name;
  MetricType type;
  const char* help;

  // Appends the # HELP and # TYPE lines.
  void Header(std::string* out) const;
  // Appends `name{labels} value`.
  void Sample(const Labels& labels, uint64_t value, std::string* out) const;
  void FloatSample(const Labels& labels, double value, std::string* out) const;
};

// ---- Cells -----------------------------------------------------------------------------------

// Write policies. Both relaxed: the counts need no ordering, only atomicity for the reader.
struct SingleWriter {
  // One writing thread: load + store, no locked instruction.
  template <typename T>
  static void Add(std::atomic<T>& a, T d) {
    a.store(a.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
  }
};
struct SharedWriter {
  template <typename T>
  static void Add(std::atomic<T>& a, T d) {
    a.fetch_add(d, std::memory_order_relaxed);
  }
};

template <typename W>
class Counter {
 public:
  void Add(uint64_t d = 1) { W::Add(v_, d); }
  uint64_t Load() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

template <typename W>
class Gauge {
 public:
  void Add(int64_t d) { W::Add(v_, d); }
  int64_t Load() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

template <typename W>
class Histogram {
 public:
  void Observe(uint64_t nanos) {
    W::Add(buckets_[BucketSlot(nanos)], uint64_t{1});
    W::Add(sum_ns_, nanos);
  }

 private:
  friend class HistogramTotal;
  std::atomic<uint64_t> buckets_[kBucketSlots] = {};
  std::atomic<uint64_t> sum_ns_{0};
};

// Histogram shards summed for one scrape; renders the family's samples.
class HistogramTotal {
 public:
  template <typename W>
  void Add(const Histogram<W>& shard) {
    for (size_t b = 0; b < kBucketSlots; ++b) buckets_[b] += shard.buckets_[b].load(std::memory_order_relaxed);
    sum_ns_ += shard.sum_ns_.load(std::memory_order_relaxed);
  }
  uint64_t count() const;
  uint64_t sum_nanos() const { return sum_ns_; }

  // Appends the cumulative `_bucket` lines (+Inf last), `_sum` in seconds and `_count`.
  // REQUIRES: family.type == MetricType::kHistogram.
  void Render(const Family& family, const Labels& labels, std::string* out) const;

 private:
  std::array<uint64_t, kBucketSlots> buckets_{};  // per bucket, not cumulative
  uint64_t sum_ns_ = 0;
};

}  // namespace inferd::prom

#endif  // INFERD_METRICS_PROMETHEUS_H_
