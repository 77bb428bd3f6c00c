#include "pickle/decompress.h"

#include <bzlib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace inferd::pickle {
namespace {

constexpr size_t kChunk = size_t{1} << 30;  // the C APIs take 32-bit lengths
constexpr uint64_t kLzmaMemLimit = uint64_t{256} << 20;

bool StartsWith(std::string_view b, std::string_view magic) {
  return b.size() >= magic.size() && b.substr(0, magic.size()) == magic;
}

std::string Hex(std::string_view b, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < std::min(n, b.size()); ++i) {
    if (i) out.push_back(' ');
    unsigned char c = static_cast<unsigned char>(b[i]);
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// Growable output buffer that refuses to exceed `limit` bytes.
class Output {
 public:
  Output(std::string* s, size_t limit, size_t hint, const char* codec) : s_(s), limit_(limit), codec_(codec) {
    s_->clear();
    s_->resize(std::min(limit_ + 1, std::max<size_t>(hint, 64 << 10)));
  }
  // Makes room for more output; error once `limit` bytes have been produced and more follow.
  Status Grow() {
    if (s_->size() > limit_) {
      return Status::ResourceExhausted(std::string(codec_) + " data decompresses to more than " +
                                       std::to_string(limit_) + " bytes (the decompression limit)");
    }
    size_t next = s_->size() > limit_ / 2 ? limit_ + 1 : s_->size() * 2;
    s_->resize(next);
    return Status::Ok();
  }
  char* at(size_t pos) { return s_->data() + pos; }
  size_t capacity() const { return s_->size(); }
  Status Finish(size_t produced) {
    if (produced > limit_) {
      return Status::ResourceExhausted(std::string(codec_) + " data decompresses to more than " +
                                       std::to_string(limit_) + " bytes (the decompression limit)");
    }
    s_->resize(produced);
    return Status::Ok();
  }

 private:
  std::string* s_;
  size_t limit_;
  const char* codec_;
};

Status Corrupt(const char* codec, const std::string& detail, size_t in_pos) {
  return Status::InvalidArgument(std::string("corrupt ") + codec + " data at compressed byte " +
                                 std::to_string(in_pos) + ": " + detail);
}
Status Truncated(const char* codec, size_t in_size, size_t produced) {
  return Status::InvalidArgument(std::string("truncated ") + codec + " data: the " + std::to_string(in_size) +
                                 "-byte file ends inside the compressed stream (after " + std::to_string(produced) +
                                 " decompressed bytes)");
}
Status Trailing(const char* codec, size_t n, size_t at) {
  return Status::InvalidArgument(std::to_string(n) + " unexpected bytes after the end of the " + codec +
                                 " stream at compressed byte " + std::to_string(at));
}

Status InflateZlib(std::string_view in, bool gzip, Output& out, size_t* produced_out) {
  const char* codec = gzip ? "gzip" : "zlib";
  z_stream zs{};
  if (inflateInit2(&zs, gzip ? 31 : 15) != Z_OK) return Status::Internal("inflateInit2 failed");
  struct Closer {
    z_stream* z;
    ~Closer() { inflateEnd(z); }
  } closer{&zs};
  size_t in_pos = 0, produced = 0;
  for (;;) {
    if (produced == out.capacity()) INFERD_RETURN_IF_ERROR(out.Grow());
    size_t in_n = std::min(kChunk, in.size() - in_pos);
    size_t out_n = std::min(kChunk, out.capacity() - produced);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_pos));
    zs.avail_in = static_cast<uInt>(in_n);
    zs.next_out = reinterpret_cast<Bytef*>(out.at(produced));
    zs.avail_out = static_cast<uInt>(out_n);
    int rc = inflate(&zs, Z_NO_FLUSH);
    in_pos += in_n - zs.avail_in;
    produced += out_n - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (in_pos == in.size()) break;
      if (gzip && StartsWith(in.substr(in_pos), "\x1f\x8b")) {  // multi-member gzip
        inflateReset(&zs);
        continue;
      }
      return Trailing(codec, in.size() - in_pos, in_pos);
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR) {
      if (zs.avail_out == 0) continue;  // needs more room
      if (in_pos == in.size()) return Truncated(codec, in.size(), produced);
      continue;
    }
    return Corrupt(codec, zs.msg ? zs.msg : "inflate error " + std::to_string(rc), in_pos);
  }
  *produced_out = produced;
  return Status::Ok();
}

