#!/usr/bin/env python3
"""Independent oracle for the `go` benchmark (reinforcement learning, 9x9): top-1 move agreement of an accuracy log
with GnuGo's moves in the held-out games; none of SwiftMLPerf's Swift code (no board, no rules: the labels come
straight from the game file's GTP vertices).

The samples are the held-out games' GnuGo moves in file order (each game's random opening skipped); a move's index is
`row * 9 + column` with row 0 the top (GTP row 9) and columns A-J without I, and 81 for a pass. Each response is one
int32 little-endian (the argmax of the `policy` output):

    .venv/bin/python3 references/oracles/go_accuracy.py score LOG --data-dir D

prints {"agreement", "agreeing", "responses", "positions"}; a position without a response counts as a miss.
Errors go to stderr with exit status 2.
"""
import argparse
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pytorch"))
from accuracy_log import AccuracyLogError, read_accuracy_log  # noqa: E402

COLUMNS = "ABCDEFGHJ"


def move_index(vertex, where):
    if vertex.lower() == "pass":
        return 81
    column, row = vertex[0].upper(), vertex[1:]
    if column not in COLUMNS or not row.isdigit() or not 1 <= int(row) <= 9:
        raise AccuracyLogError(f"{where}: {vertex!r} is not a 9x9 GTP vertex")
    return (9 - int(row)) * 9 + COLUMNS.index(column)


def labels(data_dir):
    path = os.path.join(data_dir, "heldout.jsonl")
    out = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            game = json.loads(line)
            out += [move_index(m, f"{path}:{number}") for m in game["moves"][game["opening"]:]]
    return out


def score(args):
    moves = labels(args.data_dir)
    responses = read_accuracy_log(args.log, 4, "one int32 move index")
    agreeing = 0
    for idx, raw in responses.items():
        if idx >= len(moves):
            raise AccuracyLogError(f"{args.log}: qsl_idx {idx} is past the {len(moves)} held-out positions")
        agreeing += struct.unpack("<i", raw)[0] == moves[idx]
    print(json.dumps({"agreement": agreeing / len(moves), "agreeing": agreeing, "responses": len(responses),
                      "positions": len(moves)}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score")
    s.add_argument("log")
    s.add_argument("--data-dir", required=True)
    args = p.parse_args()
    try:
        score(args)
    except (AccuracyLogError, OSError, ValueError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
