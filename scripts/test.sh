#!/usr/bin/env bash
# One command from a fresh machine to every test: installs what is needed, builds inferd,
# runs the unit tests (ctest) and the Python suites (integration, parity with real
# scikit-learn, deployment kit), then prints one summary line counting every test.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
BUILD_DIR="${INFERD_BUILD_DIR:-build}"
export INFERD_BUILD_DIR="$ROOT/$BUILD_DIR"
RESULTS="$ROOT/$BUILD_DIR/test-results"

./scripts/setup.sh || exit 1
for tools in scripts/deploy-tools.sh scripts/container-tools.sh bench/setup.sh; do
  if [ -x "$tools" ]; then "./$tools" || echo "test: $tools failed; the tests that need it will say so" >&2; fi
done
# The CI build: warnings are errors.
./scripts/build.sh -DINFERD_WERROR=ON || { echo "0 passed, 1 failed, 0 skipped (build failed)"; exit 1; }

rm -rf "$RESULTS" && mkdir -p "$RESULTS"
echo "== unit tests (ctest)"
(cd "$BUILD_DIR" && ctest --output-on-failure --output-junit "$RESULTS/ctest.xml" -j2)
echo "== bounded fuzzing (libFuzzer, ASan+UBSan): scripts/fuzz.sh --seconds ${INFERD_FUZZ_SECONDS:-10}"
FUZZ_BUILD="$ROOT/${BUILD_DIR}-fuzz"
rm -f "$FUZZ_BUILD/fuzz-work/junit.xml"
INFERD_FUZZ_BUILD_DIR="$FUZZ_BUILD" ./scripts/fuzz.sh --seconds "${INFERD_FUZZ_SECONDS:-10}"
FUZZ_JUNIT="$FUZZ_BUILD/fuzz-work/junit.xml"
[ -f "$FUZZ_JUNIT" ] || echo '<testsuite name="fuzz"><testcase classname="fuzz" name="build"><failure message="fuzz build failed"/></testcase></testsuite>' > "$RESULTS/fuzz.xml"
[ -f "$FUZZ_JUNIT" ] && cp "$FUZZ_JUNIT" "$RESULTS/fuzz.xml"
echo "== integration, parity and deployment tests (pytest)"
PYTEST_DIRS=()
for d in tests src bench; do
  if find "$d" -name 'test_*.py' -print -quit 2>/dev/null | grep -q .; then PYTEST_DIRS+=("$d"); fi
done
/usr/bin/python3 -m pytest -q -rs -p no:cacheprovider --junitxml="$RESULTS/pytest.xml" "${PYTEST_DIRS[@]}"
echo "== summary"
/usr/bin/python3 scripts/test_summary.py "$RESULTS/ctest.xml" "$RESULTS/fuzz.xml" "$RESULTS/pytest.xml"
