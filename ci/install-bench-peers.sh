#!/usr/bin/env bash
# Installs the servers `bench/run --peers` measures ferry against (vsftpd,
# OpenSSH's sshd and sftp, pyftpdlib) and the clients it drives them with
# (curl, paramiko). Optional: CI does not need them, and the benchmark skips
# any peer that is missing.
#
# Idempotent and quiet when nothing is missing, as ci/install-deps.sh (which
# does the work) is. The packages' services are not used: the benchmark starts
# each server itself on loopback with a configuration of its own. (Debian starts vsftpd and ssh when they are
# installed, where a service manager runs; stop or disable them if unwanted.)
set -euo pipefail

FERRY_INSTALLER=install-bench-peers exec bash "$(dirname "${BASH_SOURCE[0]}")/install-deps.sh" \
  vsftpd openssh-server openssh-client python3-pyftpdlib python3-paramiko curl
