#!/usr/bin/env bash
# Runs PostgreSQL in the foreground for the AppHost's no-container mode (DESIGN.md §4), and for test fixtures.
#   run-postgres.sh PORT DATA_DIR DATABASE
#   passwords in the environment: $POSTGRES_PASSWORD (the superuser "postgres", for administration),
#   $GATEWAY_DB_PASSWORD (the gateway's own role, aifactory_gateway) and, optionally, $INFERENCE_DB_PASSWORD (the
#   inference replicas' read-only role, aifactory_inference; the AppHost always gives it, the benchmark's folder-mode
#   stack does not need it)
# Initialises DATA_DIR on first use, sets the passwords on every start (the data folder outlives a changed secret),
# creates DATABASE when missing and the services' roles in it, then waits on the server and stops it cleanly on
# SIGTERM/SIGINT. No password is ever put on a command line (ps shows those to every user): psql reads them with \getenv.
set -euo pipefail

port="$1" data="$2" database="$3"
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must hold the password for user postgres}"
: "${GATEWAY_DB_PASSWORD:?GATEWAY_DB_PASSWORD must hold the password for the gateway role aifactory_gateway}"
role_scripts="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/manifests/overlays/common/postgres-init"

bindir="$(pg_config --bindir 2>/dev/null || true)"
if [ ! -x "$bindir/postgres" ]; then
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
fi
[ -x "$bindir/postgres" ] || { echo "run-postgres: PostgreSQL server binaries not found (apt-get install -y postgresql)" >&2; exit 1; }

# PostgreSQL refuses to run as root: drop to the postgres user when started as root.
run_as=()
[ "$(id -u)" = 0 ] && run_as=(setpriv --reuid=postgres --regid=postgres --init-groups)
as_owner() { "${run_as[@]}" "$@"; }

mkdir -p "$data"
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$data"
  as_owner test -x "$data" || { echo "run-postgres: user postgres cannot enter $data; make its parent folders traversable (chmod o+x)" >&2; exit 1; }
fi
chmod 700 "$data"

if [ ! -f "$data/PG_VERSION" ]; then
  as_owner "$bindir/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >/dev/null
fi

# A server left behind by a run that was killed hard still holds the folder: stop it first.
if [ -f "$data/postmaster.pid" ]; then
  as_owner "$bindir/pg_ctl" -D "$data" stop -m fast >/dev/null 2>&1 || rm -f "$data/postmaster.pid"
fi

# A plain command, not the function: $! must be the server itself (setpriv execs it), not a subshell that
# would swallow the stop signal.
"${run_as[@]}" "$bindir/postgres" -D "$data" -p "$port" -k "$data" -c listen_addresses=127.0.0.1 &
server=$!
# Fast shutdown whenever this script ends, normally, on a failed step or on SIGTERM/SIGINT from the AppHost.
stop_server() { kill -INT "$server" 2>/dev/null && wait "$server" 2>/dev/null; }
trap stop_server EXIT
trap 'exit 0' TERM INT

# psql_in DATABASE [psql arguments...]
psql_in() { local db="$1"; shift; as_owner "$bindir/psql" -h "$data" -p "$port" -U postgres -d "$db" -v ON_ERROR_STOP=1 -qAt "$@"; }

until as_owner "$bindir/pg_isready" -h "$data" -p "$port" -q; do
  kill -0 "$server" 2>/dev/null || { echo "run-postgres: the server exited during start" >&2; exit 1; }
  sleep 0.2
done

# psql interpolates :'var' only in scripts it reads, not in -c commands.
psql_in postgres >/dev/null <<'SQL'
\getenv pw POSTGRES_PASSWORD
ALTER USER postgres PASSWORD :'pw'
SQL
if [ -z "$(psql_in postgres -v db="$database" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")" ]; then
  psql_in postgres -c "CREATE DATABASE \"$database\"" >/dev/null
fi
psql_in "$database" >/dev/null < "$role_scripts/gateway-role.sql"
roles="the gateway logs in as aifactory_gateway"
# Last: the AppHost's health check logs in as this role, so serving means every role is there.
if [ -n "${INFERENCE_DB_PASSWORD:-}" ]; then
  psql_in "$database" >/dev/null < "$role_scripts/inference-role.sql"
  roles="$roles, inference as aifactory_inference"
fi
echo "run-postgres: serving database '$database' on 127.0.0.1:$port ($roles)"

wait "$server"
