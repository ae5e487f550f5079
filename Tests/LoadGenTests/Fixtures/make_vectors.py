#!/usr/bin/env python3
"""Generates LoadGen test vectors from the official LoadGen (PyPI mlcommons-loadgen) with a null SUT.

For each configuration it records what the official LoadGen logged: the loadable set, the generated query count,
samples per query and schedule duration, and every issued sample as (seq_id, qsl_idx) — all responses are logged
(accuracy_log_probability = 1 in performance mode, or accuracy mode). Usage: make_vectors.py > vectors.json
"""
import json, os, sys, tempfile
import mlperf_loadgen as lg

SEEDS = dict(qsl_rng_seed=2085463073848966840, sample_index_rng_seed=2747215439041700203,
             schedule_rng_seed=16159082839903944936)

CONFIGS = [
    dict(name="server_reference", scenario="Server", mode="PerformanceOnly", total=2000, perf=1000,
         settings=dict(server_target_qps=1000.0, min_duration_ms=0, min_query_count=300, accuracy_log_probability=1.0)),
    dict(name="server_1s", scenario="Server", mode="PerformanceOnly", total=1024, perf=512,
         settings=dict(server_target_qps=2000.0, min_duration_ms=1000, min_query_count=100, accuracy_log_probability=1.0)),
    dict(name="server_equal_issue", scenario="Server", mode="PerformanceOnly", total=1000, perf=300,
         settings=dict(server_target_qps=5000.0, min_duration_ms=0, min_query_count=700, sample_concatenate_permutation=True,
                       accuracy_log_probability=1.0)),
    dict(name="singlestream", scenario="SingleStream", mode="PerformanceOnly", total=1000, perf=500,
         settings=dict(min_duration_ms=0, min_query_count=500, accuracy_log_probability=1.0)),
    dict(name="singlestream_unique", scenario="SingleStream", mode="PerformanceOnly", total=1000, perf=400,
         settings=dict(min_duration_ms=0, min_query_count=100, performance_issue_unique=True, accuracy_log_probability=1.0)),
    dict(name="singlestream_same", scenario="SingleStream", mode="PerformanceOnly", total=1000, perf=400,
         settings=dict(min_duration_ms=0, min_query_count=50, performance_issue_same=True, performance_issue_same_index=3,
                       accuracy_log_probability=1.0)),
    dict(name="multistream", scenario="MultiStream", mode="PerformanceOnly", total=1000, perf=100,
         settings=dict(min_duration_ms=0, min_query_count=120, multi_stream_samples_per_query=8, accuracy_log_probability=1.0)),
    dict(name="offline", scenario="Offline", mode="PerformanceOnly", total=1000, perf=256,
         settings=dict(min_duration_ms=0, min_query_count=3000, accuracy_log_probability=1.0)),
    dict(name="offline_equal_issue", scenario="Offline", mode="PerformanceOnly", total=1000, perf=256,
         settings=dict(min_duration_ms=0, min_query_count=600, sample_concatenate_permutation=True, accuracy_log_probability=1.0)),
    dict(name="accuracy_singlestream", scenario="SingleStream", mode="AccuracyOnly", total=2500, perf=1000,
         settings=dict(min_duration_ms=0, min_query_count=100)),
    dict(name="accuracy_multistream", scenario="MultiStream", mode="AccuracyOnly", total=300, perf=100,
         settings=dict(min_duration_ms=0, min_query_count=10, multi_stream_samples_per_query=4)),
    dict(name="accuracy_offline", scenario="Offline", mode="AccuracyOnly", total=700, perf=256,
         settings=dict(min_duration_ms=0, min_query_count=10)),
    dict(name="accuracy_server", scenario="Server", mode="AccuracyOnly", total=600, perf=256,
         settings=dict(server_target_qps=100000.0, min_duration_ms=0, min_query_count=10)),
    # Equal issue with performance_sample_count_override: SingleStream pads min_query_count to a multiple of the
    # QSL-reported count (1024), not the override (64); Server and Offline pad to the loaded set (the override).
    dict(name="singlestream_equal_issue_override", scenario="SingleStream", mode="PerformanceOnly", total=1024, perf=1024,
         settings=dict(min_duration_ms=1000, min_query_count=100, sample_concatenate_permutation=True,
                       performance_sample_count_override=64, single_stream_expected_latency_ns=10000000,
                       accuracy_log_probability=1.0)),
    dict(name="server_equal_issue_override", scenario="Server", mode="PerformanceOnly", total=1000, perf=300,
         settings=dict(server_target_qps=5000.0, min_duration_ms=0, min_query_count=200, sample_concatenate_permutation=True,
                       performance_sample_count_override=128, accuracy_log_probability=1.0)),
    dict(name="offline_equal_issue_override", scenario="Offline", mode="PerformanceOnly", total=1000, perf=256,
         settings=dict(min_duration_ms=0, min_query_count=600, sample_concatenate_permutation=True,
                       performance_sample_count_override=100, accuracy_log_probability=1.0)),
    dict(name="accuracy_offline_overrides", scenario="Offline", mode="AccuracyOnly", total=700, perf=256,
         settings=dict(min_duration_ms=0, min_query_count=10, accuracy_sample_count_override=300,
                       performance_sample_count_override=128)),
    dict(name="server_sampled_log", scenario="Server", mode="PerformanceOnly", total=1024, perf=1024,
         settings=dict(server_target_qps=20000.0, min_duration_ms=0, min_query_count=2000, accuracy_log_rng_seed=720381539243781796,
                       accuracy_log_sampling_target=300)),
]


