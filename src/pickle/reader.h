// Safe pickle / joblib reader: bytes -> Value tree, never executing anything.
//
// Handles (sklearn-model-files.md): joblib.dump files (raw, zlib `compress=N`, gzip, bz2,
// xz, legacy .lzma and lz4 frames, detected by magic; the pre-0.10 `ZF` format is refused
// clearly), NumpyArrayWrapper
// with spliced raw data, alignment padding and nested object-array pickles; pickle.dump
// protocols 2..5; numpy `_reconstruct`, `scalar`, `_frombuffer` (numpy.core and numpy._core
// spellings), dtype descriptors incl. structured and subarray dtypes; `_codecs.encode`,
// builtins/__builtin__ bytes, bytearray, slice, set, frozenset.
//
// GLOBAL policy: an explicit deny-list (os, posix, nt, subprocess, sys, builtins
// eval/exec/getattr/..., importlib, pickle, shutil, socket, runpy, code, ...) is refused with
// "forbidden global 'posix.system' at byte N"; allowed are the interpreted numpy/joblib
// tokens, numpy scalar type objects, a few opaque helpers (numpy.random pickling helpers,
// functools.partial, collections.OrderedDict, collections.defaultdict) and the prefixes
// `sklearn.`, `xgboost.` and `lightgbm.`;
// anything else is "unknown global 'x.y' at byte N".
//
// Every size is bounded: stack, memo, nesting depth, container sizes, array bytes (must be
// available in the remaining input; prod(shape)*itemsize overflow-checked), dtype field
// offsets within the record, decompressed size.
//
// Thread safety: the functions are reentrant, and any number of threads may read at once.
// Reads share two pieces of process-wide state, both safe between threads:
//  - ReadPickleFile maps big files (pickle/mapped_file.h). The first attempt installs, once
//    per process and for good, a SIGBUS handler that turns a fault inside a live mapping
//    (the file shrank while read) into zero bytes plus a "truncated" mark, which fails the
//    read with kShrankMessage; every other SIGBUS goes to the disposition installed before.
//    The live mappings are a fixed table of atomics (MappedFile::kMaxLive slots).
//  - The value arena keeps freed node chunks for the next read (pickle/arena.h): at most
//    one per chunk size, under 2 MiB in all, for the life of the process. A mutex guards
//    the slots, and a chunk belongs to one read or to the cache, never both, so reads on
//    different threads (and trees dying on any thread) never share live memory.
#ifndef INFERD_PICKLE_READER_H_
#define INFERD_PICKLE_READER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "inferd/status.h"
#include "pickle/mapped_file.h"
#include "pickle/value.h"

namespace inferd::pickle {

struct ReadLimits {
  size_t max_decompressed_bytes = size_t{8} << 30;
  size_t max_expansion_ratio = 1000;  // decompressed <= ratio * compressed (+1 MiB slack)
  size_t max_stack = 1 << 20;
  size_t max_memo = 1 << 22;
  size_t max_depth = 256;  // container / nested-pickle nesting
  size_t max_nested_pickles = 1 << 16;
};

// Decompresses if needed (detected by magic bytes, never by name) and interprets the
// pickle stream. Errors: one line naming the reason and, where meaningful, the byte offset
// in the (decompressed) stream, e.g. "truncated file: expected 120 bytes for BINUNICODE at
// byte 96, only 50 left".
StatusOr<TreePtr> ReadPickle(std::string_view bytes, const ReadLimits& limits = {});

// Reads the whole file then calls ReadPickle. The error message is NOT prefixed with the
// path (the caller does that).
// Big files are mapped rather than read (pickle/mapped_file.h) and their arrays view the
// mapping. If `mapping` is not null it receives that mapping (null when the file was read
// into memory): a caller that derives something from the values must check
// `(*mapping)->truncated()` once it is done with them, and discard the result if the file
// shrank meanwhile. (ReadPickleFile checks it itself before returning.)
StatusOr<TreePtr> ReadPickleFile(const std::string& path, const ReadLimits& limits = {},
                                 std::shared_ptr<const MappedFile>* mapping = nullptr);
// The message of the error for a file that shrank while mapped (for callers that check
// the mapping themselves).
extern const char* const kShrankMessage;

}  // namespace inferd::pickle

#endif  // INFERD_PICKLE_READER_H_
