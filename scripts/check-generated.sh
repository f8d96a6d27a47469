#!/usr/bin/env bash
# Fails when a generated, committed file is stale: tests/vectors (PyTorch outputs).
# Regenerate with: /usr/bin/python3 training/make_test_vectors.py --out tests/vectors
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 training/make_test_vectors.py --out "$tmp/vectors" --check tests/vectors

# glsl/ from weights/ (the hook files are text: any difference at all is stale)
bash scripts/make-glsl.sh "$tmp/glsl" >/dev/null
if ! diff -r -q --exclude=README.md glsl "$tmp/glsl"; then
  echo "check-generated: glsl/ is stale: run bash scripts/make-glsl.sh and commit the result" >&2
  exit 1
fi
echo "glsl/ is current"
