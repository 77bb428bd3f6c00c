#include "grpc/grpc_wire.h"

#include <cstring>

namespace inferd::grpc_api {

std::optional<std::chrono::nanoseconds> ParseGrpcTimeout(std::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  int64_t n = 0;
  for (char c : value.substr(0, value.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  using std::chrono::nanoseconds;
  switch (value.back()) {
    case 'H': return std::chrono::duration_cast<nanoseconds>(std::chrono::hours(n));
    case 'M': return std::chrono::duration_cast<nanoseconds>(std::chrono::minutes(n));
    case 'S': return std::chrono::duration_cast<nanoseconds>(std::chrono::seconds(n));
    case 'm': return std::chrono::duration_cast<nanoseconds>(std::chrono::milliseconds(n));
    case 'u': return std::chrono::duration_cast<nanoseconds>(std::chrono::microseconds(n));
    case 'n': return nanoseconds(n);
    default: return std::nullopt;
  }
}

std::string PercentEncode(std::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(message.size());
  for (char ch : message) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void SetMessagePrefix(size_t length, char* prefix) {
  const auto n = static_cast<uint32_t>(length);
  prefix[0] = 0;
  prefix[1] = static_cast<char>(n >> 24);
  prefix[2] = static_cast<char>(n >> 16);
  prefix[3] = static_cast<char>(n >> 8);
  prefix[4] = static_cast<char>(n);
}

std::string FrameMessage(std::string_view message) {
  std::string out(kMessagePrefixBytes + message.size(), '\0');
  SetMessagePrefix(message.size(), out.data());
  if (!message.empty()) std::memcpy(out.data() + kMessagePrefixBytes, message.data(), message.size());
  return out;
}

void MessageReader::Append(std::string_view data) {
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  } else if (pos_ > 0 && pos_ >= buffer_.size() / 2) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  buffer_.append(data);
}

MessageReader::Result MessageReader::Next(size_t max, std::string_view* message) {
  const size_t avail = buffer_.size() - pos_;
  if (avail < 5) return Result::kNeedMore;
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + pos_);
  pending_length_ = (uint32_t{p[1]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 8) | uint32_t{p[4]};
  if ((p[0] & 1) != 0) return Result::kCompressed;
  if (pending_length_ > max) return Result::kTooLarge;
  if (avail - 5 < pending_length_) {
    buffer_.reserve(pos_ + 5 + pending_length_);
    return Result::kNeedMore;
  }
  *message = std::string_view(buffer_.data() + pos_ + 5, pending_length_);
  pos_ += 5 + pending_length_;
  return Result::kMessage;
}

}  // namespace inferd::grpc_api
