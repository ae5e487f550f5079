#!/usr/bin/env python3
"""The MLPerf reference pattern, for `mlperf bench inference` to compare against: the official LoadGen
(PyPI `mlcommons-loadgen`, Python bindings) driving a Python ONNX Runtime SUT shaped like the MLCommons
reference implementation (vision/classification_and_detection/python/main.py): SingleStream and MultiStream run
inline in issue_queries, Offline and Server hand batches to worker threads through a queue.

Same work as SwiftMLPerf's ORT SUTs, so the comparison is like for like:
  * the same model file, session options (intra-op threads, sequential execution, all graph optimisations);
  * the same preprocessed inputs held in RAM (Fashion-MNIST: x/255 as float32 [N,1,28,28]; resnet50-perf:
    uniform [-1,1) float32 [N,3,224,224]);
  * the same batching: Offline/Server workers take up to --batch queued samples at once (dynamic batching,
    waiting at most --max-wait-us for a fuller batch); fixed-batch models (the onnx wheel's ResNet-50) run 1;
  * the same response: the argmax class as one little-endian int32 per sample, the float32 scores, or, for the
    detection and speech benchmarks, the post-processing of their PyTorch references (`decode` of
    train_object_detection.py, `greedy_decode` of train_speech.py; numpy, per sample, as MLPerf's reference SUTs
    post-process in Python) packed in the Swift SUT's response layout;
  * the same LoadGen settings (durations, query counts, latency targets), trace off.

Any benchmark of the suite: with --samples MANIFEST the test set comes from the files `mlperf bench inference`
writes (the QSL's preprocessed bytes per input, exactly what the Swift SUT feeds ORT: float32 images, int64 user and
item ids, int64 token rows…), with the model contract's input names, and the contract's response (the argmax class
as a little-endian int32, or the sample's float32 scores).

Prints one JSON object per LoadGen run on stdout (and writes them all to --json): the fields LoadGen reports in
mlperf_log_detail.txt. With --find-peak START the Server target QPS is searched the same way `mlperf bench` searches
its own: double from START while VALID, then bisect until the bracket is within 5 % (at most --max-runs runs).
"""
import argparse
import array
import gzip
import json
import os
import queue
import struct
import sys
import threading
import time

import numpy as np
import onnxruntime as ort
import mlperf_loadgen as lg

SCENARIOS = {
    "singlestream": lg.TestScenario.SingleStream,
    "multistream": lg.TestScenario.MultiStream,
    "server": lg.TestScenario.Server,
    "offline": lg.TestScenario.Offline,
}


def fashion_mnist_images(directory):
    path = os.path.join(directory, "t10k-images-idx3-ubyte.gz")
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, count, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in range(0, 16, 4))
    if magic != 2051:
        sys.exit(f"{path}: not an IDX image file (magic {magic}, expected 2051)")
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=16, count=count * rows * cols)
    return (pixels.astype(np.float32) / 255.0).reshape(count, 1, rows, cols)


class Data:
    """The QSL's storage: samples are made ready in load (untimed) and read by index in the SUT."""

    def __init__(self, benchmark, sample_shape, total, synthetic=False):
        self.benchmark = benchmark
        self.sample_shape = sample_shape
        self.total = total
        self.source = None
        if benchmark == "fashion-mnist" and not synthetic:
            directory = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
            self.source = fashion_mnist_images(directory)
            self.total = len(self.source)
        self.loaded = np.zeros((self.total,) + tuple(sample_shape), dtype=np.float32)

    def load(self, indices):
        for i in indices:
            if self.source is not None:
                self.loaded[i] = self.source[i]
            else:
                rng = np.random.default_rng(i)
                self.loaded[i] = rng.uniform(-1.0, 1.0, size=self.sample_shape).astype(np.float32)

    def unload(self, indices):
        pass


class TensorData:
    """The QSL's storage from a manifest: {"count", "inputs": [{"name", "dtype", "sample_shape", "file"}],
    "response"}; each file holds `count` samples back to back. Read once; load and unload only touch indices."""

    def __init__(self, manifest):
        with open(manifest) as f:
            m = json.load(f)
        base = os.path.dirname(os.path.abspath(manifest))
        self.total = int(m["count"])
        self.response = m["response"]
        self.source = True
        self.inputs = {}
        for spec in m["inputs"]:
            shape = (self.total,) + tuple(int(d) for d in spec["sample_shape"])
            self.inputs[spec["name"]] = np.fromfile(os.path.join(base, spec["file"]), dtype=np.dtype(spec["dtype"])).reshape(shape)

    def load(self, indices):
        pass

    def unload(self, indices):
        pass

    def batch(self, indices):
        return {name: x[indices] for name, x in self.inputs.items()}


