#!/usr/bin/env bash
# Fails, listing the files, if any C++ source differs from what clang-format
# (with the repository's .clang-format) would make of it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
unformatted=()
while IFS= read -r file; do
  if ! clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then unformatted+=("$file"); fi
done < <(git ls-files '*.cc' '*.h' 2>/dev/null || find proto src server client tests fuzz -name '*.cc' -o -name '*.h')
if ((${#unformatted[@]} > 0)); then
  printf 'not clang-formatted (run clang-format -i on them):\n'
  printf '  %s\n' "${unformatted[@]}"
  exit 1
fi
echo "check_format: all files formatted"
