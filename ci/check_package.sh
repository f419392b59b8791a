#!/usr/bin/env bash
# Checks a built ferry .deb without installing it on the machine: unpacks it
# into a scratch root with dpkg -x and checks its metadata, its file list, that
# both programs run from the scratch root, that the man pages format without a
# single groff warning, and that the packaged configuration is accepted by the
# packaged ferryd.
#
# Usage: ci/check_package.sh PACKAGE.deb
# Exit status: 0 when every check passed; 1 otherwise (each failure is printed).
set -uo pipefail

deb=${1:?usage: ci/check_package.sh PACKAGE.deb}
failures=0
fail() {
  echo "check_package: FAIL: $*" >&2
  failures=$((failures + 1))
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
if ! dpkg-deb -x "$deb" "$scratch/root"; then
  echo "check_package: cannot unpack $deb" >&2
  exit 1
fi
dpkg-deb -e "$deb" "$scratch/control"

# --- metadata -------------------------------------------------------------------
[[ "$(dpkg-deb -f "$deb" Package)" == ferry ]] || fail "package name is not ferry"
[[ "$(dpkg-deb -f "$deb" Version)" == 0.1.0 ]] || fail "version is not 0.1.0"
[[ -n "$(dpkg-deb -f "$deb" Maintainer)" ]] || fail "no Maintainer field"
[[ -n "$(dpkg-deb -f "$deb" Description)" ]] || fail "no Description field"
depends=$(dpkg-deb -f "$deb" Depends)
for library in libc6 libssl3 libprotobuf "systemd | adduser"; do
  [[ "$depends" == *"$library"* ]] || fail "Depends ($depends) lacks $library"
done
grep -qx /etc/ferry/ferryd.conf "$scratch/control/conffiles" ||
  fail "/etc/ferry/ferryd.conf is not a conffile"
for script in postinst prerm postrm; do
  [[ -x "$scratch/control/$script" ]] || fail "no executable $script"
  sh -n "$scratch/control/$script" || fail "$script is not valid sh"
done

# --- file list ------------------------------------------------------------------
expected=(
  usr/bin/ferry
  usr/sbin/ferryd
  usr/share/man/man1/ferry.1
  usr/share/man/man8/ferryd.8
  lib/systemd/system/ferryd.service
  etc/ferry/ferryd.conf
  usr/lib/sysusers.d/ferry.conf
  usr/lib/tmpfiles.d/ferry.conf
)
for path in "${expected[@]}"; do
  [[ -f "$scratch/root/$path" ]] || fail "missing /$path"
done
# Nothing else: no build-tree paths, tests or libraries leak into the package.
unexpected=$(cd "$scratch/root" && find . -type f | sed 's|^\./||' | sort |
  grep -vxF -f <(printf '%s\n' "${expected[@]}"))
[[ -z "$unexpected" ]] || fail "unexpected files: $unexpected"
for program in usr/bin/ferry usr/sbin/ferryd; do
  [[ -x "$scratch/root/$program" ]] || fail "/$program is not executable"
done

# --- the programs run from the scratch root ---------------------------------------
ferryd_version=$("$scratch/root/usr/sbin/ferryd" --version) || fail "ferryd --version failed"
[[ "$ferryd_version" == "ferryd 0.1.0"* ]] || fail "ferryd --version says: $ferryd_version"
ferry_version=$("$scratch/root/usr/bin/ferry" --version) || fail "ferry --version failed"
[[ "$ferry_version" == "ferry 0.1.0"* ]] || fail "ferry --version says: $ferry_version"
"$scratch/root/usr/sbin/ferryd" --help >/dev/null || fail "ferryd --help failed"
"$scratch/root/usr/bin/ferry" --help >/dev/null || fail "ferry --help failed"

# The packaged configuration is one this ferryd accepts: started with it (root
# and address overridden, as /srv/ferry need not exist here), ferryd announces
# its address; a configuration error would make it exit 2 instead.
mkdir "$scratch/served"
timeout 30 "$scratch/root/usr/sbin/ferryd" --config "$scratch/root/etc/ferry/ferryd.conf" \
  --root "$scratch/served" --listen 127.0.0.1:0 >"$scratch/ferryd.out" 2>"$scratch/ferryd.err" &
ferryd_pid=$!
for _ in $(seq 100); do
  [[ -s "$scratch/ferryd.out" ]] && break
  kill -0 "$ferryd_pid" 2>/dev/null || break
  sleep 0.1
done
if grep -q '^listening on 127\.0\.0\.1:' "$scratch/ferryd.out"; then
  kill -TERM "$ferryd_pid"
  wait "$ferryd_pid" || fail "ferryd with the packaged configuration did not stop cleanly"
else
  kill -KILL "$ferryd_pid" 2>/dev/null
  wait "$ferryd_pid" 2>/dev/null
  fail "ferryd did not start with the packaged configuration: $(cat "$scratch/ferryd.err")"
fi

# --- man pages --------------------------------------------------------------------
for page in usr/share/man/man1/ferry.1 usr/share/man/man8/ferryd.8; do
  warnings=$(groff -man -Tutf8 -ww -z "$scratch/root/$page" 2>&1)
  [[ -z "$warnings" ]] || fail "/$page: $warnings"
done
# Every option in --help is documented in the page.
check_options_documented() {
  local program=$1 page=$2 option
  for option in $("$program" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
    grep -qF -- "${option//-/\\-}" "$page" || fail "$page does not document $option"
  done
}
check_options_documented "$scratch/root/usr/sbin/ferryd" "$scratch/root/usr/share/man/man8/ferryd.8"
check_options_documented "$scratch/root/usr/bin/ferry" "$scratch/root/usr/share/man/man1/ferry.1"

if ((failures > 0)); then
  echo "check_package: $failures check(s) failed for $deb" >&2
  exit 1
fi
echo "check_package: $deb: ${#expected[@]} files present, programs run, man pages clean"