# The PyTorch references, whose post-processing the detection and speech responses use (imported on first use).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "references", "pytorch"))
CENTERNET = "postprocessed:centernet-"
CENTERNET_MAX = 100


def centernet_responses(maps, classes):
    """Each sample's detections by the PyTorch reference's `decode`, as int32 count + (x0, y0, x1, y1, score as
    float32, class as int32) per detection, zero-padded to 100 detections (the Swift SUT's layout)."""
    from train_object_detection import decode
    width = 4 + 24 * CENTERNET_MAX
    buf = bytearray(width * len(maps))
    for i, m in enumerate(maps):
        dets = decode(m, classes, np)
        struct.pack_into("<i", buf, i * width, len(dets))
        for k, d in enumerate(dets):
            struct.pack_into("<5fi", buf, i * width + 4 + 24 * k, *map(float, d[:5]), int(d[5]))
    return array.array("B", buf), width


CTC_GREEDY = "postprocessed:ctc-greedy"
CTC_MAX_WORDS = 32


def ctc_responses(log_probs):
    """Each sample's words by the PyTorch speech reference's `greedy_decode`, as int32 count + int32 word ids, zero-padded
    to 32 words (the Swift SUT's layout)."""
    from train_speech import greedy_decode
    width = 4 + 4 * CTC_MAX_WORDS
    buf = bytearray(width * len(log_probs))
    for i, lp in enumerate(log_probs):
        words = greedy_decode(lp, np)[:CTC_MAX_WORDS]
        struct.pack_into(f"<i{len(words)}i", buf, i * width, len(words), *words)
    return array.array("B", buf), width


class Model:
    def __init__(self, path, threads):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.output_name = self.session.get_outputs()[0].name
        self.fixed_batch = inp.shape[0] if isinstance(inp.shape[0], int) else None
        self.sample_shape = [int(d) for d in inp.shape[1:]]


class Runner:
    """Runs batches of (ids, indices) and completes them with one QuerySamplesComplete call."""

    def __init__(self, model, data, batch):
        self.model = model
        self.data = data
        self.batch = model.fixed_batch or batch
        self.batches = 0
        self.samples = 0
        self.lock = threading.Lock()

    def run(self, ids, indices):
        n = len(ids)
        if isinstance(self.data, TensorData):
            feeds = self.data.batch(indices)
        else:
            x = self.data.loaded[indices]
            if self.model.fixed_batch and n < self.model.fixed_batch:
                pad = np.zeros((self.model.fixed_batch - n,) + x.shape[1:], dtype=np.float32)
                x = np.concatenate([x, pad])
            feeds = {self.model.input_name: x}
        scores = self.model.session.run([self.model.output_name], feeds)[0]
        flat = scores.reshape(scores.shape[0], -1)[:n]
        response = getattr(self.data, "response", "argmax_int32")
        if response.startswith(CENTERNET):
            values, width = centernet_responses(scores[:n], int(response[len(CENTERNET):]))
        elif response == CTC_GREEDY:
            values, width = ctc_responses(scores[:n])
        elif response == "float32_scores":
            values = array.array("f", flat.astype("<f4").ravel().tolist())
            width = 4 * flat.shape[1]
        else:
            values = array.array("i", flat.argmax(axis=1).astype("<i4").tolist())
            width = 4
        address, _ = values.buffer_info()
        responses = [lg.QuerySampleResponse(ids[i], address + width * i, width) for i in range(n)]
        lg.QuerySamplesComplete(responses)
        with self.lock:
            self.batches += 1
            self.samples += n


class InlineSUT:
    """SingleStream / MultiStream: run in issue_queries, on LoadGen's thread."""

    def __init__(self, runner):
        self.runner = runner

    def issue_queries(self, samples):
        ids = [s.id for s in samples]
        indices = [s.index for s in samples]
        b = self.runner.batch
        for start in range(0, len(ids), b):
            self.runner.run(ids[start:start + b], indices[start:start + b])

    def flush_queries(self):
        pass

    def stop(self):
        pass


