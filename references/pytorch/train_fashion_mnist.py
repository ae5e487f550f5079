#!/usr/bin/python3
"""PyTorch reference for the SwiftMLPerf Fashion-MNIST benchmark.

The same model, hyper-parameters, data preprocessing and MLLOG keys as the Swift reference
(Sources/Benchmarks/FashionMNIST/FashionMNISTReference.swift; values in FashionMNISTBenchmark.swift beside it).
Runs on Debian's python3-torch (CPU), under the project's environment (.venv sees Debian's packages):

    .venv/bin/python3 references/pytorch/train_fashion_mnist.py --seed N [--data-dir D] [--onnx-out F]
        [--threads 1] [--max-epochs E]

MLLOG lines go to stdout in mlperf_logging's layout; errors go to stderr with exit status 2.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_log  # noqa: E402
from reference_log import end, event, start  # noqa: E402

BENCHMARK = "fashion-mnist"
BATCH_SIZE = 64
LEARNING_RATE = 0.02
MOMENTUM = 0.9
WEIGHT_DECAY = 0.0
MAX_EPOCHS = 15
TARGET = 0.90
INSTALL_HINT = "install dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or set FASHION_MNIST_DIR"




class DatasetError(Exception):
    pass


def read_idx(path, rank):
    if not os.path.exists(path):
        raise DatasetError(f"{path}: no such file. {INSTALL_HINT}")
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise DatasetError(f"{path}: file is truncated: expected at least 4 header bytes, got {len(data)}")
    magic = struct.unpack(">I", data[:4])[0]
    if magic != 0x800 | rank:
        raise DatasetError(f"{path}: not an IDX file of the expected kind: magic number {magic}, "
                           f"expected {0x800 | rank}")
    header = 4 + 4 * rank
    if len(data) < header:
        raise DatasetError(f"{path}: file is truncated: expected {header} header bytes, got {len(data)}")
    dims = struct.unpack(">" + "I" * rank, data[4:header])
    total = 1
    for d in dims:
        total *= d
    if len(data) < header + total:
        raise DatasetError(f"{path}: file is truncated: expected {header + total} bytes after decompression, "
                           f"got {len(data)}")
    return dims, data[header:header + total]


def load_split(torch, directory, stem, expected):
    ipath = os.path.join(directory, f"{stem}-images-idx3-ubyte.gz")
    lpath = os.path.join(directory, f"{stem}-labels-idx1-ubyte.gz")
    idims, ibytes = read_idx(ipath, 3)
    if tuple(idims) != (expected, 28, 28):
        raise DatasetError(f"{ipath}: unexpected shape {list(idims)}, expected [{expected}, 28, 28]")
    ldims, lbytes = read_idx(lpath, 1)
    if ldims[0] != idims[0]:
        raise DatasetError(f"{lpath}: {ldims[0]} labels for {idims[0]} images in {ipath}")
    images = torch.frombuffer(bytearray(ibytes), dtype=torch.uint8).reshape(-1, 1, 28, 28)
    labels = torch.frombuffer(bytearray(lbytes), dtype=torch.uint8).to(torch.int64)
    if int(labels.max()) >= 10:
        raise DatasetError(f"{lpath}: label {int(labels.max())} out of range, expected 0-9")
    # The shared preprocessing: x / 255 in float32.
    return images.to(torch.float32) / 255.0, labels


def build_model(torch):
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    reference_log.add_common_arguments(
        p, data_dir=os.environ.get("FASHION_MNIST_DIR") or "/usr/share/datasets/fashion-mnist", max_epochs=MAX_EPOCHS, target=TARGET,
        onnx_help="write the trained model as ONNX (after run_stop, untimed)",
        train_help="train on the first N images only (tests)",
        eval_help="evaluate on the first N test images only (tests)")
    args = p.parse_args()

    torch = reference_log.import_torch()
    if torch is None:
        return 2

    reference_log.header(BENCHMARK, args)

    torch.set_num_threads(args.threads)
    try:
        train_x, train_y = load_split(torch, args.data_dir, "train", 60000)
        test_x, test_y = load_split(torch, args.data_dir, "t10k", 10000)
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.train_limit:
        train_x, train_y = train_x[:args.train_limit], train_y[:args.train_limit]
    if args.eval_limit:
        test_x, test_y = test_x[:args.eval_limit], test_y[:args.eval_limit]
    torch.manual_seed(args.seed)
    model = build_model(torch)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    loss_fn = torch.nn.CrossEntropyLoss()
    shuffle = torch.Generator()
    shuffle.manual_seed(args.seed)
    n_train = train_x.shape[0]

    end("init_stop")
    start("run_start")
    event("seed", args.seed)
    event("global_batch_size", BATCH_SIZE)
    event("opt_name", "sgd")
    event("opt_base_learning_rate", LEARNING_RATE)
    event("opt_momentum", MOMENTUM)
    event("opt_weight_decay", WEIGHT_DECAY)
    event("train_samples", n_train)
    event("eval_samples", int(test_x.shape[0]))

    success = False
    for epoch in range(1, max(1, args.max_epochs) + 1):
        reference_log.epoch_begin(epoch)
        model.train()
        order = torch.randperm(n_train, generator=shuffle)
        for s in range(0, n_train, BATCH_SIZE):
            idx = order[s:s + BATCH_SIZE]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(train_x[idx]), train_y[idx])
            loss.backward()
            optimizer.step()
        reference_log.epoch_trained(epoch)
        model.eval()
        correct = 0
        with torch.no_grad():
            for s in range(0, test_x.shape[0], 1000):
                correct += int((model(test_x[s:s + 1000]).argmax(1) == test_y[s:s + 1000]).sum())
        accuracy = correct / test_x.shape[0]
        reference_log.epoch_evaluated(epoch, accuracy)
        if accuracy >= args.target:
            success = True
            break
    end("run_stop", metadata={"status": "success" if success else "aborted"})

    if args.onnx_out:
        model.eval()
        torch.onnx.export(model, torch.zeros(1, 1, 28, 28), args.onnx_out, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                          opset_version=13)
    return 0


if __name__ == "__main__":
    sys.exit(main())
