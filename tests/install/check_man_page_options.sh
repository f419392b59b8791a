#!/usr/bin/env bash
# Checks that a man page documents every long option the program's --help
# lists, and that groff formats it without a single warning.
#
# Usage: check_man_page_options.sh PROGRAM PAGE
set -uo pipefail
program=${1:?usage: check_man_page_options.sh PROGRAM PAGE}
page=${2:?usage: check_man_page_options.sh PROGRAM PAGE}
failures=0
help=$("$program" --help) || {
  echo "check_man_page_options: $program --help failed" >&2
  exit 1
}
options=$(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u)
[[ -n "$options" ]] || {
  echo "check_man_page_options: no options found in $program --help" >&2
  exit 1
}
for option in $options; do
  # In roff source a dash is written \-.
  if ! grep -qF -- "${option//-/\\-}" "$page"; then
    echo "check_man_page_options: FAIL: $page does not document $option" >&2
    failures=$((failures + 1))
  fi
done
# The page's header names the version the program reports (one define, from
# the project's version in CMake): a version bump must reach the page too.
version=$("$program" --version | awk '{ print $2; exit }')
if ! grep -qE "^\.TH .*\"[a-z]+ ${version//./\\.}\"" "$page"; then
  echo "check_man_page_options: FAIL: the .TH line of $page does not name version $version" >&2
  failures=$((failures + 1))
fi
if command -v groff >/dev/null; then
  warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
  if [[ -n "$warnings" ]]; then
    echo "check_man_page_options: FAIL: groff warns about $page: $warnings" >&2
    failures=$((failures + 1))
  fi
fi
((failures == 0)) || exit 1
echo "check_man_page_options: $page documents all $(wc -w <<<"$options") options of $program"
