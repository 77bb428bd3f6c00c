// Human-readable dump of a pickle Value tree, for debugging (`inferd inspect`).
//
// Thread safety: reads the tree only.
#ifndef INFERD_PICKLE_DUMP_H_
#define INFERD_PICKLE_DUMP_H_

#include <cstddef>
#include <string>

#include "pickle/value.h"

namespace inferd::pickle {

// One line per value, indented by nesting; containers deeper than `max_depth` are shown as
// "...". Arrays show dtype, shape and the first few elements. Shared nodes are printed again
// at each reference (the reader guarantees the graph is acyclic), so the output is capped at
// 4 MiB and then ends with a "... (dump truncated ...)" line.
std::string DumpValue(const Value& v, size_t max_depth);

}  // namespace inferd::pickle

#endif  // INFERD_PICKLE_DUMP_H_
