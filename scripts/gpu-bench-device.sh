#!/bin/bash
# Runs on the device machine, from the repository root, with the payload parts already moved to $G by the earlier
# calls (and the last ones carried with this call). Idempotent: a rerun skips what is already unpacked.
# Usage: [RUNS="cuda cuda+graphs cpu"] [BENCH_ARGS="--protocols binary,gRPC"] [RUN_TIMEOUT=220] bash .gpu/device.sh [seconds-per-row]
# Each run is PROVIDER[:CUDNN_SEARCH][+graphs]; every run serves batching off, on (each batch at its own size) and
# padded (powers of two) side by side; +graphs also captures a CUDA graph per padded size on the padded model.
set -u
SECONDS_PER_ROW=${1:-2}
G=${GPU_DIR:-/root/gpu}
OUT=${OUT:-/tmp/out}
mkdir -p "$G" "$OUT"
mv .gpu/part-* .gpu/small.tar.xz .gpu/SHA256SUMS "$G"/ 2>/dev/null
cd "$G" || exit 1
exec > >(tee -a "$OUT/device.log") 2>&1

echo "== $(date -u) on $(hostname), $(nproc) cores"
nvidia-smi || echo "nvidia-smi failed (no GPU here?)"

if [ ! -f unpacked ]; then
  echo "== checking and unpacking"
  sha256sum -c SHA256SUMS || exit 2
  cat part-* > cuda.so.xz
  if command -v xz >/dev/null; then UNXZ="xz -dc"; else UNXZ="python3 -c 'import lzma,shutil,sys;shutil.copyfileobj(lzma.open(sys.argv[1]),sys.stdout.buffer)'"; fi
  echo "unxz: $UNXZ"
  eval "$UNXZ small.tar.xz" | tar -xf - || exit 3
  NATIVE=af/AiFactory.Inference/bin/Release/net10.0/runtimes/linux-x64/native
  eval "$UNXZ cuda.so.xz" > $NATIVE/libonnxruntime_providers_cuda.so || exit 4
  ln -f $NATIVE/libonnxruntime_providers_cuda.so af/AiFactory.Benchmarks/bin/Release/net10.0/runtimes/linux-x64/native/
  sha256sum $NATIVE/libonnxruntime_providers_cuda.so
  rm -f cuda.so.xz
  touch unpacked
fi

# CUDA 13 and cuDNN 9 from the pip packages of the device's Python (nvidia/*/lib, nvidia/cu13/lib …).
SITE=$(ls -d /opt/torch/.venv/lib/python3*/site-packages 2>/dev/null | head -1)
LIBS=$(find "$SITE/nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | sort | paste -sd:)
export LD_LIBRARY_PATH="${LIBS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "== LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcufft.so.12 libcudnn.so.9; do
  echo "$lib: $(for d in ${LIBS//:/ }; do ls $d/$lib 2>/dev/null; done | head -1)"
done
echo "== unresolved libraries of the CUDA provider:"
ldd af/AiFactory.Inference/bin/Release/net10.0/runtimes/linux-x64/native/libonnxruntime_providers_cuda.so | grep -E "not found|cuda|cublas|curand" || true

export PATH="$G/dotnet:$PATH" DOTNET_ROOT="$G/dotnet" DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
export AIFACTORY_BENCH_SERVER_ENV="Logging__LogLevel__AiFactory=Information"
dotnet --list-runtimes
cd af
# Each run: PROVIDER[:CUDNN_SEARCH][+graphs], e.g. "cuda cuda+graphs cpu" (the default). Optional BENCH_ARGS (default
# --protocols binary,gRPC) and RUN_TIMEOUT (seconds per run). Per run two files come back: results-<run>.md and
# bench-<run>.log (the benchmark's output, then the server's log).
for run in ${RUNS:-cuda cuda+graphs cpu}; do
  graphs=; [ "${run%+graphs}" != "$run" ] && graphs=--cuda-graphs && run=${run%+graphs}
  provider=${run%%:*}; search=${run#*:}; [ "$search" = "$run" ] && search=
  name=$provider${search:+-$search}${graphs:+-graphs}
  echo "== benchmark $name, $SECONDS_PER_ROW s per row, ${BENCH_ARGS:---protocols binary,gRPC}, started $(date -u +%T)"
  rm -f "$G/server-$name.log"
  AIFACTORY_BENCH_SERVER_LOG="$G/server-$name.log" timeout ${RUN_TIMEOUT:-220} \
    dotnet AiFactory.Benchmarks/bin/Release/net10.0/AiFactory.Benchmarks.dll \
      --provider "$provider" ${search:+--cudnn-conv-algo-search "$search"} $graphs --seconds "$SECONDS_PER_ROW" --detection \
      ${BENCH_ARGS:---protocols binary,gRPC} --output "$OUT/results-$name.md" > "$OUT/bench-$name.log" 2>&1
  echo "exit code $? at $(date -u +%T)"
  { echo "--- server log"; cat "$G/server-$name.log" 2>/dev/null; } >> "$OUT/bench-$name.log"
  grep -vE '^\|' "$OUT/bench-$name.log" | grep -v "^--- server log" | tail -40
done
nvidia-smi --query-gpu=name,memory.used,memory.total,driver_version --format=csv || true
