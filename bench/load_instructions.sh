#!/usr/bin/env bash
# Instructions per model load (valgrind callgrind over inferd_micro_bench's Load/NAME): a load
# cost that, unlike time, does not move with what else a shared machine runs. docs/benchmarks.md
# quotes these figures.
#
#   bench/load_instructions.sh MODEL.pkl ROWS.f64 [MICRO_BENCH]
#
# bench/run writes both files under bench/results/raw/models/ (e.g. gbr100.pkl, gbr100.rows.f64).
# Prints "<instructions per LoadModelFile call> instructions per load (<calls> loads)".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
model="${1:?usage: $0 MODEL.pkl ROWS.f64 [MICRO_BENCH]}"
rows="${2:?usage: $0 MODEL.pkl ROWS.f64 [MICRO_BENCH]}"
micro="${3:-$here/../build/bin/inferd_micro_bench}"
command -v valgrind >/dev/null || { echo "load_instructions.sh: valgrind is not installed (bench/setup.sh)" >&2; exit 2; }
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --toggle-collect='inferd::LoadModelFile*' --callgrind-out-file="$out" \
  "$micro" --benchmark_filter='^Load/' "m=$model,$rows" >/dev/null 2>&1
/usr/bin/python3 - "$out" <<'PY'
import re, sys
total, calls, cfn = 0, 0, None
names = {}
with open(sys.argv[1]) as f:
    for line in f:
        if line.startswith("summary:"):
            total = int(line.split()[1])
        m = re.match(r"(c?)fn=\((\d+)\)(?: (.*))?", line)
        if m:
            if m.group(3):
                names[m.group(2)] = m.group(3)
            if m.group(1):
                cfn = names.get(m.group(2), "")
            continue
        m = re.match(r"calls=(\d+)", line)
        if m and cfn.startswith("inferd::LoadModelFile"):
            calls += int(m.group(1))
if not calls:
    sys.exit("load_instructions.sh: no LoadModelFile call was recorded")
print(f"{total / calls:,.0f} instructions per load ({calls} loads)")
PY
