#!/usr/bin/env bash
# Start a real PostgreSQL on 127.0.0.1 (Debian's package), create the bizpilot test role and database,
# and print the BIZPILOT_DATABASE_URL to use. Used by .ci/run and `make test-postgres`.
set -euo pipefail
DB=${PGTEST_DB:-bizpilot_test}
PORT=${PGTEST_PORT:-5432}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "installing Debian postgresql..." >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
fi
VER=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$VER main$"; then
  $SUDO pg_createcluster "$VER" main -p "$PORT" >&2
fi
CPORT=$(pg_lsclusters -h | awk -v v="$VER" '$1==v && $2=="main" {print $3}')
if ! pg_lsclusters -h | awk -v v="$VER" '$1==v && $2=="main" {print $4}' | grep -q online; then
  $SUDO pg_ctlcluster "$VER" main start -- -o "-c listen_addresses=127.0.0.1" >&2 || $SUDO pg_ctlcluster "$VER" main start >&2
fi
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p "$CPORT" -q && break
  sleep 1
done
# Set-up goes through the unix socket as the postgres user (Debian's peer authentication); tests use TCP.
PSQL=(runuser -u postgres -- psql -p "$CPORT" -v ON_ERROR_STOP=1 -q)
[ "$(id -u)" -eq 0 ] || PSQL=(sudo -u postgres psql -p "$CPORT" -v ON_ERROR_STOP=1 -q)
"${PSQL[@]}" -d postgres -c "DO \$\$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='bizpilot') THEN CREATE ROLE bizpilot LOGIN SUPERUSER PASSWORD 'bizpilot'; END IF; END\$\$;" >&2
if ! "${PSQL[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1; then
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB OWNER bizpilot" >&2
fi
echo "postgresql+psycopg://bizpilot:bizpilot@127.0.0.1:$CPORT/$DB"
