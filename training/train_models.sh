#!/bin/bash
# The shipped models, reproducibly (docs/training.md "The shipped models").
#
#   bash training/train_models.sh train SAMPLES_ROOT CKPT_ROOT [SECONDS]   # every model, in parallel
#   bash training/train_models.sh export CKPT_ROOT MANIFEST.tsv            # -> weights/<model>-<size>/
#
# SAMPLES_ROOT/<model>/ holds that model's training samples: training/data/build/samples/<model>/train
# (build_photos.py), or what `device_bundle.py unpack` wrote on the GPU machine. Each model of
# build_photos.MODELS trains in [8,16] and [4,8], plus an unconditioned [8,16] baseline on the same
# data; SECONDS caps each run (default 420; the last finished epoch is kept). Recipe blend_pulse v2 on
# 3-frame clips of synthetic motion with prev.rgb fed back (docs/training.md). CNNV3_MODELS="paint"
# trains only the named models.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python3}
models=${CNNV3_MODELS:-"toon paint poster"}

case "${1:-}" in
train)
  samples=$2 ckpt=$3 limit=${4:-420}
  mkdir -p "$ckpt"
  export OMP_NUM_THREADS=1 TQDM_DISABLE=1 PYTHONUNBUFFERED=1
  common=(--epochs 1000 --time-limit "$limit" --batch-size 64 --patch-size 64 --patches-per-image 32
          --lr 2e-3 --detector harris --recipe blend_pulse --recipe-version 2 --checkpoint-every 1000 --seed 1
          --temporal-frames 3 --temporal-dropout 0.5 --temporal-loss-weight 1 --wrap-loss-weight 10)
  pids=()
  for m in $models; do
    for size in 8,16 4,8; do
      "$py" "$here/train.py" --input "$samples/$m" --enc-channels $size "${common[@]}" \
        --checkpoint-dir "$ckpt/$m-${size/,/}" > "$ckpt/$m-${size/,/}.log" 2>&1 & pids+=($!)
    done
    "$py" "$here/train.py" --input "$samples/$m" --enc-channels 8,16 --unconditioned "${common[@]}" \
      --checkpoint-dir "$ckpt/$m-816-uncond" > "$ckpt/$m-816-uncond.log" 2>&1 & pids+=($!)
  done
  status=0
  for p in "${pids[@]}"; do wait "$p" || status=1; done
  tail -n 3 "$ckpt"/*.log
  exit $status
  ;;
export)
  ckpt=$2 manifest=$3
  for run in "$ckpt"/*/; do
    name=$(basename "$run")
    case $name in *-uncond) dest="$here/baselines/$name" ;; *) dest="$here/../weights/$name" ;; esac
    case $name in  # the looks at style_p0 = 0 and 1 (build_photos.MODELS), as `cnnv3 models` shows them
      toon-*) styles="cartoon,colour pencil sketch" ;;
      paint-*) styles="oil paint,watercolour wash" ;;
      poster-*) styles="posterize,ink wash" ;;
    esac
    "$py" "$here/export.py" "$run/latest.pt" "$dest" --name "$name" --data-manifest "$manifest" \
      --default-cond 1,0,0.5,0.5,1 --styles "$styles"
  done
  ;;
*)
  sed -n '2,11p' "$0" >&2
  exit 2
  ;;
esac
