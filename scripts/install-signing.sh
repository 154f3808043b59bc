#!/usr/bin/env bash
# Install what signature verification needs, from Debian: OpenSSH's ssh-keygen (SSH signatures,
# KRLs), gpg and gpgv (GPG-signed git commits and tags; the tests make a real key). Idempotent:
# does nothing when all three are already there.
set -euo pipefail

say() { echo "install-signing: $*" >&2; }

have() { command -v ssh-keygen >/dev/null 2>&1 && command -v gpg >/dev/null 2>&1 \
    && command -v gpgv >/dev/null 2>&1; }

if have; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    say "ssh-keygen, gpg or gpgv is missing; run this script as root (it uses apt-get)"
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
packages="openssh-client gnupg gpgv"
apt-get install -y -q --no-install-recommends $packages >/dev/null 2>&1 || {
    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $packages >/dev/null
}
have || { say "openssh-client, gnupg or gpgv did not install"; exit 1; }
say "done"
