#!/usr/bin/env bash
# Installs the servers `bench/run --peers` measures ferry against (vsftpd,
# OpenSSH's sshd and sftp, pyftpdlib) and the clients it drives them with
# (curl, paramiko). Optional: CI does not need them, and the benchmark skips
# any peer that is missing.
#
# Idempotent and quiet when nothing is missing: it asks dpkg which packages are
# absent and only then runs apt-get (update + install). Runs as root (or through
# sudo when present) with no terminal and no standard input. The packages'
# services are not used: the benchmark starts each server itself on loopback
# with a configuration of its own. (Debian starts vsftpd and ssh when they are
# installed, where a service manager runs; stop or disable them if unwanted.)
set -euo pipefail

packages=(
  vsftpd openssh-server openssh-client python3-pyftpdlib python3-paramiko curl
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-bench-peers: all ${#packages[@]} packages present"
  exit 0
fi

as_root=()
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "install-bench-peers: missing ${missing[*]}; run as root to install them" >&2
    exit 1
  fi
  as_root=(sudo -n)
fi

echo "install-bench-peers: installing ${missing[*]}"
# Through env, because sudo does not pass the caller's environment on.
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  "${missing[@]}" </dev/null
