#include "grpc/reflection_service.h"

#include <cstdint>
#include <utility>

#include "grpc/grpc_transport.h"

#include "grpc/descriptor_set.h"  // generated: kDescriptorSet, kDescriptorSetSize

namespace inferd::grpc_api {
namespace {

namespace refl = grpc::reflection::v1alpha;

// Protobuf wire format, enough to split a FileDescriptorSet and read a file's name and package.
// Our own build-time bytes: a malformed input just ends the walk.
bool ReadVarint(std::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    const auto b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// Calls fn(field number, bytes) for each length-delimited field of the message `in`.
template <typename Fn>
void ForEachBytesField(std::string_view in, Fn&& fn) {
  while (!in.empty()) {
    uint64_t key, len;
    if (!ReadVarint(&in, &key)) return;
    switch (key & 7) {
      case 0:
        if (!ReadVarint(&in, &len)) return;
        break;
      case 1:
        if (in.size() < 8) return;
        in.remove_prefix(8);
        break;
      case 5:
        if (in.size() < 4) return;
        in.remove_prefix(4);
        break;
      case 2:
        if (!ReadVarint(&in, &len) || len > in.size()) return;
        fn(key >> 3, in.substr(0, len));
        in.remove_prefix(len);
        break;
      default: return;
    }
  }
}

}  // namespace

ReflectionService::ReflectionService(std::vector<std::string> services) : services_(std::move(services)) {
  std::string_view set(reinterpret_cast<const char*>(kDescriptorSet), kDescriptorSetSize);
  ForEachBytesField(set, [this](uint64_t field, std::string_view file) {
    if (field != 1) return;  // FileDescriptorSet.file
    File f;
    f.bytes = std::string(file);
    ForEachBytesField(file, [&f](uint64_t n, std::string_view v) {
      if (n == 1) f.name = std::string(v);     // FileDescriptorProto.name
      if (n == 2) f.package = std::string(v);  // FileDescriptorProto.package
    });
    files_.push_back(std::move(f));
  });
}

const ReflectionService::File* ReflectionService::FindSymbol(std::string_view symbol) const {
  for (const File& f : files_) {
    if (symbol.size() > f.package.size() && symbol.substr(0, f.package.size()) == f.package &&
        symbol[f.package.size()] == '.') {
      return &f;
    }
  }
  return nullptr;
}

void ReflectionService::Answer(const refl::ServerReflectionRequest& request,
                               refl::ServerReflectionResponse* response) const {
  response->set_valid_host(request.host());
  *response->mutable_original_request() = request;
  auto not_found = [response](const std::string& what) {
    refl::ErrorResponse* e = response->mutable_error_response();
    e->set_error_code(static_cast<int32_t>(GrpcCode::kNotFound));
    e->set_error_message(what);
  };
  switch (request.message_request_case()) {
    case refl::ServerReflectionRequest::kListServices:
      for (const std::string& s : services_) response->mutable_list_services_response()->add_service()->set_name(s);
      return;
    case refl::ServerReflectionRequest::kFileByFilename:
      for (const File& f : files_) {
        if (f.name == request.file_by_filename()) {
          response->mutable_file_descriptor_response()->add_file_descriptor_proto(f.bytes);
          return;
        }
      }
      return not_found("no file named '" + request.file_by_filename() + "'");
    case refl::ServerReflectionRequest::kFileContainingSymbol:
      if (const File* f = FindSymbol(request.file_containing_symbol())) {
        response->mutable_file_descriptor_response()->add_file_descriptor_proto(f->bytes);
        return;
      }
      return not_found("no symbol named '" + request.file_containing_symbol() + "'");
    case refl::ServerReflectionRequest::kAllExtensionNumbersOfType:
      // The files declare no extensions: a known message type has none.
      if (FindSymbol(request.all_extension_numbers_of_type()) != nullptr) {
        response->mutable_all_extension_numbers_response()->set_base_type_name(request.all_extension_numbers_of_type());
        return;
      }
      return not_found("no type named '" + request.all_extension_numbers_of_type() + "'");
    case refl::ServerReflectionRequest::kFileContainingExtension: return not_found("no extensions are declared");
    case refl::ServerReflectionRequest::MESSAGE_REQUEST_NOT_SET: break;
  }
  refl::ErrorResponse* e = response->mutable_error_response();
  e->set_error_code(static_cast<int32_t>(GrpcCode::kInvalidArgument));
  e->set_error_message("the request names no reflection call");
}

}  // namespace inferd::grpc_api