class QueueSUT:
    """Offline / Server: issue_queries enqueues samples; workers take up to `batch` at once and run them."""

    def __init__(self, runner, workers, max_wait_us):
        self.runner = runner
        self.queue = queue.Queue()
        self.max_wait = max_wait_us / 1e6
        self.flushing = False
        self.threads = [threading.Thread(target=self.work, daemon=True) for _ in range(workers)]
        for t in self.threads:
            t.start()

    def issue_queries(self, samples):
        self.flushing = False
        put = self.queue.put
        for s in samples:
            put((s.id, s.index, time.monotonic()))

    def flush_queries(self):
        self.flushing = True

    def work(self):
        b = self.runner.batch
        while True:
            item = self.queue.get()
            if item is None:
                return
            ids = [item[0]]
            indices = [item[1]]
            deadline = item[2] + self.max_wait
            stop = False
            while len(ids) < b:
                try:
                    if self.max_wait > 0 and not self.flushing:
                        remaining = deadline - time.monotonic()
                        nxt = self.queue.get(timeout=remaining) if remaining > 0 else self.queue.get_nowait()
                    else:
                        nxt = self.queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                ids.append(nxt[0])
                indices.append(nxt[1])
            self.runner.run(ids, indices)
            if stop:
                return

    def stop(self):
        for _ in self.threads:
            self.queue.put(None)
        for t in self.threads:
            t.join()


def read_detail(path):
    result = {}
    with open(path) as f:
        for line in f:
            if not line.startswith(":::MLLOG"):
                continue
            record = json.loads(line[len(":::MLLOG"):])
            key = record.get("key", "")
            if key.startswith("result_") or key in ("early_stopping_result",):
                result[key] = record.get("value")
    return result


def run_once(args, model, data, scenario, target_qps, out_dir):
    settings = lg.TestSettings()
    settings.scenario = SCENARIOS[scenario.lower()]
    settings.mode = lg.TestMode.PerformanceOnly
    settings.min_duration_ms = args.duration_ms
    settings.min_query_count = args.min_query_count
    if args.max_duration_ms:
        settings.max_duration_ms = args.max_duration_ms
    if args.expected_latency_ns:
        settings.single_stream_expected_latency_ns = args.expected_latency_ns
        settings.multi_stream_expected_latency_ns = args.expected_latency_ns
    settings.multi_stream_samples_per_query = args.samples_per_query
    if args.expected_qps:
        settings.offline_expected_qps = args.expected_qps
    if target_qps:
        settings.server_target_qps = target_qps
        if args.server_min_queries_factor > 0:
            # Same on both sides (see mlperf bench inference): enough queries to span the minimum duration.
            settings.min_query_count = max(args.min_query_count,
                                           int(target_qps * args.duration_ms / 1000 * args.server_min_queries_factor))
    if args.target_latency_ns:
        settings.server_target_latency_ns = args.target_latency_ns
    settings.performance_sample_count_override = args.performance_samples

    runner = Runner(model, data, args.batch)
    if scenario.lower() in ("singlestream", "multistream"):
        sut_impl = InlineSUT(runner)
    else:
        sut_impl = QueueSUT(runner, args.workers, args.max_wait_us)
    sut = lg.ConstructSUT(sut_impl.issue_queries, sut_impl.flush_queries)
    qsl = lg.ConstructQSL(data.total, args.performance_samples, data.load, data.unload)
    os.makedirs(out_dir, exist_ok=True)
    log_output = lg.LogOutputSettings()
    log_output.outdir = out_dir
    log_output.copy_summary_to_stdout = False
    log_settings = lg.LogSettings()
    log_settings.log_output = log_output
    log_settings.enable_trace = False
    started = time.monotonic()
    lg.StartTestWithLogSettings(sut, qsl, settings, log_settings)
    wall = time.monotonic() - started
    sut_impl.stop()
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    result = read_detail(os.path.join(out_dir, "mlperf_log_detail.txt"))
    result.update({
        "implementation": "python-reference",
        "scenario": scenario,
        "target_qps": target_qps,
        "valid": result.get("result_validity") == "VALID",
        "latency_ok": bool(result.get("result_perf_constraints_met")),
        "batches": runner.batches,
        "samples": runner.samples,
        "wall_seconds": wall,
        "log_directory": out_dir,
    })
    return result


