#!/usr/bin/env bash
# Fails when web/generated/ (the browser tool's WGSL and plan.js) is not what `cnnv3-shadergen wgsl`
# writes now. Regenerate with: build/shadergen/cnnv3-shadergen wgsl -y -o web/generated
set -euo pipefail
shadergen=$1 root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$shadergen" wgsl -o "$tmp"
if ! diff -r "$root/web/generated" "$tmp"; then
  echo "web/generated/ is stale: run $shadergen wgsl -y -o web/generated and commit the result" >&2
  exit 1
fi
echo "web/generated/ is current ($(ls "$tmp" | wc -l) files)"
