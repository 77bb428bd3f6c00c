// The check a finished value graph must pass before the reader hands it out: no reference
// cycle, and no path of containers deeper than a limit. The walk keeps its own stack, so
// neither a hostile depth nor a cycle can overflow the C++ stack.
//
// Ownership: reads the graph, writes nothing lasting (see CheckGraph). Thread safety: the
// graph and `containers` must not be used by another thread during the call; no other state.
#ifndef INFERD_PICKLE_GRAPH_CHECK_H_
#define INFERD_PICKLE_GRAPH_CHECK_H_

#include <cstddef>
#include <vector>

#include "inferd/status.h"
#include "pickle/value.h"

namespace inferd::pickle {

// Checks that the graph reachable from `root` is acyclic and at most `max_depth` containers
// deep; the error names the cycle or the limit. `*containers` lists the container nodes
// (tuple, list, set, dict, object, array, slice) of the load as the machine made them (one
// missing from it is still checked, more slowly); it is cleared. The walk borrows each
// listed node's `i` field (unused by those kinds) and sets it back to 0.
Status CheckGraph(const ValuePtr& root, size_t max_depth, std::vector<ValuePtr>* containers);

}  // namespace inferd::pickle

#endif  // INFERD_PICKLE_GRAPH_CHECK_H_
