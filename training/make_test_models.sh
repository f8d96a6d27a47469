#!/usr/bin/env bash
# Trains the two stand-in models shipped until real trained models land (issue "Trained models"):
# weights/test-chelsea-816 and weights/test-chelsea-48, recipe blend_pulse v1, on the one bundled
# CC0 photo, on the CPU (about 7 + 5 minutes on 2 cores). They are test models: one photo, no
# held-out set; they exist so the presets and the main job show a real, conditioned stylization.
# usage: training/make_test_models.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/cnnv3-test-models}
py=/usr/bin/python3
$py training/pack_photo.py samples/photo_chelsea.png "$work/samples/chelsea" --licence CC0
for enc in 8,16 4,8; do
  tag=${enc/,/}
  if [ ! -f "$work/ck$tag/ckpt_epoch_0300.pt" ]; then
    $py training/train.py --input "$work/samples" --epochs 300 --batch-size 32 --patch-size 48 \
      --patches-per-image 512 --enc-channels "$enc" --checkpoint-dir "$work/ck$tag" --checkpoint-every 100 \
      --recipe blend_pulse --recipe-version 1 --seed 1 --device cpu
  fi
  $py training/export.py "$work/ck$tag/ckpt_epoch_0300.pt" "weights/test-chelsea-$tag" \
    --name "test-chelsea-$tag" --default-cond 0,0,0.5,0.5,0.8
  $py training/preview.py "weights/test-chelsea-$tag" samples/photo_chelsea.png -o "$work/preview$tag.png"
  ffmpeg -nostdin -loglevel error -y -i "$work/preview$tag.png" -vf scale=520:-2 -q:v 4 \
    "weights/test-chelsea-$tag/preview.jpg"
done