def find_peak(run, start, max_runs, tolerance=0.05, confirm_invalid=True):
    """Double from `start` while VALID, then bisect the bracket to within `tolerance` (same as mlperf bench); an
    INVALID probe is run once more at the same QPS before it is believed."""
    lo, hi = 0.0, None
    q = start
    runs = []
    while len(runs) < max_runs:
        valid = run(q)
        runs.append((q, valid))
        if not valid and confirm_invalid and len(runs) < max_runs:
            valid = run(q)
            runs.append((q, valid))
        if valid:
            lo = q
        else:
            hi = q
        if hi is None:
            q = q * 2
        else:
            if hi - lo <= tolerance * hi:
                break
            q = (lo + hi) / 2 if lo > 0 else hi / 2
    return lo, runs


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--benchmark", required=True, help="fashion-mnist or resnet50-perf without --samples; any with it")
    p.add_argument("--samples", default="", help="the test set as tensors: a manifest written by mlperf bench inference")
    p.add_argument("--model", required=True)
    p.add_argument("--scenario", required=True, help="SingleStream, MultiStream, Server or Offline")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=1, help="ORT intra-op threads")
    p.add_argument("--max-wait-us", type=int, default=0)
    p.add_argument("--duration-ms", type=int, default=10000)
    p.add_argument("--max-duration-ms", type=int, default=0)
    p.add_argument("--min-query-count", type=int, default=100)
    p.add_argument("--expected-qps", type=float, default=0)
    p.add_argument("--expected-latency-ns", type=int, default=0)
    p.add_argument("--samples-per-query", type=int, default=8)
    p.add_argument("--target-qps", type=float, default=0)
    p.add_argument("--target-latency-ns", type=int, default=0)
    p.add_argument("--server-min-queries-factor", type=float, default=0,
                   help="Server: min_query_count >= target_qps x duration x this factor")
    p.add_argument("--find-peak", type=float, default=0, help="search Server QPS from this start")
    p.add_argument("--max-runs", type=int, default=8)
    p.add_argument("--peak-criterion", choices=["valid", "latency"], default="valid",
                   help="valid: LoadGen's verdict; latency: p99 within the bound (LoadGen's perf constraint only)")
    p.add_argument("--total-samples", type=int, default=1024, help="synthetic data only")
    p.add_argument("--synthetic", action="store_true", help="fashion-mnist: uniform [-1,1) inputs instead of the images")
    p.add_argument("--performance-samples", type=int, default=0)
    p.add_argument("--out", default="bench-reference-logs")
    p.add_argument("--json", default="")
    args = p.parse_args()

    if args.scenario.lower() not in SCENARIOS:
        sys.exit(f"unknown scenario {args.scenario!r}: use SingleStream, MultiStream, Server or Offline")
    if not os.path.isfile(args.model):
        sys.exit(f"model file {args.model} does not exist")
    model = Model(args.model, args.threads)
    if args.samples:
        data = TensorData(args.samples)
    elif args.benchmark in ("fashion-mnist", "resnet50-perf"):
        data = Data(args.benchmark, model.sample_shape, args.total_samples, args.synthetic)
    else:
        sys.exit(f"--benchmark {args.benchmark} needs --samples MANIFEST (written by mlperf bench inference)")
    if args.performance_samples <= 0:
        args.performance_samples = data.total if data.source is not None else min(128, data.total)

    results = []

    def emit(result):
        results.append(result)
        print(json.dumps(result), flush=True)

    if args.find_peak > 0:
        def trial(q):
            r = run_once(args, model, data, "Server", q, os.path.join(args.out, f"Server-qps-{q:.3f}"))
            emit(r)
            return r["latency_ok"] if args.peak_criterion == "latency" else r["valid"]
        peak, runs = find_peak(trial, args.find_peak, args.max_runs)
        emit({"implementation": "python-reference", "scenario": "Server", "peak_valid_qps": peak,
              "search": [{"target_qps": q, "valid": v} for q, v in runs]})
    else:
        emit(run_once(args, model, data, args.scenario, args.target_qps, os.path.join(args.out, args.scenario)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
