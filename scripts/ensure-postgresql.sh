#!/usr/bin/env bash
# Make sure Debian's PostgreSQL server binaries (initdb, pg_ctl, postgres) are installed, for the
# tests that start a throwaway server with scripts/pg_test_server.py. Idempotent: does nothing when
# a server is already installed. Needs root (apt-get). The package's own cluster is not used.
set -euo pipefail

if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-postgresql: PostgreSQL server binaries are missing and apt-get is not available; install PostgreSQL by hand" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q postgresql
ls /usr/lib/postgresql/*/bin/initdb >/dev/null
