#!/usr/bin/env bash
# Formats every C++ file in place with the repository's .clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files 'src/*.cc' 'src/*.h' 'include/*.h' 'bench/*.cc' 'bench/*.h' | xargs clang-format -i
