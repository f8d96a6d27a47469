"""Seed corpus for model-fuzzer: valid inputs built from the committed test-vector models.

Input layout (see model_fuzzer.cpp): flag byte, u16 manifest length, u16 weights length in halves,
then model.json text, weights bytes, MLP bytes.
usage: make_seeds.py VECTORS_DIR CORPUS_DIR
"""
import pathlib
import struct
import sys

vectors, corpus = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
corpus.mkdir(parents=True, exist_ok=True)
for model in sorted(p for p in vectors.iterdir() if (p / "model.json").exists()):
    manifest = (model / "model.json").read_bytes()
    weights = (model / "cnn_v3_weights.bin").read_bytes()
    mlp = (model / "cnn_v3_film_mlp.bin").read_bytes()
    for flag in (0, 1):
        head = struct.pack("<BHH", flag, len(manifest) if flag else 0, len(weights) // 2)
        body = (manifest if flag else b"") + weights + mlp
        (corpus / f"{model.name}-{flag}").write_bytes(head + body)