def run(cfg):
    out = tempfile.mkdtemp(prefix="lgvec_")
    sut = lg.ConstructSUT(lambda s: lg.QuerySamplesComplete([lg.QuerySampleResponse(x.id, 0, 0) for x in s]), lambda: None)
    qsl = lg.ConstructQSL(cfg["total"], cfg["perf"], lambda i: None, lambda i: None)
    ts = lg.TestSettings()
    ts.scenario = getattr(lg.TestScenario, cfg["scenario"])
    ts.mode = getattr(lg.TestMode, cfg["mode"])
    for k, v in SEEDS.items():
        setattr(ts, k, v)
    for k, v in cfg["settings"].items():
        setattr(ts, k, v)
    ls = lg.LogSettings()
    ls.log_output.outdir = out
    ls.enable_trace = False
    lg.StartTestWithLogSettings(sut, qsl, ts, ls)
    lg.DestroySUT(sut)
    lg.DestroyQSL(qsl)
    detail = {}
    errors = []
    for line in open(os.path.join(out, "mlperf_log_detail.txt")):
        if line.startswith(":::MLLOG"):
            j = json.loads(line[len(":::MLLOG"):])
            detail.setdefault(j["key"], j["value"])
            if j.get("metadata", {}).get("is_error"):
                errors.append(j["value"])
    acc = json.load(open(os.path.join(out, "mlperf_log_accuracy.json")))
    samples = sorted((e["seq_id"], e["qsl_idx"]) for e in acc)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    os.rmdir(out)
    rec = dict(cfg)
    rec["expected"] = dict(
        loaded_qsl_set=detail.get("loaded_qsl_set"),
        generated_query_count=detail.get("generated_query_count"),
        generated_samples_per_query=detail.get("generated_samples_per_query"),
        generated_query_duration=detail.get("generated_query_duration"),
        effective_min_query_count=detail.get("effective_min_query_count"),
        effective_samples_per_query=detail.get("effective_samples_per_query"),
        result_query_count=detail.get("result_query_count"),
        samples=samples,
        errors=errors,
    )
    return rec


if __name__ == "__main__":
    vectors = dict(loadgen_version=lg.__dict__.get("__version__", "mlcommons-loadgen"), seeds=SEEDS,
                   configs=[run(c) for c in CONFIGS])
    json.dump(vectors, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")
