#!/usr/bin/env python3
"""Checks our LoadGen logs with the official MLCommons submission checker, side by side with the official LoadGen's.

Usage: checker_tree.py OURS_MLPERF_BINARY WORKDIR

Runs resnet50 (closed division, edge system) in SingleStream, MultiStream and Offline, four runs each (performance,
accuracy, TEST01, TEST04), once with our binary (`mlperf loadgen --sut ...`) and once with the official LoadGen (the
mlcommons-loadgen wheel), all with the same user.conf and equivalent SUTs (see USER_CONF/SUTS below: a fixed service
time for the timed runs, a null SUT, which completes every sample at once with an empty response, for the accuracy
runs). Each set of logs is arranged into a v6.1 submission tree for one submitter and one system:
systems/<system>.json, results/<system>/resnet50/<Scenario>/{performance/run_1, accuracy, TEST01, TEST04,
measurements.json, user.conf, mlperf.conf, README.md}, src/resnet50/, documentation/calibration.md. The compliance
folders are made by the official run_verification.py scripts (when a score falls outside their tolerance, the
scenario's performance and compliance runs are made again, up to ATTEMPTS times); accuracy.txt gets a fixed result line (no model runs, so both trees
get the same line), and the official truncate_accuracy_log.py adds its hash lines and truncates the accuracy logs,
as a submitter would.

Then both checkers are run on both trees (from tools/submission/ of the oracle checkout):
    python3 -m submission_checker.main --input TREE --version v6.1 --submitter SUBMITTER
    python3 submission_checker_old.py --input TREE --version v6.1 --submitter SUBMITTER
Their ERROR lines (and the last line of any traceback) are normalized (tree path, submitter, system and numbers
replaced) and compared. Prints one JSON object:
    {"failed_runs": {...}, "attempts": {...}, "verification_differences": {...},
     "new": {"ours_only": [...], "official_only": [...], "both": [...], "timing_noise": {"ours": [...],
             "official": [...]}, "exit": {"ours": rc, "official": rc}},
     "old": {...}, "workdir": WORKDIR, "seconds": total}
"both" holds what neither tree can avoid (e.g. runs shorter than 600 s); "ours_only" are defects of our logs.
"timing_noise" holds the checker's "Compliance test performance check ... failed" lines for tests whose last
verify_performance.txt failed only because the score was outside the tolerance (noise of a shared machine, still
there after ATTEMPTS tries); they are left out of the comparison.

The oracle checkout is found at ../shared/oracles/mlcommons-inference from the project root, or at $MLPERF_ORACLES.
Run with the project's Python (.venv/bin/python3: it has mlcommons-loadgen 6.0.17 and numpy).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time

MODEL = "resnet50"
SCENARIOS = ["SingleStream", "MultiStream", "Offline"]
SUBMITTER = "SwiftMLPerf"
SYSTEM = "NoModel_CPU"
TOTAL_SAMPLES = 50000       # the resnet50 dataset size: the checker wants the accuracy run to cover all of it
PERF_SAMPLES = 1024         # the checker's performance-sample-count for resnet
# Short runs (any run configured below 600 s is an error on both sides anyway). The performance and compliance
# runs use a SUT with a fixed service time (ours: sleep:<µs>x<workers>; official: the same service time, slept in
# the issue callback), because TEST01/TEST04's verification compares the test run's score with the performance
# run's within 10-20 %: with a null SUT, latencies of a few hundred ns (ours) or µs (Python) are swamped by
# TEST01's accuracy-logging overhead, and TEST01 fails on both sides for no reason related to the logs. The
# accuracy runs (50000 samples) use a null SUT: their timing is never judged. MultiStream's score is a 99th
# percentile: 4096 queries keep it steadier than 1024. Offline keeps mlperf.conf's 24576 samples per query (the checker's minimum).
USER_CONF = """\
resnet50.SingleStream.min_duration = 200
resnet50.SingleStream.min_query_count = 1024
resnet50.MultiStream.min_duration = 200
resnet50.MultiStream.min_query_count = 4096
resnet50.Offline.min_duration = 200
"""
SUTS = {"SingleStream": (300, 1), "MultiStream": (300, 8), "Offline": (300, 8)}   # (service µs, workers)
ATTEMPTS = 3
ACCURACY_LINE = "accuracy=76.456%, good=38228, total=50000\n"   # the form vision/classification's accuracy-imagenet.py prints
LOG_FILES = ["mlperf_log_summary.txt", "mlperf_log_detail.txt", "mlperf_log_accuracy.json"]

SYSTEM_JSON = {
    "division": "closed",
    "submitter": SUBMITTER,
    "status": "available",
    "system_name": "Null SUT on a CPU host",
    "system_type": "edge",
    "system_type_detail": "N/A",
    "number_of_nodes": 1,
    "host_processor_model_name": "Generic x86_64 CPU",
    "host_processors_per_node": 1,
    "host_processor_core_count": 2,
    "host_processor_frequency": "N/A",
    "host_processor_caches": "N/A",
    "host_processor_interconnect": "N/A",
    "host_memory_capacity": "8 GB",
    "host_memory_configuration": "N/A",
    "host_storage_capacity": "64 GB",
    "host_storage_type": "SSD",
    "host_networking": "N/A",
    "host_networking_topology": "N/A",
    "host_network_card_count": "N/A",
    "accelerators_per_node": 1,
    "accelerator_model_name": "None (no model runs)",
    "accelerator_frequency": "N/A",
    "accelerator_host_interconnect": "N/A",
    "accelerator_interconnect": "N/A",
    "accelerator_interconnect_topology": "N/A",
    "accelerator_memory_capacity": "N/A",
    "accelerator_memory_configuration": "N/A",
    "accelerator_on-chip_memories": "N/A",
    "cooling": "air",
    "framework": "LoadGen only",
    "operating_system": "Linux",
    "other_software_stack": "none",
    "hw_notes": "",
    "sw_notes": "",
}
MEASUREMENTS_JSON = {
    "input_data_types": "fp32",
    "retraining": "No",
    "starting_weights_filename": "resnet50_v1.onnx",
    "weight_data_types": "fp32",
    "weight_transformations": "none",
}


# --------------------------------------------------------------------------------------------------------------
# One official LoadGen run (in a child process: LoadGen reads audit.config from the working directory).

def official_run(conf, scenario, mode, outdir, service_us, workers):
    """A SUT like our sleep:<µs>x<workers> (null when service_us is 0): each query's samples are served in chunks
    of `workers`, each chunk completing after service_us, inline in the issue callback."""
    import mlperf_loadgen as lg
    service, workers = int(service_us) * 1e-6, int(workers)

    def issue(qs):
        if service == 0:
            lg.QuerySamplesComplete([lg.QuerySampleResponse(q.id, 0, 0) for q in qs])
            return
        for i in range(0, len(qs), workers):
            time.sleep(service)
            lg.QuerySamplesComplete([lg.QuerySampleResponse(q.id, 0, 0) for q in qs[i:i + workers]])

    os.chdir(outdir)
    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(TOTAL_SAMPLES, PERF_SAMPLES, lambda idx: None, lambda idx: None)
    ts = lg.TestSettings()
    ts.scenario = getattr(lg.TestScenario, scenario)
    ts.mode = getattr(lg.TestMode, mode)
    rc = ts.FromConfig(conf, MODEL, scenario)
    if rc != 0:
        sys.exit("FromConfig failed: %d" % rc)
    ls = lg.LogSettings()
    ls.log_output.outdir = outdir
    lg.StartTestWithLogSettings(sut, qsl, ts, ls)
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)


# --------------------------------------------------------------------------------------------------------------

def run(cmd, cwd=None, log=None):
    env = dict(os.environ, PYTHONHASHSEED="0")   # the checkers print Python sets: keep their order stable
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    if log:
        with open(log, "w") as f:
            f.write(p.stdout)
    return p.returncode, p.stdout


class Side:
    """Runs one LoadGen (ours or the official one) and arranges its logs into a submission tree."""

    def __init__(self, name, binary, work, oracle):
        self.name, self.binary, self.oracle = name, binary, oracle
        self.rundir = os.path.join(work, "runs", name)
        os.makedirs(self.rundir)
        self.conf = os.path.join(self.rundir, "user.conf")
        with open(self.conf, "w") as f:
            f.write(USER_CONF)
        self.failed_runs = {}
        self.attempts = {}
        self.verification = {}
        self.noisy = set()   # scenario/test whose final verification failed only on the score tolerance

    def loadgen(self, scenario, kind, out):
        os.makedirs(out)
        audit = {"TEST01": os.path.join(self.oracle, "compliance", "TEST01", MODEL, "audit.config"),
                 "TEST04": os.path.join(self.oracle, "compliance", "TEST04", "audit.config")}.get(kind)
        if audit:
            shutil.copy(audit, os.path.join(out, "audit.config"))
        mode = "AccuracyOnly" if kind == "accuracy" else "PerformanceOnly"
        service_us, workers = SUTS[scenario] if kind != "accuracy" else (0, 1)
        if self.name == "ours":
            sut = "sleep:%dx%d" % (service_us, workers) if service_us else "null"
            cmd = [self.binary, "loadgen", "--sut", sut, "--model", MODEL, "--scenario", scenario,
                   "--conf", self.conf, "--total-sample-count", str(TOTAL_SAMPLES),
                   "--performance-sample-count", str(PERF_SAMPLES), "--out", out]
            if kind == "accuracy":
                cmd += ["--mode", mode]
        else:
            cmd = [sys.executable, os.path.abspath(__file__), "--official-run", self.conf, scenario, mode, out,
                   str(service_us), str(workers)]
        rc, _ = run(cmd, cwd=out, log=os.path.join(out, "stdout.txt"))
        if rc != 0:
            self.failed_runs["%s/%s" % (scenario, os.path.basename(out))] = rc

    def build_tree(self, raw):
        """Runs everything and arranges the logs into an (untruncated) submission tree at raw."""
        root = os.path.join(raw, "closed", SUBMITTER)
        os.makedirs(os.path.join(root, "systems"))
        with open(os.path.join(root, "systems", SYSTEM + ".json"), "w") as f:
            json.dump(SYSTEM_JSON, f, indent=4)
        os.makedirs(os.path.join(root, "src", MODEL))
        with open(os.path.join(root, "src", MODEL, "README.md"), "w") as f:
            f.write("# resnet50 without a model\n\nLoadGen only: the SUT runs no model and answers every sample with no data.\n")
        os.makedirs(os.path.join(root, "documentation"))
        with open(os.path.join(root, "documentation", "calibration.md"), "w") as f:
            f.write("# Calibration\n\nNo calibration: the SUT runs no model.\n")
        for scenario in SCENARIOS:
            src = os.path.join(self.rundir, scenario)
            self.loadgen(scenario, "accuracy", os.path.join(src, "accuracy"))
            sdir = os.path.join(root, "results", SYSTEM, MODEL, scenario)
            acc = os.path.join(sdir, "accuracy")
            os.makedirs(acc)
            for name in LOG_FILES:
                if os.path.exists(os.path.join(src, "accuracy", name)):
                    shutil.copy(os.path.join(src, "accuracy", name), acc)
            with open(os.path.join(acc, "accuracy.txt"), "w") as f:
                f.write(ACCURACY_LINE)
            with open(os.path.join(sdir, "measurements.json"), "w") as f:
                json.dump(MEASUREMENTS_JSON, f, indent=4)
            shutil.copy(self.conf, os.path.join(sdir, "user.conf"))
            shutil.copy(os.path.join(self.oracle, "mlperf.conf"), os.path.join(sdir, "mlperf.conf"))
            with open(os.path.join(sdir, "README.md"), "w") as f:
                f.write("# resnet50 %s\n\nRun with LoadGen and a SUT that runs no model.\n" % scenario)
            # The performance run and the compliance runs, verified by the official run_verification.py scripts
            # (they write verify_*.txt into their working directory and build sdir/TESTxx from the test run's logs).
            # A score outside the verification's tolerance is timing noise on a shared machine (in the test run or
            # in the performance run it is compared with): the three runs are made again, as a submitter would, up
            # to ATTEMPTS times.
            for attempt in range(1, ATTEMPTS + 1):
                perf_run = os.path.join(src, "performance_%d" % attempt)
                self.loadgen(scenario, "performance", perf_run)
                perf = os.path.join(sdir, "performance", "run_1")
                shutil.rmtree(perf, ignore_errors=True)
                os.makedirs(perf)
                for name in LOG_FILES[:2]:
                    if os.path.exists(os.path.join(perf_run, name)):
                        shutil.copy(os.path.join(perf_run, name), perf)
                passed = True
                for test in ["TEST01", "TEST04"]:
                    passed &= self.compliance(scenario, test, sdir, attempt)
                if passed:
                    break
            if attempt > 1:
                self.attempts[scenario] = attempt
            # TEST01's accuracy.txt starts empty; truncate_accuracy_log.py appends the hash of its log.
            open(os.path.join(sdir, "TEST01", "accuracy", "accuracy.txt"), "w").close()

    def compliance(self, scenario, test, sdir, attempt):
        base = os.path.join(self.rundir, scenario, "%s_%d" % (test, attempt))
        self.loadgen(scenario, test, base)
        work = base + "_verify"
        os.makedirs(work)
        shutil.rmtree(os.path.join(sdir, test), ignore_errors=True)
        _, out = run([sys.executable, os.path.join(self.oracle, "compliance", test, "run_verification.py"),
                      "-r", sdir, "-c", base, "-o", sdir], cwd=work, log=os.path.join(work, "output.txt"))
        self.verification["%s/%s" % (scenario, test)] = [l.strip() for l in out.splitlines() if "check pass" in l]
        with open(os.path.join(work, "verify_performance.txt")) as f:
            performance = f.read()
        key = "%s/%s" % (scenario, test)
        self.noisy.discard(key)
        if "TEST FAIL: Test score invalid" in performance:
            self.noisy.add(key)
        return "TEST PASS" in performance


ERROR_RE = re.compile(r"(?:\bERROR\]|^ERROR:[\w.]+:)\s?(.*)$")


def normalize(line, tree):
    line = line.replace(tree + "/", "").replace(tree, "TREE")
    line = line.replace(SUBMITTER, "<submitter>").replace(SYSTEM, "<system>")
    line = re.sub(r"\b[0-9a-f]{64}\b", "<hash>", line)
    line = re.sub(r"\{('[^{}']*'(?:, '[^{}']*')*)\}", lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", line)
    line = re.sub(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])", "N", line)
    return line.strip()


def errors_of(output, tree):
    errs = []
    lines = output.splitlines()
    for i, line in enumerate(lines):
        m = ERROR_RE.search(line)
        if m:
            errs.append(normalize(m.group(1), tree))
        elif line.startswith("Traceback"):
            # report the exception line that ends the traceback
            for j in range(i + 1, len(lines)):
                if lines[j] and not lines[j].startswith((" ", "\t")):
                    errs.append("EXCEPTION: " + normalize(lines[j], tree))
                    break
    return errs


TIMING_RE = re.compile(r"Compliance test performance check in .*/(\w+)/(TEST\d+) failed$")


def split_timing(errors, noisy):
    """Moves out the checker's "Compliance test performance check ... failed" lines of the tests whose
    verify_performance.txt failed only on the score tolerance (timing noise, not the logs)."""
    kept, timing = [], []
    for e in errors:
        m = TIMING_RE.search(e)
        (timing if m and "%s/%s" % m.groups() in noisy else kept).append(e)
    return kept, sorted(set(timing))


def compare(ours, official):
    o, f = set(ours), set(official)
    return {"ours_only": sorted(o - f), "official_only": sorted(f - o), "both": sorted(o & f)}


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--official-run":
        official_run(*sys.argv[2:8])
        return 0
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    start = time.time()
    binary = os.path.abspath(sys.argv[1])
    work = os.path.abspath(sys.argv[2])
    here = os.path.dirname(os.path.abspath(__file__))
    project = os.path.abspath(os.path.join(here, "..", "..", ".."))
    oracle = os.environ.get("MLPERF_ORACLES") or os.path.join(project, "..", "shared", "oracles",
                                                               "mlcommons-inference")
    oracle = os.path.abspath(oracle)
    submission_tools = os.path.join(oracle, "tools", "submission")
    if not os.path.isdir(submission_tools):
        sys.exit("oracle checkout not found at %s (set MLPERF_ORACLES)" % oracle)
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)

    result = {}
    outputs = {}
    sides = {}
    for name in ["ours", "official"]:
        side = sides[name] = Side(name, binary, work, oracle)
        raw = os.path.join(work, "raw", name)
        side.build_tree(raw)
        tree = os.path.join(work, "tree", name)
        run([sys.executable, os.path.join(submission_tools, "truncate_accuracy_log.py"), "--input", raw,
             "--submitter", SUBMITTER, "--output", tree], cwd=work, log=os.path.join(work, "truncate_%s.txt" % name))
        for checker, cmd in [
            ("new", [sys.executable, "-m", "submission_checker.main"]),
            ("old", [sys.executable, "submission_checker_old.py"]),
        ]:
            csv = os.path.join(work, "summary_%s_%s.csv" % (checker, name))
            rc, out = run(cmd + ["--input", tree, "--version", "v6.1", "--submitter", SUBMITTER, "--csv", csv],
                          cwd=submission_tools, log=os.path.join(work, "checker_%s_%s.txt" % (checker, name)))
            outputs[(checker, name)] = (rc, errors_of(out, tree))

    result["failed_runs"] = {n: s.failed_runs for n, s in sides.items() if s.failed_runs}
    result["attempts"] = {n: s.attempts for n, s in sides.items()}
    ver = {n: s.verification for n, s in sides.items()}
    # Only keep the verification lines where the two sides differ.
    diff = {k: {"ours": ver["ours"].get(k), "official": ver["official"].get(k)}
            for k in sorted(set(ver["ours"]) | set(ver["official"])) if ver["ours"].get(k) != ver["official"].get(k)}
    result["verification_differences"] = diff
    for checker in ["new", "old"]:
        ours, ours_timing = split_timing(outputs[(checker, "ours")][1], sides["ours"].noisy)
        official, official_timing = split_timing(outputs[(checker, "official")][1], sides["official"].noisy)
        c = compare(ours, official)
        c["timing_noise"] = {"ours": ours_timing, "official": official_timing}
        c["exit"] = {"ours": outputs[(checker, "ours")][0], "official": outputs[(checker, "official")][0]}
        result[checker] = c
    result["workdir"] = work
    result["seconds"] = round(time.time() - start, 1)
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
