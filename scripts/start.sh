#!/usr/bin/env bash
# Starts the whole application from the AppHost: Redis, PostgreSQL, the inference replicas, the gateway and the
# dashboard. Installs prerequisites and fetches the sample models first. Ctrl+C stops everything.
#   Aspire dashboard  http://localhost:18888
#   Gateway           http://localhost:5080
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/install-prerequisites.sh
bash scripts/fetch-models.sh

# The gateway's bootstrap admin key: made once, kept in .data/admin-key (git-ignored) so curl commands can read it.
mkdir -p .data
if [[ ! -s .data/admin-key ]]; then
  (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > .data/admin-key)
fi
echo "Gateway admin key: .data/admin-key (send it as 'Authorization: Bearer \$(cat .data/admin-key)')"
# The AppHost gets it through its environment, never as an argument: ps shows every process's arguments to every user
# of the machine. (No shell can name a variable Parameters__gateway-admin-key; the AppHost reads the underscores as
# dashes and passes the key on to the gateway alone: AiFactory.AppHost/Parameters.)
export Parameters__gateway_admin_key
Parameters__gateway_admin_key="$(< .data/admin-key)"
exec dotnet run --project AiFactory.AppHost --launch-profile http -- "$@"
