#!/usr/bin/env python3
"""Independent oracle for the `translation` benchmark: PyPI `tokenizers` decodes, PyPI `sacrebleu` scores; none of
SwiftMLPerf's Swift code.

Corpus BLEU (sacreBLEU's defaults: 13a tokenisation, exp smoothing) of an accuracy log (MLPerf LoadGen's
mlperf_log_accuracy.json; each response: the output's subword ids, int32 little-endian, any count) against the German
of the test pairs (test.jsonl), the ids decoded with the vocabulary beside the model (MODEL.tokenizer.json). A test
pair without a response counts as the empty hypothesis:

    .venv/bin/python3 references/oracles/translation_accuracy.py score LOG --model MODEL.onnx --data-dir D

prints {"bleu", "precisions", "bp", "sys_len", "ref_len", "responses", "pairs"}. Errors go to stderr with exit status 2.
"""
import argparse
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pytorch"))
from accuracy_log import AccuracyLogError, read_accuracy_log  # noqa: E402


def score(args):
    import sacrebleu
    from tokenizers import Tokenizer
    stem = args.model[:-5] if args.model.endswith(".onnx") else args.model
    tokenizer = Tokenizer.from_file(stem + ".tokenizer.json")
    with open(os.path.join(args.data_dir, "test.jsonl"), encoding="utf-8") as f:
        references = [json.loads(line)["de"] for line in f if line.strip()]
    hypotheses = [""] * len(references)
    responses = read_accuracy_log(args.log, None, "subword ids")
    for idx, raw in responses.items():
        if len(raw) % 4:
            raise AccuracyLogError(f"{args.log}: qsl_idx {idx}: {len(raw)} bytes, not whole int32 ids")
        ids = list(struct.unpack(f"<{len(raw) // 4}i", raw))
        hypotheses[idx] = tokenizer.decode(ids, skip_special_tokens=True)
    bleu = sacrebleu.corpus_bleu(hypotheses, [references])
    print(json.dumps({"bleu": bleu.score, "precisions": bleu.precisions, "bp": bleu.bp, "sys_len": bleu.sys_len,
                      "ref_len": bleu.ref_len, "responses": len(responses), "pairs": len(references)}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score")
    s.add_argument("log")
    s.add_argument("--model", required=True)
    s.add_argument("--data-dir", required=True)
    args = p.parse_args()
    try:
        score(args)
    except Exception as e:  # noqa: BLE001 (tokenizers raises plain Exception; any failure is one error line)
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
