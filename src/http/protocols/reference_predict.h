// The reference API's POST /predict (the Flask app inferd replaces), as a protocol adapter:
// JSON body -> row-major matrix -> model -> JSON answer. See docs/api.md.
//
// Thread safety: Handle() is const and safe from any number of threads; it uses thread_local
// scratch buffers, so steady-state requests do not allocate for the matrix or the outputs.
#ifndef INFERD_HTTP_PROTOCOLS_REFERENCE_PREDICT_H_
#define INFERD_HTTP_PROTOCOLS_REFERENCE_PREDICT_H_

#include <cstddef>

#include "http/message.h"
#include "serving/model_manager.h"

namespace inferd::http {

struct ReferencePredictOptions {
  // Upper bound on rows per "instances" batch (413 beyond it).
  size_t max_batch_rows = 10000;
};

class ReferencePredictHandler {
 public:
  // `models` must outlive the handler.
  ReferencePredictHandler(const ModelManager* models, ReferencePredictOptions options)
      : models_(models), options_(options) {}

  void Handle(const Request& request, Response* response) const;

 private:
  const ModelManager* const models_;
  const ReferencePredictOptions options_;
};

}  // namespace inferd::http

#endif  // INFERD_HTTP_PROTOCOLS_REFERENCE_PREDICT_H_
