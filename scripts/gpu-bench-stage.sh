#!/bin/bash
# Runs on the build machine (no GPU): builds this checkout and stages in .gpu/ what scripts/gpu-bench-device.sh needs
# on a lent GPU machine, in pieces under the device tool's 64 MiB per call (docs/performance.md, "GPU run"):
#   .gpu/part-a?       the CUDA provider library, xz-compressed and split (its fatbins hardly compress: ~185 MB)
#   .gpu/small.tar.xz  af/ (the solution file, the inference and benchmark builds without the CUDA provider, the two
#                      models) and dotnet/ (the host and the shared runtimes this build targets)
#   .gpu/SHA256SUMS, .gpu/device.sh
# The parts depend only on the ONNX Runtime version, so they are kept when present (compressing them takes ~14 min
# on 2 busy cores); small.tar.xz is made again every time. .gpu/ is git-ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
ORT_VERSION=$(sed -n 's:.*<OnnxRuntimeVersion>\(.*\)</OnnxRuntimeVersion>.*:\1:p' Directory.Packages.props)
NATIVE=runtimes/linux-x64/native
BUILDS=(AiFactory.Inference/bin/Release/net10.0 AiFactory.Benchmarks/bin/Release/net10.0)
DOTNET=$(dirname "$(readlink -f "$(command -v dotnet)")")

dotnet build -c Release AiFactory.Benchmarks
for model in text-direction text-detection; do
  [ -f "models/$model/1/model.onnx" ] || { echo "models/$model/1/model.onnx is missing: run scripts/fetch-models.sh" >&2; exit 1; }
done

mkdir -p .gpu
if ! ls .gpu/part-a? >/dev/null 2>&1; then
  provider=~/.nuget/packages/microsoft.ml.onnxruntime.gpu.linux/$ORT_VERSION/$NATIVE/libonnxruntime_providers_cuda.so
  xz -9e -T1 -c "$provider" | split -b 60M - .gpu/part-
fi

stage=$(mktemp -d -p .gpu stage.XXXXXX)   # on the same file system: the builds are hard-linked
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/af" "$stage/dotnet/host" "$stage/dotnet/shared"
cp AiFactory.sln "$stage/af/"
for build in "${BUILDS[@]}"; do
  mkdir -p "$stage/af/$build"
  cp -al "$build/." "$stage/af/$build/"
  rm "$stage/af/$build/$NATIVE/libonnxruntime_providers_cuda.so"
done
for model in text-direction text-detection; do
  mkdir -p "$stage/af/models/$model/1" && cp -l "models/$model/1/model.onnx" "$stage/af/models/$model/1/"
done
runtime=$(dotnet --list-runtimes | sed -n 's/^Microsoft.NETCore.App \([^ ]*\).*/\1/p' | tail -1)
cp -a "$DOTNET/dotnet" "$stage/dotnet/"
cp -a "$DOTNET/host/fxr" "$stage/dotnet/host/"
for framework in Microsoft.NETCore.App Microsoft.AspNetCore.App; do
  mkdir -p "$stage/dotnet/shared/$framework" && cp -a "$DOTNET/shared/$framework/$runtime" "$stage/dotnet/shared/$framework/"
done
tar -C "$stage" -cf - af dotnet | xz -9 -T1 > .gpu/small.tar.xz
cp scripts/gpu-bench-device.sh .gpu/device.sh
(cd .gpu && sha256sum part-a? small.tar.xz > SHA256SUMS)
ls -l .gpu
echo "device: calls 1..n carry one .gpu/part-a? each:  mkdir -p /root/gpu && mv .gpu/part-a? /root/gpu/"
echo "        the last call carries .gpu/small.tar.xz, .gpu/SHA256SUMS, .gpu/device.sh:  bash .gpu/device.sh 3"
