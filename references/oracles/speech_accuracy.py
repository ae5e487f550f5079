#!/usr/bin/env python3
"""Independent oracles for the `speech` benchmark: jiwer for WER, and the PyTorch reference's numpy feature and
decoding code; none of SwiftMLPerf's Swift code.

WER of an accuracy log (MLPerf LoadGen's mlperf_log_accuracy.json; each response: int32 word count, then int32 word
ids, 1-based in the vocabulary of test.json, little-endian) against the test transcripts, by jiwer:

    .venv/bin/python3 references/oracles/speech_accuracy.py score LOG --data-dir D

prints {"wer", "substitutions", "deletions", "insertions", "words"}.

Word ids of a model on the first N test utterances (reference `log_mel`, ONNX Runtime, reference `greedy_decode`):

    .venv/bin/python3 references/oracles/speech_accuracy.py decode MODEL --data-dir D --utterances N

Log-mel features of the first N test utterances, written as float32 [N, 40, 398] to OUT:

    .venv/bin/python3 references/oracles/speech_accuracy.py features --data-dir D --utterances N --out OUT

Errors go to stderr with exit status 2.
"""
import argparse
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pytorch"))
import numpy as np  # noqa: E402
from accuracy_log import AccuracyLogError, read_accuracy_log  # noqa: E402

MAX_WORDS = 32


def score(args):
    import jiwer
    with open(os.path.join(args.data_dir, "test.json")) as f:
        meta = json.load(f)
    vocabulary = meta["vocabulary"]
    hyps = {}
    for idx, raw in read_accuracy_log(args.log, 4 + 4 * MAX_WORDS, "a greedy CTC response").items():
        count = struct.unpack_from("<i", raw, 0)[0]
        if not 0 <= count <= MAX_WORDS:
            raise AccuracyLogError(f"{args.log}: qsl_idx {idx}: {count} words, expected 0-{MAX_WORDS}")
        hyps[idx] = " ".join(vocabulary[i - 1] for i in struct.unpack_from(f"<{count}i", raw, 4))
    refs = [u["text"] for u in meta["utterances"]]
    order = sorted(hyps)
    out = jiwer.process_words([refs[i] for i in order], [hyps[i] for i in order])
    print(json.dumps({"wer": out.wer, "substitutions": out.substitutions, "deletions": out.deletions,
                      "insertions": out.insertions, "words": sum(len(refs[i].split()) for i in order)}))


def test_features(data_dir, n):
    import train_speech as reference
    audio, _, _ = reference.load(data_dir, "test", np)
    return reference.log_mel(audio[:n], np)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score")
    s.add_argument("log")
    s.add_argument("--data-dir", required=True)
    for name in ("decode", "features"):
        c = sub.add_parser(name)
        if name == "decode":
            c.add_argument("model")
        else:
            c.add_argument("--out", required=True)
        c.add_argument("--data-dir", required=True)
        c.add_argument("--utterances", type=int, default=8)
    args = p.parse_args()
    try:
        if args.command == "score":
            score(args)
        elif args.command == "features":
            test_features(args.data_dir, args.utterances).astype("<f4").tofile(args.out)
        else:
            import onnxruntime
            import train_speech as reference
            session = onnxruntime.InferenceSession(args.model, providers=["CPUExecutionProvider"])
            x = test_features(args.data_dir, args.utterances)[:, None]
            log_probs = session.run(None, {"features": x})[0]
            print(json.dumps([reference.greedy_decode(lp, np) for lp in log_probs]))
    except (AccuracyLogError, OSError, KeyError, IndexError, ValueError, struct.error) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
