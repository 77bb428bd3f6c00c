// Runs a model for one requested output (predict / predict_proba / decision_function /
// transform) into per-thread scratch: the piece every protocol adapter shares after decoding.
//
// Thread safety: ComputeOutput is safe from any thread; each `ComputeScratch` belongs to one
// thread (adapters keep theirs thread_local).
#ifndef INFERD_HTTP_PROTOCOLS_MODEL_COMPUTE_H_
#define INFERD_HTTP_PROTOCOLS_MODEL_COMPUTE_H_

#include <cstdint>
#include <vector>

#include "inferd/model.h"
#include "json/tensor_codec.h"

namespace inferd::http {

struct ComputeScratch {
  std::vector<int32_t> classes;
  std::vector<double> predict, proba, decision, transform;
};

// The default output of a model: transform for transformers, else predict.
OutputKind DefaultOutput(const Model& model);

// Fills *out (pointing into *scratch). A kind the model does not have is InvalidArgument
// naming the model, e.g. "the model (LinearRegression) has no predict_proba".
Status ComputeOutput(const Model& model, OutputKind kind, const double* x, size_t n_rows, ComputeScratch* scratch,
                     OutputTensor* out);

}  // namespace inferd::http

#endif  // INFERD_HTTP_PROTOCOLS_MODEL_COMPUTE_H_
