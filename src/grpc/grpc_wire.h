// gRPC's framing over HTTP/2, the parts of the wire format that are not HTTP/2 itself:
// length-prefixed messages, the grpc-timeout header and grpc-message's percent-encoding
// (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md). Untrusted input: every
// function bounds what it reads.
#ifndef INFERD_GRPC_GRPC_WIRE_H_
#define INFERD_GRPC_GRPC_WIRE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace inferd::grpc_api {

// "1-8 digits" + unit (H, M, S, m, u, n); nullopt for anything else.
std::optional<std::chrono::nanoseconds> ParseGrpcTimeout(std::string_view value);

// Bytes outside 0x20..0x7e and '%' as %XX.
std::string PercentEncode(std::string_view message);

// A message's 5-byte prefix: not compressed, then the length (big-endian).
constexpr size_t kMessagePrefixBytes = 5;
// Writes the prefix of an uncompressed message of `length` bytes to prefix[0..5).
void SetMessagePrefix(size_t length, char* prefix);

// The prefix and the message.
std::string FrameMessage(std::string_view message);

// Splits a stream's DATA bytes into messages.
class MessageReader {
 public:
  enum class Result { kMessage, kNeedMore, kTooLarge, kCompressed };
  void Append(std::string_view data);
  // The next complete message (valid until the next Append or Next). kTooLarge as soon as a
  // prefix announces more than `max` bytes (pending_length() says how many).
  Result Next(size_t max, std::string_view* message);
  // Bytes held that are not yet a returned message.
  size_t buffered() const { return buffer_.size() - pos_; }
  size_t capacity() const { return buffer_.capacity(); }
  // Forgets everything held; keeps the buffer's memory.
  void Clear() {
    buffer_.clear();
    pos_ = 0;
    pending_length_ = 0;
  }
  uint32_t pending_length() const { return pending_length_; }

 private:
  std::string buffer_;
  size_t pos_ = 0;
  uint32_t pending_length_ = 0;
};

}  // namespace inferd::grpc_api

#endif  // INFERD_GRPC_GRPC_WIRE_H_
