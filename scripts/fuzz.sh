#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, -DINFERD_FUZZ=ON) in a separate build
# directory and runs each for a bounded time. Exit status 0 only if every target ran clean: a
# finding (crash, sanitizer report, failed check, hang, out-of-memory, leak) fails the run, and so
# does a harness that cannot do its job (e.g. cannot start its server), reported apart as
# "harness error, not a finding" (the target exits HARNESS_ERROR_EXIT after a "HARNESS ERROR:" line).
#
#   scripts/fuzz.sh                    # build, then 20 s per target (the test command uses this)
#   scripts/fuzz.sh --seconds 600      # the documented long run (10 min per target)
#   scripts/fuzz.sh --build-only
#   scripts/fuzz.sh --targets "predict_codec_fuzz tensor_codec_fuzz" --seconds 60
#
# Environment: INFERD_FUZZ_BUILD_DIR (default <repo>/build-fuzz), JOBS (ninja -j, default 2).
# Inputs found to be new coverage are kept in <build>/fuzz-work/<target>/corpus (the repository
# seed corpora are only read); crashes are written to <build>/fuzz-work/<target>/crash-*.
# A summary line per target (executions, coverage, slowest input, peak RSS, result) is printed and written to
# <build>/fuzz-work/summary.txt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${INFERD_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
JOBS="${JOBS:-2}"
SECONDS_PER_TARGET=20
BUILD_ONLY=0
ALL_TARGETS="read_pickle_fuzz load_model_fuzz predict_codec_fuzz tensor_codec_fuzz mlflow_codec_fuzz http_server_fuzz grpc_server_fuzz xgboost_document_fuzz lightgbm_model_fuzz infer_codec_fuzz"
TARGETS="$ALL_TARGETS"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_PER_TARGET="$2"; shift 2 ;;
    --build-only) BUILD_ONLY=1; shift ;;
    --targets) TARGETS="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (apt-get install clang libclang-rt-dev)" >&2; exit 2; }

if [[ ! -f "$BUILD/build.ninja" ]]; then
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DINFERD_FUZZ=ON -DINFERD_BUILD_TESTS=OFF -DINFERD_BUILD_BENCHMARKS=OFF >/dev/null
fi
# shellcheck disable=SC2086
ninja -C "$BUILD" -j "$JOBS" $TARGETS
[[ "$BUILD_ONLY" == 1 ]] && exit 0

# target -> "seed corpus dir|dictionary|max input length"
spec() {
  case "$1" in
    read_pickle_fuzz)   echo "src/pickle/fuzz/corpus src/sklearn/fuzz/corpus|src/pickle/fuzz/pickle.dict|65536" ;;
    load_model_fuzz)    echo "src/sklearn/fuzz/corpus|src/sklearn/fuzz/load_model.dict|65536" ;;
    xgboost_document_fuzz) echo "src/sklearn/xgboost/fuzz/corpus|src/sklearn/xgboost/fuzz/xgboost_document.dict|65536" ;;
    lightgbm_model_fuzz) echo "src/sklearn/lightgbm/fuzz/corpus|src/sklearn/lightgbm/fuzz/lightgbm_model.dict|65536" ;;
    predict_codec_fuzz) echo "src/json/fuzz/corpus_predict|src/json/fuzz/json.dict|4096" ;;
    tensor_codec_fuzz)  echo "src/json/fuzz/corpus_tensor|src/json/fuzz/json.dict|4096" ;;
    mlflow_codec_fuzz)  echo "src/json/fuzz/corpus_mlflow|src/json/fuzz/json.dict|4096" ;;
    http_server_fuzz)   echo "src/app/fuzz/corpus|src/app/fuzz/http.dict|8192" ;;
    grpc_server_fuzz)   echo "src/app/fuzz/corpus_grpc|src/app/fuzz/grpc.dict|8192" ;;
    infer_codec_fuzz)   echo "src/grpc/fuzz/corpus|src/grpc/fuzz/infer_codec.dict|4096" ;;
    *) echo "unknown target $1" >&2; exit 2 ;;
  esac
}

# What a harness exits with when it cannot run (src/app/fuzz/server_harness.h: kHarnessErrorExit);
# libFuzzer's own statuses are 77 (crash, leak, OOM, sanitizer report) and 70 (timeout).
HARNESS_ERROR_EXIT=3

