#!/usr/bin/env bash
# Runs redis-server in the foreground for the AppHost's no-container mode (DESIGN.md §4).
#   run-redis.sh [redis-server options...]     the password in the environment: $REDIS_PASSWORD
# The password reaches redis-server as configuration on its standard input ("redis-server -"), never as an argument:
# ps shows every process's arguments to every user of the machine.
set -euo pipefail

: "${REDIS_PASSWORD:?REDIS_PASSWORD must hold the password clients authenticate with}"
command -v redis-server >/dev/null || { echo "run-redis: redis-server not found (apt-get install -y redis-server)" >&2; exit 1; }

password="$REDIS_PASSWORD"
unset REDIS_PASSWORD
# Redis's config syntax: a double-quoted string; the generated passwords hold letters and digits only, but quote anyway.
printf 'requirepass "%s"\n' "${password//\"/\\\"}" | exec redis-server - "$@"
