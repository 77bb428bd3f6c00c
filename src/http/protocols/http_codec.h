// HttpCodec: the HTTP side every JSON protocol shares around the request path — a request body
// in, a Response out, errors answered as {"error": ...} with the status HttpStatusFor gives.
// Each protocol derives from it and adds its Decode and Encode (see serving/inference.h).
//
// Thread safety: one object per request, on the handler's thread.
#ifndef INFERD_HTTP_PROTOCOLS_HTTP_CODEC_H_
#define INFERD_HTTP_PROTOCOLS_HTTP_CODEC_H_

#include "http/message.h"
#include "serving/inference.h"

namespace inferd::http {

class HttpCodec : public ProtocolCodec {
 public:
  // Both must outlive the codec.
  HttpCodec(const Request& request, Response* response) : request_(request), response_(response) {}

  void Fail(const Status& status) override { ReplyError(status, response_); }
  int metrics_code() const override { return response_->status; }

 protected:
  const Request& request_;
  Response* const response_;
};

// The model a "/.../models/{name}[/versions/{version}]..." route names (its path parameters).
inline ModelSelector SelectorFromPath(const Request& request, bool versioned) {
  return {request.params[0], versioned ? request.params[1] : std::string_view()};
}

}  // namespace inferd::http

#endif  // INFERD_HTTP_PROTOCOLS_HTTP_CODEC_H_
