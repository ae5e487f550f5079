"""Dump the official inference submission checker's rule constants (facts, not code) as JSON.

Run once by a developer when the oracle's version changes:
    python3 scripts/dev/extract_inference_rules.py ../shared/oracles/mlcommons-inference > Sources/Submission/Rules/official_inference_rules.json
The output is data: seeds, accuracy targets and their patterns, sample counts, latency bounds, required scenarios
and the compliance-test lists, per checker version. Our checker (Sources/Submission) implements the rules itself.
"""
import json
import sys

root = sys.argv[1]
sys.path.insert(0, root + "/tools/submission")
import submission_checker_old as s  # noqa: E402

VERSIONS = ["v5.1", "v6.1"]
KEYS = ["models", "required-scenarios-datacenter", "optional-scenarios-datacenter", "required-scenarios-edge",
        "optional-scenarios-edge", "required-scenarios-datacenter-edge", "optional-scenarios-datacenter-edge",
        "accuracy-target", "accuracy-upper-limit", "accuracy-delta-perc", "performance-sample-count",
        "latency-constraint", "min-queries", "model_mapping", "seeds"]


def pairs(flat):
    return [{"metric": flat[i], "value": flat[i + 1]} for i in range(0, len(flat), 2)]


# The compliance tests each model needs (check_compliance_dir's lists, which do not depend on the version).
NO_TEST04 = ["bert-99", "bert-99.9", "dlrm-v2-99", "dlrm-v2-99.9", "3d-unet-99", "3d-unet-99.9", "retinanet", "rnnt",
             "llama3.1-8b", "llama3.1-8b-edge", "llama2-70b-99", "llama2-70b-99.9", "mixtral-8x7b", "llama3.1-405b",
             "rgat", "deepseek-r1", "whisper", "qwen3-vl-235b-a22b", "yolo-95", "yolo-99", "gpt-oss-120b", "dlrm-v3"]
NO_TEST01 = ["llama3.1-8b", "llama3.1-8b-edge", "llama2-70b-99", "llama2-70b-99.9", "mixtral-8x7b", "llama3.1-405b",
             "deepseek-r1", "qwen3-vl-235b-a22b", "wan-2.2-t2v-a14b", "gpt-oss-120b", "dlrm-v3"]
TEST06 = ["llama2-70b-99", "llama2-70b-99.9", "mixtral-8x7b", "llama3.1-405b", "llama3.1-8b", "deepseek-r1"]
LLM_EXTRA = ["llama2-70b-99", "llama2-70b-99.9", "llama2-70b-interactive-99", "llama2-70b-interactive-99.9",
             "mixtral-8x7b", "llama3.1-405b", "llama3.1-8b", "llama3.1-8b-edge", "deepseek-r1"]

out = {"source": "mlcommons/inference tools/submission/submission_checker_old.py", "versions": {}}
models = set()
for v in VERSIONS:
    c = s.MODEL_CONFIG[v]
    entry = {k: c.get(k) for k in KEYS}
    entry["accuracy-target"] = {m: pairs(t) for m, t in c["accuracy-target"].items()}
    entry["accuracy-upper-limit"] = {m: pairs(t) for m, t in c.get("accuracy-upper-limit", {}).items()}
    entry["seeds"] = {k: str(x) for k, x in c["seeds"].items()}
    # Per-scenario counts (a dict; the official checker cannot compare them either) are left out.
    entry["accuracy-sample-count"] = {m: n for m, n in c.get("accuracy-sample-count", {}).items() if isinstance(n, int)}
    entry["dataset-size"] = c.get("dataset-size", {})
    entry["result-field"] = s.RESULT_FIELD_NEW[v]
    entry["result-field-overwrite"] = s.RESULT_FIELD_BENCHMARK_OVERWRITE.get(v, {})
    out["versions"][v] = entry
    models |= set(c["models"])
compliance = {}
for m in sorted(models):
    tests = ["TEST01", "TEST04"]
    if m in NO_TEST04:
        tests.remove("TEST04")
    if m in NO_TEST01:
        tests.remove("TEST01")
    if m in TEST06:
        tests.append("TEST06")
    if m == "dlrm-v3":
        tests.append("TEST08")
    if m == "gpt-oss-120b":
        tests += ["TEST07", "TEST09"]
    compliance[m] = tests
out["compliance-tests"] = compliance
out["accuracy-patterns"] = s.ACC_PATTERN
out["offline-min-samples-per-query"] = s.OFFLINE_MIN_SPQ_SINCE_V4
out["equal-issue-models"] = [m for m in sorted(models) if s.Config("v6.1", None).requires_equal_issue(m)]
out["llm-token-latency-models"] = LLM_EXTRA
out["llm-latency-limits"] = s.LLM_LATENCY_LIMITS
out["required-accuracy-files"] = s.REQUIRED_ACC_FILES
out["required-accuracy-extra-files"] = s.REQUIRED_ACC_BENCHMARK
out["system-required-fields"] = s.SYSTEM_DESC_REQUIRED_FIELDS
out["system-meaningful-fields"] = s.SYSTEM_DESC_MEANINGFUL_RESPONSE_REQUIRED_FIELDS
out["measurements-required-fields"] = s.SYSTEM_IMP_REQUIRED_FILES
out["valid-availabilities"] = s.VALID_AVAILABILITIES
out["min-duration-ms"] = s.TEST_DURATION_MS
out["max-accuracy-log-bytes"] = s.MAX_ACCURACY_LOG_SIZE
json.dump(out, sys.stdout, indent=1, sort_keys=True)
print()
