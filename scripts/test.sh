#!/usr/bin/env bash
# Runs every test: installs prerequisites, fetches the sample models, builds, runs `dotnet test` over the whole
# solution and ends with one line "tests: N passed, M failed" (summed over all test projects).
# Exits non-zero when anything failed, or when the test run itself broke.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/install-prerequisites.sh || exit 1
bash scripts/fetch-models.sh || exit 1

results="$root/TestResults"
rm -rf "$results"
dotnet test AiFactory.sln -c Release --logger "trx" --results-directory "$results"
status=$?

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  passed=$((passed + $(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")))
  failed=$((failed + $(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")))
done

echo "tests: $passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$status" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
