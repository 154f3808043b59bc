#!/usr/bin/env bash
# Install what `skillyard eval run --sandbox podman` needs, from Debian: podman, and runc (on
# cgroup v1 or hybrid hosts podman's default crun refuses to start containers; skillyard then
# passes --runtime runc). Idempotent: does nothing when both are already there. Only the
# container tests (tests/test_eval_container.py) need it; they skip with the reason without it.
set -euo pipefail

say() { echo "install-podman: $*" >&2; }

if command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    say "podman or runc is missing; run this script as root (it uses apt-get)"
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends podman runc >/dev/null 2>&1 || {
    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends podman runc >/dev/null
}
command -v podman >/dev/null 2>&1 || { say "podman did not install"; exit 1; }
say "done"
