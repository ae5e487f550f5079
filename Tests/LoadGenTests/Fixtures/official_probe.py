#!/usr/bin/env python3
"""Runs the official LoadGen (PyPI mlcommons-loadgen) once with a null SUT and prints what it did, as JSON.

Usage: official_probe.py CONF|- MODEL SCENARIO MODE TOTAL PERF OUTDIR
CONF is applied with TestSettings.FromConfig(CONF, MODEL, SCENARIO) (its return code is "from_config"); MODE is
the TestMode name. Prints {"from_config": rc, "detail": {key: first value}, "summary": text of the summary file}.
"""
import json, os, sys
import mlperf_loadgen as lg

conf, model, scenario, mode, total, perf, out = sys.argv[1:8]
os.makedirs(out, exist_ok=True)
sut = lg.ConstructSUT(lambda s: lg.QuerySamplesComplete([lg.QuerySampleResponse(x.id, 0, 0) for x in s]),
                      lambda: None)
qsl = lg.ConstructQSL(int(total), int(perf), lambda i: None, lambda i: None)
ts = lg.TestSettings()
ts.scenario = getattr(lg.TestScenario, scenario)
ts.mode = getattr(lg.TestMode, mode)
rc = ts.FromConfig(conf, model, scenario) if conf != "-" else None
ls = lg.LogSettings()
ls.log_output.outdir = out
ls.enable_trace = False
lg.StartTestWithLogSettings(sut, qsl, ts, ls)
detail = {}
for line in open(os.path.join(out, "mlperf_log_detail.txt")):
    if line.startswith(":::MLLOG "):
        j = json.loads(line[len(":::MLLOG "):])
        detail.setdefault(j["key"], j["value"])
summary = open(os.path.join(out, "mlperf_log_summary.txt")).read()
json.dump({"from_config": rc, "detail": detail, "summary": summary}, sys.stdout)
