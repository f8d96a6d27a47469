#!/usr/bin/env bash
# Fails when a generated, committed file is stale: tests/vectors (PyTorch outputs).
# Regenerate with: /usr/bin/python3 training/make_test_vectors.py --out tests/vectors
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The generator is exact where it can be (model files, inputs) and within SPEC §7's 1e-5 elsewhere,
# on any CPU: prove it here under each PyTorch kernel set this CPU can run, with 1 and 2 threads.
caps=(default avx2)
grep -q -w avx512f /proc/cpuinfo && caps+=(avx512)
for cap in "${caps[@]}"; do
  for threads in 1 2; do
    echo "tests/vectors: ATEN_CPU_CAPABILITY=$cap, $threads thread(s)"
    ATEN_CPU_CAPABILITY=$cap /usr/bin/python3 training/make_test_vectors.py --out "$tmp/vectors-$cap-$threads" \
      --threads "$threads" --check tests/vectors >/dev/null
  done
done

# glsl/ from weights/ (the hook files are text: any difference at all is stale)
bash scripts/make-glsl.sh "$tmp/glsl" >/dev/null
if ! diff -r -q --exclude=README.md glsl "$tmp/glsl"; then
  echo "check-generated: glsl/ is stale: run bash scripts/make-glsl.sh and commit the result" >&2
  exit 1
fi
echo "glsl/ is current"
