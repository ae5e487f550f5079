#!/usr/bin/env python3
"""Independent accuracy oracle for the `ncf` benchmark: reads an MLPerf LoadGen `mlperf_log_accuracy.json`
(a JSON array of {"seq_id", "qsl_idx", "data"}, data = hex of little-endian bytes) in which each response is the
101 float32 scores of user `qsl_idx` for its candidates in the order [test positive] + 100 negatives
(docs/datasets.md), and prints {"hr@10", "ndcg@10", "users"}.

    .venv/bin/python3 references/pytorch/ncf_accuracy.py mlperf_log_accuracy.json [--users 671]

The positive is candidate 0, so no data is needed: rank = #{negatives with score > s_pos} + #{== s_pos} (a tie
counts against the positive); a hit if rank < 10; NDCG@10 = 1 / log2(rank + 2) for a hit. Averaged over the
distinct users answered (a repeated qsl_idx counts once: its first response). Numpy only.
Errors go to stderr with exit status 2.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from accuracy_log import AccuracyLogError, read_accuracy_log  # noqa: E402

CANDIDATES = 101
TOP_K = 10


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("log", help="mlperf_log_accuracy.json")
    p.add_argument("--users", type=int, default=None,
                   help="fail unless exactly this many distinct users were answered (the full set is 671)")
    args = p.parse_args()
    try:
        rows = read_accuracy_log(args.log, 4 * CANDIDATES, f"{CANDIDATES} float32 scores")
    except AccuracyLogError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not rows:
        print(f"error: {args.log}: no responses; run the accuracy mode", file=sys.stderr)
        return 2
    if args.users is not None and len(rows) != args.users:
        print(f"error: {args.log}: {len(rows)} distinct users answered, expected {args.users}", file=sys.stderr)
        return 2
    scores = np.frombuffer(b"".join(rows[q] for q in sorted(rows)), dtype="<f4").reshape(-1, CANDIDATES)
    pos = scores[:, :1]
    rank = (scores[:, 1:] >= pos).sum(axis=1)
    hit = rank < TOP_K
    ndcg = np.where(hit, 1.0 / np.log2(rank.astype(np.float64) + 2.0), 0.0)
    print(json.dumps({"hr@10": float(hit.mean()), "ndcg@10": float(ndcg.mean()), "users": int(len(rows))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
