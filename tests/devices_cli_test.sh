#!/usr/bin/env bash
# `cnnv3 devices`: one line per Vulkan device, each naming the pass variant the GPU host picks there
# and, without tensor cores, why (network_runner.h RunnerVariant::for_device).
# usage: devices_cli_test.sh PATH/TO/cnnv3
set -u
out=$("$1" devices) || { echo "FAIL: cnnv3 devices exited $?"; exit 1; }
echo "$out"
fail=0
while IFS= read -r line; do
    echo "$line" | grep -Eq "  variant (tc|f16|f32)( \(tensor cores: [^)]+\))?$" || { echo "FAIL: no variant in: $line"; fail=1; }
    if echo "$line" | grep -q "variant tc" && echo "$line" | grep -q "tensor cores:"; then
        echo "FAIL: tc with a reason against it: $line"; fail=1
    fi
done <<<"$out"
exit $fail
