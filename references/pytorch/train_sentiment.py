#!/usr/bin/python3
"""PyTorch reference for the SwiftMLPerf `sentiment` benchmark: a bag of unigram + bigram embeddings (mean over the
non-padding positions) and a linear classifier, on the modeldata fine-food reviews (docs/datasets.md).
Runs on Debian's python3-torch (CPU), under the project's environment (.venv sees Debian's packages):

    .venv/bin/python3 references/pytorch/train_sentiment.py --seed N [--data-dir D] [--onnx-out F]
        [--threads 1] [--max-epochs E]

The vocabulary is built from the training reviews (fine_foods_data.py) during init and, with --onnx-out F.onnx,
written beside the model as F.vocab.json. Accuracy on the test reviews after each epoch; stop at the first ≥ target.

MLLOG lines go to stdout in mlperf_logging's layout; errors go to stderr with exit status 2.
"""
import argparse
import json
import math
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_log  # noqa: E402
from reference_log import end, event, start  # noqa: E402

BENCHMARK = "sentiment"
EMBEDDING_DIM = 32
BATCH_SIZE = 32
LEARNING_RATE = 0.005
BETA1 = 0.9
BETA2 = 0.999
EPSILON = 1e-8
WEIGHT_DECAY = 0.0
EMBEDDING_INIT = "uniform"      # U(-1/D, 1/D) (fastText); row 0 (padding) = 0
MAX_EPOCHS = 10
TARGET = 0.80
EVAL_BATCH = 250




def build_model(torch, vocab_size):
    nn = torch.nn

    class MeanBag(nn.Module):
        """Embedding(V, D, padding_idx=0) → mean over the positions whose id is not 0 (zero vector if none) →
        Linear(D, 2). Init: see EMBEDDING_INIT; the Linear layer PyTorch's default, weight and bias
        U(-1/sqrt(D), 1/sqrt(D))."""

        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, EMBEDDING_DIM, padding_idx=0)
            if EMBEDDING_INIT == "uniform":
                limit = 1.0 / EMBEDDING_DIM
                nn.init.uniform_(self.embedding.weight, -limit, limit)
                with torch.no_grad():
                    self.embedding.weight[0].zero_()
            self.linear = nn.Linear(EMBEDDING_DIM, 2)

        def forward(self, tokens):
            mask = (tokens != 0).to(torch.float32)
            total = (self.embedding(tokens) * mask.unsqueeze(-1)).sum(1)
            count = mask.sum(1, keepdim=True).clamp(min=1.0)
            return self.linear(total / count)

    return MeanBag()


def accuracy(torch, model, x, y):
    correct = 0
    with torch.no_grad():
        for s in range(0, x.shape[0], EVAL_BATCH):
            correct += int((model(x[s:s + EVAL_BATCH]).argmax(1) == y[s:s + EVAL_BATCH]).sum())
    return correct / x.shape[0]


def export_onnx(torch, model, path, x):
    import numpy as np
    import onnxruntime as ort
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch 1.13's shape-inference notes about prim::Constant
        torch.onnx.export(model, x[:2], path, input_names=["tokens"], output_names=["logits"],
                          dynamic_axes={"tokens": {0: "N"}, "logits": {0: "N"}}, opset_version=13)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    got = session.run(["logits"], {"tokens": x.numpy()})[0]
    with torch.no_grad():
        want = model(x).numpy()
    if got.shape != want.shape or got.dtype != np.float32 or not np.allclose(got, want, rtol=1e-4, atol=1e-5):
        raise RuntimeError(f"{path}: ONNX Runtime's logits differ from torch's")


def main():
    import fine_foods_data as ffd
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    reference_log.add_common_arguments(
        p, data_dir=ffd.default_data_dir(), max_epochs=MAX_EPOCHS, target=TARGET,
        onnx_help="write the trained model as ONNX and its vocabulary as <stem>.vocab.json (after run_stop, "
                        "untimed)",
        train_help="train on the first N reviews only (the vocabulary still comes from all of them) (tests)",
        eval_help="evaluate on the first N test reviews only (tests)")
    args = p.parse_args()

    torch = reference_log.import_torch()
    if torch is None:
        return 2

    reference_log.header(BENCHMARK, args)

    torch.set_num_threads(args.threads)
    try:
        train_reviews, train_labels = ffd.load_split(args.data_dir, "training_data")
        test_reviews, test_labels = ffd.load_split(args.data_dir, "testing_data")
    except ffd.DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    vocab = ffd.build_vocab(train_reviews)
    enc = ffd.Encoder(vocab)
    train_x = torch.tensor([enc.encode(r) for r in train_reviews], dtype=torch.int64)
    train_y = torch.tensor(train_labels, dtype=torch.int64)
    test_x = torch.tensor([enc.encode(r) for r in test_reviews], dtype=torch.int64)
    test_y = torch.tensor(test_labels, dtype=torch.int64)
    if args.train_limit:
        train_x, train_y = train_x[:args.train_limit], train_y[:args.train_limit]
    if args.eval_limit:
        test_x, test_y = test_x[:args.eval_limit], test_y[:args.eval_limit]
    torch.manual_seed(args.seed)
    model = build_model(torch, enc.size)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=(BETA1, BETA2), eps=EPSILON,
                                 weight_decay=WEIGHT_DECAY)
    loss_fn = torch.nn.CrossEntropyLoss()
    shuffle = torch.Generator()
    shuffle.manual_seed(args.seed)
    n_train = train_x.shape[0]

    end("init_stop")
    start("run_start")
    event("seed", args.seed)
    event("global_batch_size", BATCH_SIZE)
    reference_log.adam_hyperparameters(LEARNING_RATE, BETA1, BETA2, EPSILON, WEIGHT_DECAY)
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
        acc = accuracy(torch, model, test_x, test_y)
        reference_log.epoch_evaluated(epoch, acc)
        if acc >= args.target:
            success = True
            break
    end("run_stop", metadata={"status": "success" if success else "aborted"})

    if args.onnx_out:
        model.eval()
        stem = args.onnx_out[:-5] if args.onnx_out.endswith(".onnx") else args.onnx_out
        try:
            export_onnx(torch, model, args.onnx_out, test_x)
            ffd.save_vocab(vocab, stem + ".vocab.json")
        except (OSError, RuntimeError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
