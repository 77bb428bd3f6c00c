// gRPC server reflection (grpc.reflection.v1alpha.ServerReflection) for inferd's own services,
// so grpcurl and similar tools list and call them without the .proto files.
//
// inferd links protobuf's lite runtime, which has no descriptors; the descriptors of
// src/grpc/proto/*.proto are compiled in as the serialized FileDescriptorSet protoc writes at
// build time, and a symbol belongs to the file whose package prefixes it.
//
// Thread safety: the service is immutable after construction; each stream has its own reactor.
#ifndef INFERD_GRPC_REFLECTION_SERVICE_H_
#define INFERD_GRPC_REFLECTION_SERVICE_H_

#include <string>
#include <string_view>
#include <vector>

#include "reflection.grpc.pb.h"

namespace inferd::grpc_api {

class ReflectionService final : public grpc::reflection::v1alpha::ServerReflection::CallbackService {
 public:
  // `services`: the full names list_services answers.
  explicit ReflectionService(std::vector<std::string> services);

  grpc::ServerBidiReactor<grpc::reflection::v1alpha::ServerReflectionRequest,
                          grpc::reflection::v1alpha::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext* context) override;

  // The answer to one request (exposed for tests).
  void Answer(const grpc::reflection::v1alpha::ServerReflectionRequest& request,
              grpc::reflection::v1alpha::ServerReflectionResponse* response) const;

 private:
  struct File {
    std::string name;     // e.g. "inference.proto"
    std::string package;  // e.g. "inference"
    std::string bytes;    // the serialized FileDescriptorProto
  };
  const File* FindSymbol(std::string_view symbol) const;

  std::vector<std::string> services_;
  std::vector<File> files_;
};

}  // namespace inferd::grpc_api

#endif  // INFERD_GRPC_REFLECTION_SERVICE_H_