# Prints what ended a failed run, from its exit status and log.
describe_failure() {
  local rc=$1 log=$2 what
  first() { grep -m1 -oE "$1" "$log" || true; }
  if [[ $rc -eq $HARNESS_ERROR_EXIT ]] && grep -q '^HARNESS ERROR:' "$log"; then
    echo "harness error, not a finding: $(first '^HARNESS ERROR: .*' | cut -c16-)"
    return
  fi
  if grep -q 'ERROR: libFuzzer: timeout' "$log"; then what="hang (an input ran over -timeout)"
  elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then what="$(first 'out-of-memory .*')"
  elif grep -q 'ERROR: LeakSanitizer' "$log"; then what="leak"
  elif grep -q 'ERROR: AddressSanitizer' "$log"; then what="$(first 'AddressSanitizer: [a-zA-Z-]+')"
  elif grep -q 'runtime error: ' "$log"; then what="UBSan $(first 'runtime error: .*' | cut -c1-120)"
  elif grep -q 'ERROR: libFuzzer: fuzz target exited' "$log"; then what="the target called exit()"
  elif grep -q 'ERROR: libFuzzer: deadly signal' "$log"; then what="crash"
  elif [[ $rc -gt 128 ]]; then what="killed by signal $((rc - 128)), no report in the log"
  else what="no report in the log"
  fi
  if grep -q '^FINDING:' "$log"; then  # a harness check names what it found before it traps
    [[ $what == crash ]] && what="check failed"
    what="$what: $(first '^FINDING: .*' | cut -c10-)"
  fi
  echo "$what"
}

# The last value of libFuzzer's final statistic $1 in $log, or nothing if the run died before it.
final_stat() { grep -o "stat::$1: *[0-9]*" "$log" | tail -1 | grep -o '[0-9]*$' || true; }

WORK="$BUILD/fuzz-work"
mkdir -p "$WORK"
: > "$WORK/summary.txt"
# One JUnit testcase per target, so the test command's summary counts the fuzz runs.
JUNIT="$WORK/junit.xml"
junit_cases=""
failed=0
for t in $TARGETS; do
  IFS='|' read -r seeds dict maxlen <<<"$(spec "$t")"
  dir="$WORK/$t"
  mkdir -p "$dir/corpus"
  seed_args=()
  for s in $seeds; do seed_args+=("$ROOT/$s"); done
  log="$dir/fuzz.log"
  set +e
  # -rss_limit_mb / -malloc_limit_mb: an input that makes the code allocate more than this is a
  # bug (the loader's own limits are far below); -timeout: one input running > 10 s is a hang.
  ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0:abort_on_error=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$BUILD/fuzz/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
      -malloc_limit_mb=1024 -max_len="$maxlen" -dict="$ROOT/$dict" -print_final_stats=1 \
      -artifact_prefix="$dir/" "$dir/corpus" "${seed_args[@]}" >"$log" 2>&1
  rc=$?
  set -e
  # A run that died early lacks some numbers: they print as "?" (never a script error).
  execs=$(final_stat number_of_executed_units)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
  slowest=$(final_stat slowest_unit_time_sec)
  rss=$(final_stat peak_rss_mb)
  if [[ $rc -eq 0 ]]; then
    result=ok
  else
    failed=1
    why=$(describe_failure "$rc" "$log")
    result="FAILED ($why; exit $rc, see $log)"
  fi
  line="$t: ${SECONDS_PER_TARGET}s, ${execs:-?} executions, cov ${cov:-?}, slowest input ${slowest:-?}s, peak RSS ${rss:-?} MB, $result"
  echo "$line" | tee -a "$WORK/summary.txt"
  if [[ $rc -eq 0 ]]; then
    junit_cases+="<testcase classname=\"fuzz\" name=\"$t\"/>"
  else
    msg=$(printf '%s' "$why" | sed 's/&/\&amp;/g; s/"/\&quot;/g; s/</\&lt;/g; s/>/\&gt;/g')
    junit_cases+="<testcase classname=\"fuzz\" name=\"$t\"><failure message=\"$msg (exit $rc)\"/></testcase>"
  fi
  if [[ $rc -ne 0 ]]; then
    grep -E '^(FINDING|HARNESS ERROR):|ERROR|SUMMARY|==[0-9]+==|Test unit written' "$log" | head -20 >&2 || true
  fi
done
echo "<testsuite name=\"fuzz\">$junit_cases</testsuite>" > "$JUNIT"
exit $failed
