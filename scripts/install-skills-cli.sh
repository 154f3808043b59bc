#!/usr/bin/env bash
# Install the Vercel `skills` CLI (npm package `skills`, version pinned) into a fixed prefix, for
# the test that installs from a running registry with the real CLI
# (tests/test_registry_skills_cli.py). Node and npm come from Debian when missing. Idempotent.
# Never fails hard: offline or without root it warns, and that test skips.
#
# 1.5.18 is the newest release that runs on Node 18/20 (later ones need Node >= 22.20); its
# well-known provider reads the same index formats as the current release.
set -uo pipefail

SKILLS_VERSION=1.5.18
PREFIX="${SKILLYARD_SKILLS_CLI_PREFIX:-$HOME/.cache/skillyard-test/npm}"
BIN="$PREFIX/node_modules/.bin/skills"

say() { echo "install-skills-cli: $*" >&2; }

installed_version() {
    node -e "console.log(require('$PREFIX/node_modules/skills/package.json').version)" 2>/dev/null
}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    if [ "$(id -u)" != 0 ]; then
        say "warning: node/npm are missing and this is not root; the skills CLI test will skip"
        exit 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends nodejs npm >/dev/null 2>&1 || {
        apt-get update -q >/dev/null 2>&1 &&
            apt-get install -y -q --no-install-recommends nodejs npm >/dev/null 2>&1
    } || { say "warning: could not install nodejs/npm; the skills CLI test will skip"; exit 0; }
fi

if [ -x "$BIN" ] && [ "$(installed_version)" = "$SKILLS_VERSION" ]; then
    exit 0
fi
mkdir -p "$PREFIX"
say "installing skills@${SKILLS_VERSION} into $PREFIX"
if ! npm install --prefix "$PREFIX" --no-audit --no-fund --loglevel=error \
        "skills@${SKILLS_VERSION}" >/dev/null 2>&1; then
    say "warning: npm could not install skills@${SKILLS_VERSION} (offline?); the skills CLI test will skip"
    exit 0
fi
[ -x "$BIN" ] || { say "warning: $BIN is missing after the install; the test will skip"; exit 0; }
say "done"
