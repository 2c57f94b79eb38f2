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
exec dotnet run --project AiFactory.AppHost --launch-profile http "$@"
