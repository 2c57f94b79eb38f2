#!/usr/bin/env bash
# Runs PostgreSQL in the foreground for the AppHost's no-container mode (DESIGN.md §4), and for test fixtures.
#   run-postgres.sh PORT DATA_DIR DATABASE     (password in $POSTGRES_PASSWORD, user "postgres")
# Initialises DATA_DIR on first use, sets the password on every start (the data folder outlives a changed
# secret), creates DATABASE when missing, then waits on the server and stops it cleanly on SIGTERM/SIGINT.
set -euo pipefail

port="$1" data="$2" database="$3"
password="${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must hold the password for user postgres}"

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

psql_local() { as_owner "$bindir/psql" -h "$data" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

until as_owner "$bindir/pg_isready" -h "$data" -p "$port" -q; do
  kill -0 "$server" 2>/dev/null || { echo "run-postgres: the server exited during start" >&2; exit 1; }
  sleep 0.2
done

# psql interpolates :'var' only in scripts it reads, not in -c commands.
psql_local -v pw="$password" >/dev/null <<<"ALTER USER postgres PASSWORD :'pw'"
if [ -z "$(psql_local -v db="$database" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")" ]; then
  psql_local -c "CREATE DATABASE \"$database\"" >/dev/null
fi
echo "run-postgres: serving database '$database' on 127.0.0.1:$port"

wait "$server"
