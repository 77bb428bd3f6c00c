// gRPC server reflection (grpc.reflection.v1alpha.ServerReflection) for inferd's own services,
// so grpcurl and similar tools list and call them without the .proto files.
//
// inferd links protobuf's lite runtime, which has no descriptors; the descriptors of
// src/grpc/proto/*.proto are compiled in as the serialized FileDescriptorSet protoc writes at
// build time, and a symbol belongs to the file whose package prefixes it.
//
// Thread safety: immutable after construction; Answer may be called from any thread.
#ifndef INFERD_GRPC_REFLECTION_SERVICE_H_
#define INFERD_GRPC_REFLECTION_SERVICE_H_

#include <string>
#include <string_view>
#include <vector>

#include "reflection.pb.h"

namespace inferd::grpc_api {

class ReflectionService {
 public:
  // `services`: the full names list_services answers.
  explicit ReflectionService(std::vector<std::string> services);

  // The answer to one request of the ServerReflectionInfo stream.
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