Status DecompressBz2(std::string_view in, Output& out, size_t* produced_out) {
  size_t in_pos = 0, produced = 0;
  for (;;) {  // one iteration per concatenated bz2 stream
    bz_stream bs{};
    if (BZ2_bzDecompressInit(&bs, 0, 0) != BZ_OK) return Status::Internal("BZ2_bzDecompressInit failed");
    struct Closer {
      bz_stream* b;
      ~Closer() { BZ2_bzDecompressEnd(b); }
    } closer{&bs};
    for (;;) {
      if (produced == out.capacity()) INFERD_RETURN_IF_ERROR(out.Grow());
      size_t in_n = std::min(kChunk, in.size() - in_pos);
      size_t out_n = std::min(kChunk, out.capacity() - produced);
      bs.next_in = const_cast<char*>(in.data() + in_pos);
      bs.avail_in = static_cast<unsigned>(in_n);
      bs.next_out = out.at(produced);
      bs.avail_out = static_cast<unsigned>(out_n);
      int rc = BZ2_bzDecompress(&bs);
      in_pos += in_n - bs.avail_in;
      produced += out_n - bs.avail_out;
      if (rc == BZ_STREAM_END) break;
      if (rc != BZ_OK) return Corrupt("bz2", "BZ2_bzDecompress error " + std::to_string(rc), in_pos);
      if (in_pos == in.size() && bs.avail_out != 0) return Truncated("bz2", in.size(), produced);
    }
    if (in_pos == in.size()) break;
    if (!StartsWith(in.substr(in_pos), "BZh")) return Trailing("bz2", in.size() - in_pos, in_pos);
  }
  *produced_out = produced;
  return Status::Ok();
}

Status DecompressLzma(std::string_view in, bool alone, Output& out, size_t* produced_out) {
  const char* codec = alone ? "lzma" : "xz";
  lzma_stream ls = LZMA_STREAM_INIT;
  lzma_ret init =
      alone ? lzma_alone_decoder(&ls, kLzmaMemLimit) : lzma_stream_decoder(&ls, kLzmaMemLimit, LZMA_CONCATENATED);
  if (init != LZMA_OK) return Status::Internal("lzma decoder init failed");
  struct Closer {
    lzma_stream* l;
    ~Closer() { lzma_end(l); }
  } closer{&ls};
  size_t produced = 0;
  ls.next_in = reinterpret_cast<const uint8_t*>(in.data());
  ls.avail_in = in.size();
  for (;;) {
    if (produced == out.capacity()) INFERD_RETURN_IF_ERROR(out.Grow());
    size_t out_n = out.capacity() - produced;
    ls.next_out = reinterpret_cast<uint8_t*>(out.at(produced));
    ls.avail_out = out_n;
    lzma_ret rc = lzma_code(&ls, ls.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
    produced += out_n - ls.avail_out;
    size_t in_pos = in.size() - ls.avail_in;
    if (rc == LZMA_STREAM_END) {
      if (ls.avail_in != 0) return Trailing(codec, ls.avail_in, in_pos);
      break;
    }
    if (rc == LZMA_OK) continue;
    if (rc == LZMA_BUF_ERROR) {
      if (ls.avail_out == 0) continue;
      return Truncated(codec, in.size(), produced);
    }
    if (rc == LZMA_MEMLIMIT_ERROR) {
      return Status::ResourceExhausted(std::string(codec) + " stream needs more than 256 MiB of decoder memory");
    }
    return Corrupt(codec, "lzma_code error " + std::to_string(static_cast<int>(rc)), in_pos);
  }
  *produced_out = produced;
  return Status::Ok();
}

Status DecompressLz4(std::string_view in, Output& out, size_t* produced_out) {
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
    return Status::Internal("LZ4F_createDecompressionContext failed");
  }
  struct Closer {
    LZ4F_dctx* c;
    ~Closer() { LZ4F_freeDecompressionContext(c); }
  } closer{ctx};
  size_t in_pos = 0, produced = 0;
  size_t hint = 1;
  while (in_pos < in.size()) {
    if (produced == out.capacity()) INFERD_RETURN_IF_ERROR(out.Grow());
    size_t src_n = in.size() - in_pos;
    size_t dst_n = out.capacity() - produced;
    hint = LZ4F_decompress(ctx, out.at(produced), &dst_n, in.data() + in_pos, &src_n, nullptr);
    if (LZ4F_isError(hint)) return Corrupt("lz4", LZ4F_getErrorName(hint), in_pos);
    in_pos += src_n;
    produced += dst_n;
    if (src_n == 0 && dst_n == 0 && produced < out.capacity()) {
      return Corrupt("lz4", "decoder made no progress", in_pos);
    }
  }
  // All input consumed; drain any buffered output.
  while (hint != 0) {
    if (produced == out.capacity()) INFERD_RETURN_IF_ERROR(out.Grow());
    size_t src_n = 0;
    size_t dst_n = out.capacity() - produced;
    hint = LZ4F_decompress(ctx, out.at(produced), &dst_n, nullptr, &src_n, nullptr);
    if (LZ4F_isError(hint)) return Corrupt("lz4", LZ4F_getErrorName(hint), in_pos);
    produced += dst_n;
    if (hint != 0 && dst_n == 0) return Truncated("lz4", in.size(), produced);
  }
  *produced_out = produced;
  return Status::Ok();
}

}  // namespace

