#!/usr/bin/env bash
# Installs what running and testing AiFactory needs beyond the .NET SDK, on Debian/Ubuntu:
# redis-server and the PostgreSQL server (run by the AppHost when no container runtime answers) and npm (fetches
# the sample models). Idempotent: installs only what is missing.
set -euo pipefail

command -v dotnet >/dev/null || { echo "install-prerequisites: the .NET 10 SDK is required (https://dot.net)" >&2; exit 1; }

have_postgres() {
  command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/postgres" ] && return 0
  compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null
}

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
have_postgres || missing+=(postgresql)
command -v npm >/dev/null || missing+=(npm)
command -v setpriv >/dev/null || missing+=(util-linux)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "install-prerequisites: please install ${missing[*]} with your package manager" >&2
  exit 1
fi

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "install-prerequisites: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
