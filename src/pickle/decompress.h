// Container detection and decompression for joblib files (sklearn-model-files.md §1.1).
// The format is detected by magic bytes only, never by file name.
//
// Thread safety: reentrant, no shared state.
#ifndef INFERD_PICKLE_DECOMPRESS_H_
#define INFERD_PICKLE_DECOMPRESS_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "inferd/status.h"
#include "pickle/reader.h"

namespace inferd::pickle {

enum class Container { kRawPickle, kZlib, kGzip, kBz2, kXz, kLzmaAlone, kLz4Frame, kLegacyZF, kUnknown };

const char* ContainerName(Container c);
Container DetectContainer(std::string_view bytes);

// Largest decompressed size allowed for `compressed_size` input bytes:
// min(limits.max_decompressed_bytes, ratio * compressed_size + 1 MiB).
size_t DecompressedLimit(size_t compressed_size, const ReadLimits& limits);

// If `bytes` is a raw pickle (starts with 0x80), sets *stream = bytes without copying.
// Otherwise decompresses into *storage and points *stream at it. Errors: unknown format,
// legacy `ZF`, corrupt or truncated compressed data, output larger than DecompressedLimit
// (ResourceExhausted).
Status Decompress(std::string_view bytes, const ReadLimits& limits, std::string* storage, std::string_view* stream);

}  // namespace inferd::pickle

#endif  // INFERD_PICKLE_DECOMPRESS_H_
