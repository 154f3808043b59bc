#!/usr/bin/env bash
# Install what the evaluation sandbox needs, from Debian: bubblewrap (`bwrap`), which runs each
# trial of `skillyard eval run` isolated at the task's container paths. Idempotent: does nothing
# when bwrap is already there.
set -euo pipefail

say() { echo "install-sandbox: $*" >&2; }

if command -v bwrap >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    say "bubblewrap is missing; run this script as root (it uses apt-get)"
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends bubblewrap >/dev/null 2>&1 || {
    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends bubblewrap >/dev/null
}
command -v bwrap >/dev/null 2>&1 || { say "bubblewrap did not install"; exit 1; }
say "done"
