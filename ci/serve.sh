#!/usr/bin/env bash
# The run-the-server command: installs what is missing, builds ferryd and ferry
# (Release, in build/release), creates the served directory if needed, and runs
# ferryd in the foreground (Ctrl-C stops it).
#
# Environment: FERRY_ROOT (default /srv/ferry), FERRY_LISTEN (default
# 127.0.0.1:7373), JOBS (parallel build jobs; default: cores).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

root=${FERRY_ROOT:-/srv/ferry}
listen=${FERRY_LISTEN:-127.0.0.1:7373}

bash ci/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DFERRY_BUILD_TESTS=OFF
cmake --build build/release -j "${JOBS:-$(nproc)}" --target ferryd ferry

mkdir -p "$root"
echo "serve: ferryd serving $root on $listen; client: build/release/client/ferry"
exec build/release/server/ferryd --root "$root" --listen "$listen"
