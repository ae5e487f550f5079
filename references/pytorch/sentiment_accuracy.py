#!/usr/bin/env python3
"""Independent accuracy oracle for the `sentiment` benchmark: reads an MLPerf LoadGen `mlperf_log_accuracy.json`
(a JSON array of {"seq_id", "qsl_idx", "data"}, data = hex of little-endian bytes) in which each response is one
int32 class (1 = great, 0 = other) for test review `qsl_idx` of modeldata's `testing_data`, and prints
{"accuracy", "good", "total"}.

    .venv/bin/python3 references/pytorch/sentiment_accuracy.py mlperf_log_accuracy.json [--data-dir D] [--total 1000]

The labels are read straight from the R data (score == "great" → 1) with rdata_lazyload; a repeated qsl_idx
counts once (its first response). Numpy only; nothing from the trainers. Errors go to stderr with exit status 2.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from accuracy_log import AccuracyLogError, read_accuracy_log  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from rdata_lazyload import LazyLoadError, read_object  # noqa: E402

DEFAULT_DIR = os.path.join(os.path.dirname(os.path.dirname(HERE)),
                           "data/pkgs/r-cran-modeldata/usr/lib/R/site-library/modeldata/data")
HINT = "run scripts/setup.sh, or set MLPERF_FINE_FOODS_DIR (or --data-dir) to the modeldata data directory"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("log", help="mlperf_log_accuracy.json")
    p.add_argument("--data-dir", default=os.environ.get("MLPERF_FINE_FOODS_DIR") or DEFAULT_DIR)
    p.add_argument("--total", type=int, default=None,
                   help="fail unless exactly this many distinct reviews were answered (the full set is 1000)")
    args = p.parse_args()
    try:
        frame = read_object(args.data_dir, "testing_data", HINT)
    except LazyLoadError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    score = frame.get("score")
    if not isinstance(score, dict) or "great" not in score["levels"]:
        print(f"error: {args.data_dir}/Rdata.rdb: 'testing_data' has no factor 'score' with level 'great'. {HINT}",
              file=sys.stderr)
        return 2
    labels = (np.asarray(score["codes"]) == score["levels"].index("great")).astype(np.int64)
    try:
        raw_rows = read_accuracy_log(args.log, 4, "one int32 class")
    except AccuracyLogError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    answers = {}
    for q, raw in raw_rows.items():
        if not 0 <= q < len(labels):
            print(f"error: {args.log}: a response has qsl_idx {q}, outside the {len(labels)} test reviews",
                  file=sys.stderr)
            return 2
        answers[q] = int(np.frombuffer(raw, dtype="<i4")[0])
    if args.total is not None and len(answers) != args.total:
        print(f"error: {args.log}: {len(answers)} distinct reviews answered, expected {args.total}", file=sys.stderr)
        return 2
    idx = np.array(sorted(answers), dtype=np.int64)
    pred = np.array([answers[q] for q in sorted(answers)], dtype=np.int64)
    good = int((pred == labels[idx]).sum()) if len(idx) else 0
    total = int(len(idx))
    print(json.dumps({"accuracy": good / total if total else 0.0, "good": good, "total": total}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
