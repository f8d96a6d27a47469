#!/usr/bin/env bash
# Fails when web/generated/ (the browser tool's WGSL and plan.js) is not what `cnnv3-shadergen wgsl`
# writes now. Regenerate with: build/shadergen/cnnv3-shadergen wgsl -y -o web/generated
set -euo pipefail
shadergen=$1 root=$2
source "$(dirname "${BASH_SOURCE[0]}")/../e2e_common.sh"  # $work: a scratch folder, the current directory
"$shadergen" wgsl -o "$work"
if ! diff -r "$root/web/generated" "$work"; then
  echo "web/generated/ is stale: run $shadergen wgsl -y -o web/generated and commit the result" >&2
  exit 1
fi
echo "web/generated/ is current ($(ls "$work" | wc -l) files)"
# Refusals: one line, exit 1 (2 for usage), nothing written.
mkdir "$work/again"
touch "$work/again/plan.js"
if "$shadergen" wgsl -o "$work/again" 2> "$work/err" || [ "$(wc -l < "$work/err")" != 1 ] || [ "$(ls "$work/again")" != plan.js ]; then
  echo "wgsl onto an existing plan.js without -y: expected one line, exit 1 and no file written:" >&2; cat "$work/err" >&2; exit 1
fi
"$shadergen" wgsl -o "$work/missing-dir" 2> "$work/err" && { echo "wgsl into a missing folder succeeded" >&2; exit 1; }
rc=0; "$shadergen" wgsl 2> "$work/err" || rc=$?
[ $rc = 2 ] || { echo "wgsl without -o: exit $rc (expected 2)" >&2; exit 1; }
echo "wgsl refusals: ok"
