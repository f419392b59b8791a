#!/usr/bin/env bash
# Installs the Debian 12 packages ferry needs to build, test and fuzz, or, given
# package names (ci/install-bench-peers.sh), those instead.
#
# Idempotent and quiet when nothing is missing: it asks dpkg which packages are
# absent and only then runs apt-get (update + install). Runs as root (or through
# sudo when present) with no terminal and no standard input.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang-14 libclang-rt-14-dev clang-format
  protobuf-compiler libprotobuf-dev libxxhash-dev xxhash
  libcli11-dev libssl-dev libedit-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  dpkg-dev groff-base
)
if (($# > 0)); then packages=("$@"); fi
who=${FERRY_INSTALLER:-install-deps}

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "$who: all ${#packages[@]} packages present"
  exit 0
fi

as_root=()
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "$who: missing ${missing[*]}; run as root to install them" >&2
    exit 1
  fi
  as_root=(sudo -n)
fi

echo "$who: installing ${missing[*]}"
# Through env, because sudo does not pass the caller's environment on.
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" </dev/null
