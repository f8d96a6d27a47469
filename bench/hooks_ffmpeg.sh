#!/usr/bin/env bash
# Benchmark: every preset in glsl/ (and an identity compute hook) through FFmpeg's vf_libplacebo on
# this machine's Vulkan device (lavapipe here), at 640x360 and 1920x1080.
#   first frame: wall time of a 1-frame run (process start, Vulkan init, shader compile, 1 frame)
#   ms/frame:    (wall(1 + N frames) - wall(1 frame)) / N, so start-up and compile cancel out
# usage: bench/hooks_ffmpeg.sh [N_FRAMES_640 N_FRAMES_1080]   prints a Markdown table
set -euo pipefail
cd "$(dirname "$0")/.."
n640=${1:-40}
n1080=${2:-8}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/identity.glsl" <<'GLSL'
//!DESC identity compute hook (baseline)
//!HOOK MAIN
//!BIND HOOKED
//!COMPUTE 16 16
void hook() {
    ivec2 pos = ivec2(gl_GlobalInvocationID.xy);
    if (any(greaterThanEqual(pos, ivec2(HOOKED_size)))) return;
    imageStore(out_image, pos, texelFetch(HOOKED_raw, pos, 0) * HOOKED_mul);
}
GLSL
run() {  # run SHADER SIZE FRAMES -> seconds
  local start end
  start=$(date +%s.%N)
  ffmpeg -nostdin -hide_banner -loglevel error -init_hw_device vulkan=vk -filter_hw_device vk \
    -f lavfi -i "testsrc=size=$2:rate=25" -frames:v "$3" \
    -vf "format=rgba,hwupload,libplacebo=custom_shader_path=$1:dithering=-1,hwdownload,format=rgba" -f null -
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
device=$(ffmpeg -hide_banner -loglevel verbose -init_hw_device vulkan=vk -filter_hw_device vk -f lavfi -i nullsrc=s=16x16 \
  -frames:v 1 -vf format=rgba,hwupload,libplacebo,hwdownload,format=rgba -f null - 2>&1 | sed -n 's/.*Device Name: //p' | head -n1)
echo "FFmpeg $(ffmpeg -version | head -n1 | cut -d' ' -f3), device: ${device:-unknown}, $(nproc) cores"
echo
echo "| preset | size | first frame (s) | ms/frame |"
echo "|---|---|---|---|"
shaders=("$work/identity.glsl" glsl/cnnv3_*.glsl)
for shader in "${shaders[@]}"; do
  name=$(basename "$shader" .glsl)
  grep -q '^//!PARAM' "$shader" && { echo "| $name | - | cannot parse on libplacebo $(pkg-config --modversion libplacebo 2>/dev/null || echo 4.x) (//!PARAM) | - |"; continue; }
  for size in 640x360 1920x1080; do
    n=$n640; [ "$size" = 1920x1080 ] && n=$n1080
    t1=$(run "$shader" "$size" 1)
    tn=$(run "$shader" "$size" $((n + 1)))
    printf '| %s | %s | %.2f | %.1f |\n' "$name" "$size" "$t1" "$(echo "($tn - $t1) * 1000 / $n" | bc -l)"
  done
done
