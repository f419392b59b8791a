#!/usr/bin/env bash
# Checks what `cmake --install` puts under a prefix other than /usr: every file
# in its place under the prefix (configuration and unit included, nothing in
# /etc or /lib of the machine), and the installed programs run.
#
# Usage: check_install_tree.sh BUILD_DIR
set -uo pipefail
build=${1:?usage: check_install_tree.sh BUILD_DIR}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
if ! cmake --install "$build" --prefix "$prefix" >"$prefix.log" 2>&1; then
  cat "$prefix.log" >&2
  rm -f "$prefix.log"
  echo "check_install_tree: cmake --install failed" >&2
  exit 1
fi
# Every installed path, as cmake reported it, must be under the prefix.
outside=$(grep -E '^-- (Installing|Up-to-date): ' "$prefix.log" | sed -E 's/^-- [A-Za-z-]+: //' |
  grep -vF "$prefix/")
rm -f "$prefix.log"
failures=0
[[ -z "$outside" ]] || {
  echo "check_install_tree: FAIL: installed outside the prefix: $outside" >&2
  failures=$((failures + 1))
}
for path in bin/ferry sbin/ferryd share/man/man1/ferry.1 share/man/man8/ferryd.8 \
  etc/ferry/ferryd.conf lib/systemd/system/ferryd.service lib/sysusers.d/ferry.conf \
  lib/tmpfiles.d/ferry.conf; do
  if [[ ! -f "$prefix/$path" ]]; then
    echo "check_install_tree: FAIL: missing $path" >&2
    failures=$((failures + 1))
  fi
done
for program in bin/ferry sbin/ferryd; do
  if ! "$prefix/$program" --version >/dev/null; then
    echo "check_install_tree: FAIL: $program --version failed" >&2
    failures=$((failures + 1))
  fi
done
((failures == 0)) || exit 1
echo "check_install_tree: all files under the prefix; programs run"
