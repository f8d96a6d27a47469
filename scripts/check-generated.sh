#!/usr/bin/env bash
# Fails when a generated, committed file is stale: tests/vectors (PyTorch outputs).
# Regenerate with: /usr/bin/python3 training/make_test_vectors.py --out tests/vectors
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 training/make_test_vectors.py --out "$tmp/vectors" --check tests/vectors
