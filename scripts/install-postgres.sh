#!/usr/bin/env bash
# Install what the PostgreSQL tests need, from Debian: the PostgreSQL server and the pgvector
# extension. Debian bookworm packages pgvector only from trixie on (for PostgreSQL 17), so the
# extension is built here from Debian's own pgvector source archive (checksum pinned) against
# the installed server. Idempotent: does nothing when both are already in place.
set -euo pipefail

PGVECTOR_VERSION=0.8.0
PGVECTOR_SHA256=867a2c328d4928a5a9d6f052cd3bc78c7d60228a9b914ad32aa3db88e9de27b0
PGVECTOR_URL="http://deb.debian.org/debian/pool/main/p/pgvector/pgvector_${PGVECTOR_VERSION}.orig.tar.gz"

say() { echo "install-postgres: $*" >&2; }

server_major() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1; }

have_server() { [ -n "$(server_major)" ] && [ -x "/usr/lib/postgresql/$(server_major)/bin/initdb" ]; }

have_vector() {
    have_server && [ -f "/usr/share/postgresql/$(server_major)/extension/vector.control" ]
}

if have_vector; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    say "PostgreSQL with pgvector is missing; run this script as root (it uses apt-get)"
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_install() {
    apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1 || {
        apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "$@" >/dev/null
    }
}

if ! have_server; then
    say "installing postgresql from Debian"
    apt_install postgresql
fi
major="$(server_major)"
say "building pgvector ${PGVECTOR_VERSION} for PostgreSQL ${major}"
apt_install "postgresql-server-dev-${major}" make gcc curl ca-certificates
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
curl -fsSL -m 300 -o "$work/pgvector.tar.gz" "$PGVECTOR_URL"
echo "${PGVECTOR_SHA256}  $work/pgvector.tar.gz" | sha256sum -c --quiet -
tar -xzf "$work/pgvector.tar.gz" -C "$work"
src="$(find "$work" -maxdepth 1 -mindepth 1 -type d | head -1)"
pg_config="/usr/lib/postgresql/${major}/bin/pg_config"
make -s -C "$src" PG_CONFIG="$pg_config" with_llvm=no OPTFLAGS="" >/dev/null
make -s -C "$src" PG_CONFIG="$pg_config" with_llvm=no install >/dev/null
have_vector || { say "pgvector did not install"; exit 1; }
say "done"
