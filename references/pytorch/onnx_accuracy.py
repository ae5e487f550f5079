#!/usr/bin/env python3
"""Scores an exported Fashion-MNIST model with ONNX Runtime (PyPI onnxruntime, in the project's .venv).

    .venv/bin/python3 references/pytorch/onnx_accuracy.py MODEL.onnx [--data-dir D] [--limit N] [--logits K] [--check]

Prints one JSON object: {"correct", "count", "accuracy", "input", "output", "logits" (first K rows, if asked)}.
Preprocessing is the benchmark's: x / 255 in float32, shape [N, 1, 28, 28]. One intra-op thread.
"""
import argparse
import gzip
import json
import os
import struct
import sys

import numpy as np
import onnxruntime as ort


def read_idx(path, rank):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    if magic != 0x800 | rank:
        raise SystemExit(f"{path}: magic number {magic}, expected {0x800 | rank}")
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data[4 + 4 * rank:], dtype=np.uint8).reshape(dims)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--data-dir", default=os.environ.get("FASHION_MNIST_DIR") or "/usr/share/datasets/fashion-mnist")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--logits", type=int, default=0)
    p.add_argument("--check", action="store_true", help="also run onnx.checker (full check) on the model")
    args = p.parse_args()

    images = read_idx(os.path.join(args.data_dir, "t10k-images-idx3-ubyte.gz"), 3)
    labels = read_idx(os.path.join(args.data_dir, "t10k-labels-idx1-ubyte.gz"), 1)
    if args.limit:
        images, labels = images[:args.limit], labels[:args.limit]
    x = (images.astype(np.float32) / np.float32(255.0)).reshape(-1, 1, 28, 28)

    if args.check:
        import onnx
        onnx.checker.check_model(onnx.load(args.model), full_check=True)

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(args.model, opts, providers=["CPUExecutionProvider"])
    inp, out = sess.get_inputs()[0], sess.get_outputs()[0]
    logits = np.concatenate([sess.run([out.name], {inp.name: x[s:s + 1000]})[0] for s in range(0, len(x), 1000)])
    correct = int((logits.argmax(1) == labels).sum())
    result = {"correct": correct, "count": int(len(labels)), "accuracy": correct / len(labels),
              "input": {"name": inp.name, "shape": [d if isinstance(d, int) else str(d) for d in inp.shape]},
              "output": {"name": out.name, "shape": [d if isinstance(d, int) else str(d) for d in out.shape]}}
    if args.logits:
        result["logits"] = logits[:args.logits].astype(float).tolist()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
