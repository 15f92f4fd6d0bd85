#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The house rules, checked: formatting (clang-format-14), the licence line in every source
# file, and clang-tidy-14 on every source under simulator/ (needs build/release's compile
# database: run scripts/build.sh first).
# Usage: scripts/lint.sh [format|spdx|tidy]...   (no argument: all three)
set -euo pipefail
cd "$(dirname "$0")/.."

check_format() {
  local bad=()
  while IFS= read -r f; do
    clang-format-14 --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done < <(git ls-files '*.cpp' '*.hpp')
  if [ ${#bad[@]} -gt 0 ]; then
    echo "lint: ${#bad[@]} C++ file(s) not formatted by .clang-format (fix: clang-format-14 -i FILE):"
    printf '  %s\n' "${bad[@]}"
    return 1
  fi
  echo "lint: every C++ file is formatted"
}

# Source files by kind; data (YAML, JSON, fuzz seeds) and prose carry no licence line.
source_files() {
  git ls-files '*.cpp' '*.hpp' '*.sh' '*.py' '*.mjs' '*.js' '*.css' '*.html' '*.cmake' \
    'CMakeLists.txt' '*/CMakeLists.txt' 'Dockerfile' '.ci/run'
}

check_spdx() {
  local bad=()
  while IFS= read -r f; do
    head -n 3 "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0' || bad+=("$f")
  done < <(source_files)
  if [ ${#bad[@]} -gt 0 ]; then
    echo "lint: ${#bad[@]} source file(s) without 'SPDX-License-Identifier: Apache-2.0' in their first lines:"
    printf '  %s\n' "${bad[@]}"
    return 1
  fi
  echo "lint: every source file carries its SPDX line"
}

check_tidy() {
  local db=build/release/compile_commands.json
  [ -f "$db" ] || { echo "lint: $db is missing: run scripts/build.sh release first"; return 1; }
  local started=$SECONDS log
  log=$(mktemp)
  # One clang-tidy per core; only the project's own sources (not generated files in build/).
  if run-clang-tidy-14 -p build/release -quiet -j "$(nproc)" "^$PWD/simulator/.*\.cpp$" >"$log" 2>&1; then
    echo "lint: clang-tidy found nothing in simulator/ ($((SECONDS - started)) s)"
    rm -f "$log"
  else
    grep -E '(warning|error): ' "$log" | sed "s|$PWD/||" | sort -u
    echo "lint: clang-tidy findings above ($((SECONDS - started)) s; full output: $log)"
    return 1
  fi
}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(format spdx tidy)
status=0
for step in "${steps[@]}"; do
  case "$step" in
    format) check_format || status=1 ;;
    spdx) check_spdx || status=1 ;;
    tidy) check_tidy || status=1 ;;
    *) echo "lint: unknown step '$step' (format, spdx, tidy)"; exit 2 ;;
  esac
done
exit $status
