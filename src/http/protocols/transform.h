// POST /transform on the default model when it is a transformer (kTransformer, e.g. a
// StandardScaler or a pipeline ending in one): {"features": [...]} -> {"transform": [...]},
// {"instances": [[...], ...]} -> {"transform": [[...], ...]}. Same request decoding as /predict.
//
// Thread safety: Handle() is const and safe from any thread (thread_local scratch).
#ifndef INFERD_HTTP_PROTOCOLS_TRANSFORM_H_
#define INFERD_HTTP_PROTOCOLS_TRANSFORM_H_

#include <cstddef>

#include "http/message.h"
#include "serving/model_manager.h"

namespace inferd::http {

class TransformHandler {
 public:
  TransformHandler(const ModelManager* models, size_t max_batch_rows) : models_(models), max_rows_(max_batch_rows) {}
  void Handle(const Request& request, Response* response) const;

 private:
  const ModelManager* const models_;
  const size_t max_rows_;
};

}  // namespace inferd::http

#endif  // INFERD_HTTP_PROTOCOLS_TRANSFORM_H_
