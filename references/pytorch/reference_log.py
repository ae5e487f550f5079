"""What the PyTorch reference trainers share: MLLOG lines in mlperf_logging's layout, their common command line,
and the run's opening lines (the same keys, in the same order, as the Swift references'
Sources/Benchmarks/ReferenceLog.swift)."""
import inspect
import json
import os
import sys
import time


def mllog(event_type, key, value=None, metadata=None):
    """One `:::MLLOG {json}` line; `file`/`lineno` name the trainer's line that logged it (the first caller outside
    this module)."""
    caller = inspect.currentframe().f_back
    while caller.f_back is not None and caller.f_code.co_filename == __file__:
        caller = caller.f_back
    md = {"file": os.path.basename(caller.f_code.co_filename), "lineno": caller.f_lineno}
    if metadata:
        md.update(metadata)
    record = {"namespace": "", "time_ms": int(time.time() * 1e3), "event_type": event_type, "key": key,
              "value": value, "metadata": md}
    sys.stdout.write(":::MLLOG " + json.dumps(record) + "\n")
    sys.stdout.flush()


def event(key, value=None, metadata=None):
    mllog("POINT_IN_TIME", key, value, metadata)


def start(key, value=None, metadata=None):
    mllog("INTERVAL_START", key, value, metadata)


def end(key, value=None, metadata=None):
    mllog("INTERVAL_END", key, value, metadata)


def add_common_arguments(p, data_dir, max_epochs, target, onnx_help, train_help, eval_help):
    """The options every reference trainer takes (see references/pytorch/README.md)."""
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--data-dir", default=data_dir)
    p.add_argument("--onnx-out", default=None, help=onnx_help)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--max-epochs", type=int, default=max_epochs)
    p.add_argument("--division", default="closed")
    p.add_argument("--org", default="SwiftMLPerf")
    p.add_argument("--platform", default="cpu")
    p.add_argument("--status", default="onprem")
    p.add_argument("--train-limit", type=int, default=None, help=train_help)
    p.add_argument("--eval-limit", type=int, default=None, help=eval_help)
    p.add_argument("--target", type=float, default=target)


def import_torch():
    """PyTorch, or None after one clear error on stderr."""
    try:
        import torch
        return torch
    except ImportError:
        print("error: PyTorch is missing: run `bash scripts/setup.sh` (it installs Debian's python3-torch and "
              "the project's environment .venv), then run this script with .venv/bin/python3", file=sys.stderr)
        return None


def header(benchmark, args):
    """submission_*, cache_clear, init_start."""
    event("submission_benchmark", benchmark)
    event("submission_division", args.division)
    event("submission_org", args.org)
    event("submission_platform", args.platform)
    event("submission_status", args.status)
    event("cache_clear", True)
    start("init_start")


def adam_hyperparameters(lr, beta1, beta2, eps, weight_decay):
    """opt_name adam and its hyper-parameters."""
    event("opt_name", "adam")
    event("opt_base_learning_rate", lr)
    event("opt_adam_beta_1", beta1)
    event("opt_adam_beta_2", beta2)
    event("opt_adam_epsilon", eps)
    event("opt_weight_decay", weight_decay)


def epoch_begin(epoch):
    """block_start (one epoch per block) and epoch_start."""
    start("block_start", metadata={"first_epoch_num": epoch, "epoch_count": 1})
    start("epoch_start", metadata={"epoch_num": epoch})


def epoch_trained(epoch):
    """epoch_stop and eval_start."""
    end("epoch_stop", metadata={"epoch_num": epoch})
    start("eval_start", metadata={"epoch_num": epoch})


def epoch_evaluated(epoch, quality, extra=None):
    """eval_accuracy (with `extra` metadata), eval_stop and block_stop."""
    event("eval_accuracy", quality, metadata={"epoch_num": epoch, **(extra or {})})
    end("eval_stop", metadata={"epoch_num": epoch})
    end("block_stop", metadata={"first_epoch_num": epoch})


def export_onnx(torch, model, path, sample, input_name, output_name, tolerance=1e-4):
    """The model as ONNX (opset 13, dynamic batch `N`), then run by ONNX Runtime on `sample` and compared with torch
    (an error when they differ by more than `tolerance`, absolute and relative)."""
    import numpy as np
    import onnxruntime
    model.eval()
    torch.onnx.export(model, sample, path, input_names=[input_name], output_names=[output_name], opset_version=13,
                      dynamic_axes={input_name: {0: "N"}, output_name: {0: "N"}})
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = session.run(None, {input_name: sample.numpy()})[0]
    with torch.no_grad():
        want = model(sample).numpy()
    if not np.allclose(got, want, atol=tolerance, rtol=tolerance):
        raise SystemExit(f"error: {path}: ONNX Runtime differs from torch by {np.abs(got - want).max()}")

