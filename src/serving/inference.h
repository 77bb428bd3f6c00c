// The one request path every protocol shares: a protocol decodes its wire form into an
// InferenceRequest, InferenceService resolves the model, runs the requested outputs and counts
// the request, and the protocol encodes the InferenceResult. Model lookup and its error texts,
// row limits, timing, per-model metrics and the compute switch exist only here.
//
//   wire --Decode--> InferenceRequest --InferenceService::Infer--> InferenceResult --Encode--> wire
//
// A protocol (HTTP+JSON today, gRPC later) implements ProtocolCodec; nothing in serving knows
// about any transport.
//
// Thread safety: InferenceService is immutable after construction and safe from any number of
// threads; each thread reuses its own request/result scratch, so steady-state requests do not
// allocate in the path. A ProtocolCodec belongs to one request.
#ifndef INFERD_SERVING_INFERENCE_H_
#define INFERD_SERVING_INFERENCE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inferd/input_schema.h"
#include "inferd/model.h"
#include "inferd/status.h"
#include "metrics/model_metrics.h"
#include "serving/model_manager.h"

namespace inferd {

// The outputs a request can ask for (sklearn's method names, LightGBM's raw_score; KServe V2
// output names), and the per-feature contributions that explain a prediction
// (Model::Contributions).
enum class OutputKind : uint8_t { kPredict, kPredictProba, kDecisionFunction, kTransform, kRawScore, kContributions };

// "predict", "predict_proba", "decision_function", "transform", "raw_score", "contributions";
// false if unknown.
bool ParseOutputKind(std::string_view name, OutputKind* out);
const char* OutputKindName(OutputKind k);
// The default output of a model: transform for transformers, else predict.
OutputKind DefaultOutput(const Model& model);

// The form of contributions a request asks for: the model's own (Model::contribution_form()),
// per input column, or per transformed feature (a model without transformer steps answers
// per input column, which are then the same features).
enum class ContributionRequest : uint8_t { kDefault, kInputColumns, kTransformedFeatures };
// "columns" -> kInputColumns, "features" -> kTransformedFeatures; false if unknown.
bool ParseContributionRequest(std::string_view name, ContributionRequest* out);

// What a decoder must produce for the resolved model.
struct InputSpec {
  // Every row has exactly this many values.
  size_t n_features = 0;
  // Upper bound on rows in one request (ResourceExhausted beyond it).
  size_t max_rows = 10000;
  // If true, null and NaN mean "missing" and decode to NaN (Model::accepts_missing()).
  bool allow_missing = false;
  // The model's input columns (names, kinds, string categories); never null inside
  // InferenceService::Infer (json/table_cells.h reads it).
  const InputSchema* schema = nullptr;
  // Named input may carry columns the model does not have; they are ignored, not refused.
  bool ignore_extra_columns = false;
};

// A decoded request. Decoders fill it; it keeps its capacity between requests on a thread.
struct InferenceRequest {
  // Row-major n_rows * n_features values.
  std::vector<double> x;
  size_t n_rows = 0;
  // Outputs in the order the encoder writes them; empty: the model's DefaultOutput.
  std::vector<OutputKind> outputs;
  // The client's request id, echoed by protocols that have one (V2 "id").
  std::string id;
  // The client sent one unbatched row ({"features": [...]}) and expects one answer, not a list.
  bool single_row = false;
  // The form of a kContributions output.
  ContributionRequest contributions_form = ContributionRequest::kDefault;

  void Clear() {
    x.clear();
    n_rows = 0;
    outputs.clear();
    id.clear();
    single_row = false;
    contributions_form = ContributionRequest::kDefault;
  }
};

// One computed output for n_rows rows.
struct OutputTensor {
  OutputKind kind = OutputKind::kPredict;
  size_t n_rows = 0;
  size_t width = 1;    // values per row
  bool two_d = false;  // shape [n_rows, width] rather than [n_rows]
  size_t groups =
      1;  // kContributions: width = groups * (n_features + 1); shape [n_rows, groups, width / groups] if > 1
  const int32_t* classes = nullptr;  // kPredict on a classifier: indices into model.classes()
  const double* values = nullptr;    // everything else: n_rows * width values
  // kContributions: the features they are given for; per transformed feature, their names
  // (model.transformed_feature_names(), valid while the model is), else null (input columns).
  ContributionForm contributions_form = ContributionForm::kInputColumns;
  const std::vector<std::string>* feature_names = nullptr;
};

// What the encoder gets: the model version that answered, the request, and one tensor per
// requested output (in request order). Pointers are valid only during Encode.
struct InferenceResult {
  const ServedModel* served = nullptr;
  const InferenceRequest* request = nullptr;
  std::vector<OutputTensor> outputs;
};

// The two halves of a protocol around the request path, for one request.
class ProtocolCodec {
 public:
  virtual ~ProtocolCodec() = default;
  // Fills *request (already cleared) from the wire form; errors are client errors.
  virtual Status Decode(const InputSpec& spec, InferenceRequest* request) = 0;
  // Writes the answer.
  virtual void Encode(const InferenceResult& result) = 0;
  // Writes the error answer for `status` (lookup, decode or compute failure).
  virtual void Fail(const Status& status) = 0;
  // The answer's status as an HTTP-style code (the `code` label of the per-model metrics);
  // read after Encode or Fail.
  virtual int metrics_code() const = 0;
};

// Which model a request names. An empty name is the default model (the reference API).
struct ModelSelector {
  std::string_view name;
  std::string_view version;  // empty: the latest
};

struct InferenceOptions {
  // Upper bound on rows per request (InputSpec::max_rows).
  size_t max_batch_rows = 10000;
  // InputSpec::ignore_extra_columns (`inferd serve --ignore-extra-columns`).
  bool ignore_extra_columns = false;
};

class InferenceService {
 public:
  // `models` must outlive the service.
  InferenceService(const ModelManager* models, InferenceOptions options) : models_(models), options_(options) {}

  // The model a request names, or the one error every protocol answers: NotFound "no model
  // named 'x'" / "model 'x' has no version 'v'", or Unavailable "no model is loaded" for the
  // default model.
  StatusOr<ModelHandle> Find(const ModelSelector& selector) const;

  // Runs one request through `codec`: Find, Decode, compute every requested output, then
  // Encode, or Fail with the first error. Counts the request in the model's metrics.
  void Infer(Protocol protocol, const ModelSelector& selector, ProtocolCodec& codec) const;

  // Computes one output of `model` for request.x into *out (buffers owned by `scratch`, valid
  // until the scratch's next use). A kind the model does not have is InvalidArgument naming the
  // model, e.g. "the model (LinearRegression) has no predict_proba".
  struct ComputeScratch {
    std::vector<int32_t> classes;
    std::vector<double> predict, proba, decision, transform, raw, contributions;
  };
  // `form` applies to kContributions: asking per input column of a model whose steps mix
  // columns is InvalidArgument naming the model.
  static Status Compute(const Model& model, OutputKind kind, const double* x, size_t n_rows, ComputeScratch* scratch,
                        OutputTensor* out, ContributionRequest form = ContributionRequest::kDefault);

  const ModelManager& models() const { return *models_; }
  const InferenceOptions& options() const { return options_; }

 private:
  const ModelManager* const models_;
  const InferenceOptions options_;
};

}  // namespace inferd

#endif  // INFERD_SERVING_INFERENCE_H_
