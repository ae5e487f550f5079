#!/usr/bin/env python3
"""Runs the official LoadGen (PyPI mlcommons-loadgen) with an LLM-like SUT and prints what it decided, as JSON.

The SUT behaves like SwiftMLPerf's `llm:` built-in SUT: each sample waits FIRST_US, reports its first token
(FirstTokenComplete), waits PER_US per further token and completes with TOKENS tokens, served by WORKERS threads.
Usage: official_token_probe.py SCENARIO TARGET_QPS TTFT_NS TPOT_NS MIN_QUERIES FIRST_US PER_US TOKENS WORKERS OUTDIR
Prints {"detail": {key: first value}, "summary": text}.
"""
import json, os, queue, sys, threading, time
import mlperf_loadgen as lg

(scenario, qps, ttft, tpot, min_queries, first_us, per_us, tokens, workers, out) = sys.argv[1:11]
first_s, per_s, tokens, workers = int(first_us) / 1e6, int(per_us) / 1e6, int(tokens), int(workers)
os.makedirs(out, exist_ok=True)
work = queue.Queue()


def serve():
    while True:
        s = work.get()
        if s is None:
            return
        time.sleep(first_s)
        lg.FirstTokenComplete([lg.QuerySampleResponse(s.id, 0, 0)])
        time.sleep(per_s * (tokens - 1))
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0, tokens)])


threads = [threading.Thread(target=serve, daemon=True) for _ in range(workers)]
for t in threads:
    t.start()
sut = lg.ConstructSUT(lambda samples: [work.put(s) for s in samples], lambda: None)
qsl = lg.ConstructQSL(64, 64, lambda i: None, lambda i: None)
ts = lg.TestSettings()
ts.scenario = getattr(lg.TestScenario, scenario)
ts.mode = lg.TestMode.PerformanceOnly
ts.use_token_latencies = True
ts.ttft_latency = int(ttft)
ts.tpot_latency = int(tpot)
ts.server_target_qps = float(qps)
ts.min_duration_ms = 0
ts.min_query_count = int(min_queries)
ls = lg.LogSettings()
ls.log_output.outdir = out
ls.enable_trace = False
lg.StartTestWithLogSettings(sut, qsl, ts, ls)
for _ in threads:
    work.put(None)
detail = {}
for line in open(os.path.join(out, "mlperf_log_detail.txt")):
    if line.startswith(":::MLLOG "):
        j = json.loads(line[len(":::MLLOG "):])
        detail.setdefault(j["key"], j["value"])
json.dump({"detail": detail, "summary": open(os.path.join(out, "mlperf_log_summary.txt")).read()}, sys.stdout)
