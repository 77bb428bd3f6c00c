#include "metrics/prometheus.h"

#include "common/json_number.h"

namespace inferd::prom {

size_t CodeSlot(int code) {
  for (size_t i = 0; i < kCountedCodes.size(); ++i) {
    if (kCountedCodes[i] == code) return i;
  }
  int cls = code / 100;
  if (cls < 1 || cls > 5) cls = 5;
  return kCountedCodes.size() + static_cast<size_t>(cls - 1);
}

std::string CodeLabel(size_t slot) {
  if (slot < kCountedCodes.size()) return std::to_string(kCountedCodes[slot]);
  return std::to_string(slot - kCountedCodes.size() + 1) + "xx";
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

Labels& Labels::Add(std::string_view name, std::string_view value) {
  if (!text_.empty()) text_ += ',';
  text_ += name;
  text_ += "=\"";
  text_ += EscapeLabelValue(value);
  text_ += '"';
  return *this;
}

namespace {

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

// Appends `name<suffix>{labels} ` (no braces without labels); the caller appends the value.
void AppendSeries(const char* name, const char* suffix, const Labels& labels, std::string* out) {
  *out += name;
  *out += suffix;
  if (!labels.text().empty()) {
    *out += '{';
    *out += labels.text();
    *out += '}';
  }
  *out += ' ';
}

}  // namespace

void Family::Header(std::string* out) const {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += TypeName(type);
  *out += '\n';
}

void Family::Sample(const Labels& labels, uint64_t value, std::string* out) const {
  AppendSeries(name, "", labels, out);
  *out += std::to_string(value);
  *out += '\n';
}

void Family::FloatSample(const Labels& labels, double value, std::string* out) const {
  AppendSeries(name, "", labels, out);
  AppendPythonFloat(value, out);
  *out += '\n';
}

uint64_t HistogramTotal::count() const {
  uint64_t n = 0;
  for (uint64_t b : buckets_) n += b;
  return n;
}

void HistogramTotal::Render(const Family& family, const Labels& labels, std::string* out) const {
  uint64_t cumulative = 0;
  for (size_t b = 0; b < kBucketSlots; ++b) {
    cumulative += buckets_[b];
    std::string le = b < kBucketSeconds.size() ? PythonFloat(kBucketSeconds[b]) : "+Inf";
    AppendSeries(family.name, "_bucket", labels.With("le", le), out);
    *out += std::to_string(cumulative);
    *out += '\n';
  }
  AppendSeries(family.name, "_sum", labels, out);
  AppendPythonFloat(static_cast<double>(sum_ns_) / 1e9, out);
  *out += '\n';
  AppendSeries(family.name, "_count", labels, out);
  *out += std::to_string(cumulative);
  *out += '\n';
}

}  // namespace inferd::prom
