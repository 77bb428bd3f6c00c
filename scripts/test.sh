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
./scripts/build.sh || { echo "0 passed, 1 failed, 0 skipped (build failed)"; exit 1; }

rm -rf "$RESULTS" && mkdir -p "$RESULTS"
echo "== unit tests (ctest)"
(cd "$BUILD_DIR" && ctest --output-on-failure --output-junit "$RESULTS/ctest.xml" -j2)
echo "== integration, parity and deployment tests (pytest)"
PYTEST_DIRS=()
for d in tests src bench; do
  if find "$d" -name 'test_*.py' -print -quit 2>/dev/null | grep -q .; then PYTEST_DIRS+=("$d"); fi
done
/usr/bin/python3 -m pytest -q -rs -p no:cacheprovider --junitxml="$RESULTS/pytest.xml" "${PYTEST_DIRS[@]}"
echo "== summary"
/usr/bin/python3 scripts/test_summary.py "$RESULTS/ctest.xml" "$RESULTS/pytest.xml"
