#!/usr/bin/env python3
"""Runs the official LoadGen (PyPI mlcommons-loadgen) once with a null SUT and prints what it did, as JSON.

Usage: official_probe.py CONF|- MODEL SCENARIO MODE TOTAL PERF OUTDIR [AUDIT_CONFIG]
CONF is applied with TestSettings.FromConfig(CONF, MODEL, SCENARIO) (its return code is "from_config"); MODE is
the TestMode name; AUDIT_CONFIG, when given, is copied to OUTDIR/audit.config and the test runs there (LoadGen reads
audit.config from the working directory). Prints {"from_config": rc, "detail": {key: first value}, "summary": text
of the summary file, "records": [[key, value, is_error, is_warning, JSON type, event type], ...] in log order, "accuracy": sorted
[seq_id, qsl_idx, data] of mlperf_log_accuracy.json}.
"""
import json, os, shutil, sys
import mlperf_loadgen as lg

conf, model, scenario, mode, total, perf, out = sys.argv[1:8]
os.makedirs(out, exist_ok=True)
out = os.path.abspath(out)
if conf != "-":
    conf = os.path.abspath(conf)
if len(sys.argv) > 8:
    shutil.copy(sys.argv[8], os.path.join(out, "audit.config"))
    os.chdir(out)
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
records = []
for line in open(os.path.join(out, "mlperf_log_detail.txt")):
    if line.startswith(":::MLLOG "):
        j = json.loads(line[len(":::MLLOG "):])
        detail.setdefault(j["key"], j["value"])
        kind = {bool: "bool", int: "int", float: "float", str: "string", list: "array", dict: "object"}.get(type(j["value"]), "null")
        records.append([j["key"], j["value"], j["metadata"].get("is_error"), j["metadata"].get("is_warning"), kind,
                        j["event_type"]])
summary = open(os.path.join(out, "mlperf_log_summary.txt")).read()
accuracy = sorted([e["seq_id"], e["qsl_idx"], e["data"]] for e in json.load(open(os.path.join(out, "mlperf_log_accuracy.json"))))
json.dump({"from_config": rc, "detail": detail, "summary": summary, "records": records, "accuracy": accuracy}, sys.stdout)