const char* ContainerName(Container c) {
  switch (c) {
    case Container::kRawPickle: return "raw pickle";
    case Container::kZlib: return "zlib";
    case Container::kGzip: return "gzip";
    case Container::kBz2: return "bz2";
    case Container::kXz: return "xz";
    case Container::kLzmaAlone: return "lzma";
    case Container::kLz4Frame: return "lz4";
    case Container::kLegacyZF: return "legacy joblib ZF";
    case Container::kUnknown: return "unknown";
  }
  return "unknown";
}

Container DetectContainer(std::string_view b) {
  // Same order as joblib's _detect_compressor: ZF first, then the registered compressors.
  if (StartsWith(b, "ZF")) return Container::kLegacyZF;
  if (StartsWith(b, "\x80")) return Container::kRawPickle;
  if (StartsWith(b, "\x78")) return Container::kZlib;
  if (StartsWith(b, "\x1f\x8b")) return Container::kGzip;
  if (StartsWith(b, "BZh")) return Container::kBz2;
  if (StartsWith(b, std::string_view("\xfd\x37\x7a\x58\x5a\x00", 6))) return Container::kXz;
  if (StartsWith(b, std::string_view("\x5d\x00\x00", 3))) return Container::kLzmaAlone;
  if (StartsWith(b, "\x04\x22\x4d\x18")) return Container::kLz4Frame;
  return Container::kUnknown;
}

size_t DecompressedLimit(size_t compressed_size, const ReadLimits& limits) {
  size_t by_ratio = std::numeric_limits<size_t>::max();
  if (limits.max_expansion_ratio == 0 ||
      compressed_size <= (std::numeric_limits<size_t>::max() - (size_t{1} << 20)) / limits.max_expansion_ratio) {
    by_ratio = compressed_size * limits.max_expansion_ratio + (size_t{1} << 20);
  }
  return std::min(limits.max_decompressed_bytes, by_ratio);
}

Status Decompress(std::string_view bytes, const ReadLimits& limits, std::string* storage, std::string_view* stream) {
  Container c = DetectContainer(bytes);
  if (c == Container::kRawPickle) {
    *stream = bytes;
    return Status::Ok();
  }
  if (c == Container::kLegacyZF) {
    return Status::Unimplemented(
        "legacy joblib 'ZF' compressed file (written by joblib < 0.10) is not supported; re-save the model "
        "with a current joblib");
  }
  if (c == Container::kUnknown) {
    if (bytes.empty()) return Status::InvalidArgument("empty file");
    std::string msg = "not a pickle (protocol 2-5) or joblib file: unrecognised first bytes " + Hex(bytes, 8);
    unsigned char b0 = static_cast<unsigned char>(bytes[0]);
    if (b0 == '(' || b0 == ']' || b0 == '}' || b0 == 'c' || b0 == 'I' || b0 == 'V' || b0 == 'N' || b0 == 'F' ||
        b0 == 'S' || b0 == 'L' || b0 == ')') {
      msg += " (looks like a protocol 0/1 pickle, which is not supported; re-save with protocol >= 2)";
    }
    return Status::InvalidArgument(msg);
  }
  const size_t limit = DecompressedLimit(bytes.size(), limits);
  // Initial buffer: gzip records the size (mod 2^32) in its trailer; otherwise guess 8x.
  size_t hint = bytes.size() < (size_t{1} << 40) ? bytes.size() * 8 : bytes.size();
  if (c == Container::kGzip && bytes.size() >= 18) {
    uint32_t isize;
    std::memcpy(&isize, bytes.data() + bytes.size() - 4, 4);
    hint = size_t{isize} + 1;  // +1: finish without a final regrow
  }
  Output out(storage, limit, hint, ContainerName(c));
  size_t produced = 0;
  switch (c) {
    case Container::kZlib: INFERD_RETURN_IF_ERROR(InflateZlib(bytes, false, out, &produced)); break;
    case Container::kGzip: INFERD_RETURN_IF_ERROR(InflateZlib(bytes, true, out, &produced)); break;
    case Container::kBz2: INFERD_RETURN_IF_ERROR(DecompressBz2(bytes, out, &produced)); break;
    case Container::kXz: INFERD_RETURN_IF_ERROR(DecompressLzma(bytes, false, out, &produced)); break;
    case Container::kLzmaAlone: INFERD_RETURN_IF_ERROR(DecompressLzma(bytes, true, out, &produced)); break;
    case Container::kLz4Frame: INFERD_RETURN_IF_ERROR(DecompressLz4(bytes, out, &produced)); break;
    default: return Status::Internal("unhandled container");
  }
  INFERD_RETURN_IF_ERROR(out.Finish(produced));
  *stream = *storage;
  return Status::Ok();
}

}  // namespace inferd::pickle
