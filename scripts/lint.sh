#!/usr/bin/env bash
# Static checks of the C++ sources: clang-format (the code matches .clang-format exactly) and
# clang-tidy (the checks in .clang-tidy) over every .cc file in src/ and bench/, using
# ${INFERD_BUILD_DIR:-build}/compile_commands.json. Exits non-zero on any finding.
#   scripts/lint.sh            both
#   scripts/lint.sh --format   clang-format only (seconds)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${INFERD_BUILD_DIR:-build}"
mapfile -t FILES < <(git ls-files 'src/*.cc' 'src/*.h' 'include/*.h' 'bench/*.cc' 'bench/*.h')
status=0
if ! clang-format --dry-run -Werror "${FILES[@]}"; then
  echo "lint: run clang-format -i on the files above (scripts/format.sh)" >&2
  status=1
fi
[ "${1:-}" = "--format" ] && exit $status
if [ ! -f "$BUILD_DIR/compile_commands.json" ]; then
  echo "lint: $BUILD_DIR/compile_commands.json is missing; run scripts/build.sh first" >&2
  exit 1
fi
mapfile -t UNITS < <(printf '%s\n' "${FILES[@]}" | grep '\.cc$' | grep -v '/fuzz/')
if ! printf '%s\n' "${UNITS[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$BUILD_DIR" --quiet --warnings-as-errors='*' 2>/dev/null; then
  status=1
fi
exit $status
