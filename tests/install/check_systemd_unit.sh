#!/usr/bin/env bash
# Checks server/ferryd.service: its sandbox settings are all there (so that none
# is dropped by accident), it runs ferryd with the packaged configuration, and,
# where systemd-analyze exists, systemd itself accepts every line of it.
#
# Usage: check_systemd_unit.sh UNIT FERRYD_BINARY
set -uo pipefail
unit=${1:?usage: check_systemd_unit.sh UNIT FERRYD_BINARY}
ferryd=${2:?usage: check_systemd_unit.sh UNIT FERRYD_BINARY}
failures=0
fail() {
  echo "check_systemd_unit: FAIL: $*" >&2
  failures=$((failures + 1))
}

# Structural checks: sections, and each required KEY=VALUE as a whole line.
for section in '[Unit]' '[Service]' '[Install]'; do
  grep -qxF "$section" "$unit" || fail "no $section section"
done
required=(
  'ExecStart=/usr/sbin/ferryd --config /etc/ferry/ferryd.conf'
  'User=ferry'
  'Group=ferry'
  'ProtectSystem=strict'
  'ReadWritePaths=/srv/ferry'
  'ProtectHome=yes'
  'PrivateTmp=yes'
  'PrivateDevices=yes'
  'NoNewPrivileges=yes'
  'CapabilityBoundingSet='
  'AmbientCapabilities='
  'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX'
  'SystemCallFilter=@system-service'
  'SystemCallArchitectures=native'
  'RestrictSUIDSGID=yes'
  'ProtectKernelTunables=yes'
  'ProtectKernelModules=yes'
  'ProtectControlGroups=yes'
  'MemoryDenyWriteExecute=yes'
  'WantedBy=multi-user.target'
)
for line in "${required[@]}"; do
  grep -qxF -- "$line" "$unit" || fail "missing line: $line"
done
# Nothing that would widen the sandbox again.
for widening in 'ReadWritePaths=/$' 'ProtectSystem=(no|false)' 'DynamicUser=no' \
  'User=root' 'AmbientCapabilities=.+' 'CapabilityBoundingSet=.+'; do
  grep -qE -- "^$widening" "$unit" && fail "widening line matches: $widening"
done
# Every line is a comment, blank, a section or KEY=VALUE.
bad=$(grep -nvE '^(#.*|)$|^\[[A-Za-z]+\]$|^[A-Za-z]+=' "$unit")
[[ -z "$bad" ]] || fail "malformed lines: $bad"

# systemd's own verdict, on a copy that runs the binary under test (verify checks
# that the command exists). Any complaint counts: verify exits 0 on warnings.
if command -v systemd-analyze >/dev/null; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  sed "s|^ExecStart=/usr/sbin/ferryd |ExecStart=$ferryd |" "$unit" >"$scratch/ferryd.service"
  output=$(systemd-analyze verify --man=no "$scratch/ferryd.service" 2>&1)
  status=$?
  [[ $status -eq 0 && -z "$output" ]] || fail "systemd-analyze verify (exit $status): $output"
else
  echo "check_systemd_unit: systemd-analyze not found; structural checks only"
fi

if ((failures > 0)); then
  exit 1
fi
echo "check_systemd_unit: $unit passed"
