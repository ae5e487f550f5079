#!/usr/bin/env python3
"""STAND-IN training workload for testing the harness (not the Fashion-MNIST reference, which lives elsewhere).

A real, small computation: softmax regression trained by SGD with momentum (batch 64, lr 0.02, momentum 0.9) on a
seeded synthetic 10-class problem with 60 000 training and 10 000 test points (20 noisy features). It logs a
plausible MLLOG run with the Fashion-MNIST closed hyper-parameters and evaluates every epoch; it stops when the
test accuracy reaches the target (0.90) or after 15 epochs (status aborted).

Options: --seed N (required), --benchmark NAME, --division closed|open, --log FILE (write MLLOG there instead of
stdout), --misbehave crash|hang|no-run-stop|garbage|nan-stop-time|nan-quality|two-run-start[@RUN] (for failure
tests), --sleep S (extra seconds per epoch). two-run-start logs run_start twice, the log clock jumping 60 s forward
between them.
Uses numpy (installed with mlperf-logging) when present, else pure Python on a smaller problem.
"""
import argparse, json, os, random, sys, time

p = argparse.ArgumentParser()
p.add_argument("--seed", type=int, required=True)
p.add_argument("--benchmark", default=os.environ.get("MLPERF_BENCHMARK", "fashion-mnist"))
p.add_argument("--division", default=os.environ.get("MLPERF_DIVISION", "closed"))
p.add_argument("--log")
p.add_argument("--misbehave", default="")
p.add_argument("--sleep", type=float, default=0.0)
args = p.parse_args()
# --misbehave MODE@RUN applies MODE only on that run index (MLPERF_RUN_INDEX, set by the harness).
if "@" in args.misbehave:
    mode, run = args.misbehave.split("@")
    args.misbehave = mode if os.environ.get("MLPERF_RUN_INDEX") == run else ""

out = open(args.log, "w") if args.log else sys.stdout

clock_offset_ms = 0

def log(kind, key, value=None, time_ms=None, **md):
    meta = {"file": "standin_train.py", "lineno": sys._getframe(1).f_lineno}
    meta.update(md)
    t = int(time.time() * 1e3) + clock_offset_ms if time_ms is None else time_ms
    rec = {"namespace": "", "time_ms": t, "event_type": kind, "key": key, "value": value, "metadata": meta}
    out.write(":::MLLOG " + json.dumps(rec) + "\n")
    out.flush()

import numpy as np
rng = np.random.default_rng(args.seed)
D, K, SCALE, NOISE = 20, 10, 0.01, 1.3
log("POINT_IN_TIME", "cache_clear", True)
log("INTERVAL_START", "init_start")
for k, v in [("submission_benchmark", args.benchmark), ("submission_division", args.division),
             ("submission_org", "SwiftMLPerf"), ("submission_platform", os.environ.get("MLPERF_SYSTEM", "local")),
             ("submission_status", "research")]:
    log("POINT_IN_TIME", k, v)
log("POINT_IN_TIME", "seed", args.seed)
for k, v in [("global_batch_size", 64), ("opt_name", "sgd"), ("opt_base_learning_rate", 0.02),
             ("opt_momentum", 0.9), ("opt_weight_decay", 0.0), ("train_samples", 60000), ("eval_samples", 10000)]:
    log("POINT_IN_TIME", k, v)
data_rng = np.random.default_rng(20261123)  # the data set is fixed; the seed drives init and order
centers = data_rng.normal(0, 1.0, (K, D))
def make(n):
    y = data_rng.integers(0, K, n)
    return (SCALE * (centers[y] + data_rng.normal(0, NOISE, (n, D)))).astype(np.float32), y
xtr, ytr = make(60000)
xte, yte = make(10000)
W = rng.normal(0, 0.01, (D, K)).astype(np.float32); b = np.zeros(K, np.float32)
vW = np.zeros_like(W); vb = np.zeros_like(b)
log("INTERVAL_END", "init_stop")
if args.misbehave == "garbage":
    out.write(":::MLLOG {\"namespace\": \"\", \"time_ms\": 17000000\n")
    out.write("some framework chatter without the token\n")
log("INTERVAL_START", "run_start")
if args.misbehave == "two-run-start":
    clock_offset_ms = 60000
    log("INTERVAL_START", "run_start")
status = "aborted"
for epoch in range(1, 16):
    log("INTERVAL_START", "block_start", first_epoch_num=epoch, epoch_count=1)
    log("INTERVAL_START", "epoch_start", epoch_num=epoch)
    perm = rng.permutation(len(xtr))
    for s in range(0, len(xtr), 64):
        idx = perm[s:s + 64]
        x, y = xtr[idx], ytr[idx]
        z = x @ W + b
        z -= z.max(1, keepdims=True)
        pr = np.exp(z); pr /= pr.sum(1, keepdims=True)
        pr[np.arange(len(y)), y] -= 1
        gW = x.T @ pr / len(y); gb = pr.mean(0)
        vW = 0.9 * vW + gW; vb = 0.9 * vb + gb
        W -= 0.02 * vW; b -= 0.02 * vb
    if args.sleep:
        time.sleep(args.sleep)
    log("INTERVAL_END", "epoch_stop", epoch_num=epoch)
    log("INTERVAL_START", "eval_start", epoch_num=epoch)
    acc = float(((xte @ W + b).argmax(1) == yte).mean())
    log("INTERVAL_END", "eval_stop", epoch_num=epoch)
    log("POINT_IN_TIME", "eval_accuracy", float("nan") if args.misbehave == "nan-quality" else acc, epoch_num=epoch)
    log("INTERVAL_END", "block_stop", first_epoch_num=epoch)
    if args.misbehave == "crash" and epoch == 2:
        raise SystemExit("stand-in: simulated crash")
    if args.misbehave == "hang" and epoch == 1:
        time.sleep(3600)
    if acc >= 0.90:
        status = "success"
        break
if args.misbehave == "nan-stop-time":
    log("INTERVAL_END", "run_stop", time_ms=float("nan"), status=status)
elif args.misbehave != "no-run-stop":
    log("INTERVAL_END", "run_stop", status=status)
