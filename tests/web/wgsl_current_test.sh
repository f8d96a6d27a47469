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
# Refusals: one line, exit 1 (2 for usage), nothing written.
mkdir "$tmp/again"
touch "$tmp/again/plan.js"
if "$shadergen" wgsl -o "$tmp/again" 2> "$tmp/err" || [ "$(wc -l < "$tmp/err")" != 1 ] || [ "$(ls "$tmp/again")" != plan.js ]; then
  echo "wgsl onto an existing plan.js without -y: expected one line, exit 1 and no file written:" >&2; cat "$tmp/err" >&2; exit 1
fi
"$shadergen" wgsl -o "$tmp/missing-dir" 2> "$tmp/err" && { echo "wgsl into a missing folder succeeded" >&2; exit 1; }
rc=0; "$shadergen" wgsl 2> "$tmp/err" || rc=$?
[ $rc = 2 ] || { echo "wgsl without -o: exit $rc (expected 2)" >&2; exit 1; }
echo "wgsl refusals: ok"
