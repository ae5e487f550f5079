#!/usr/bin/env python3
"""Independent oracles for the `object-detection` benchmark: pycocotools and the PyTorch reference's own
post-processing; none of SwiftMLPerf's Swift code.

COCO mAP of an accuracy log (MLPerf LoadGen's mlperf_log_accuracy.json; each response: int32 count, then per
detection x0, y0, x1, y1, score as float32 and the class as int32, little-endian), by pycocotools' COCOeval:

    .venv/bin/python3 references/oracles/detection_accuracy.py score LOG --data-dir D

prints {"map": stats[0], "map50": stats[1], "map75": stats[2], "detections": K}. Model class k is the k-th category
of instances_test.json; boxes go to COCO as [x0, y0, x1 - x0, y1 - y0] in float64, in response order.

Detections of a model, by ONNX Runtime and `decode` of references/pytorch/train_object_detection.py (numpy), on the
first N test images:

    .venv/bin/python3 references/oracles/detection_accuracy.py detect MODEL --data-dir D --images N

prints one JSON list per image of [x0, y0, x1, y1, score, class].
Errors go to stderr with exit status 2.
"""
import argparse
import contextlib
import io
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pytorch"))
from accuracy_log import AccuracyLogError, read_accuracy_log  # noqa: E402

DETECTION_BYTES = 24
MAX_DETECTIONS = 100


def read_log(path):
    """{qsl_idx: [(x0, y0, x1, y1, score, class), ...]} of an accuracy log (a repeated qsl_idx: its first response)."""
    out = {}
    for idx, raw in read_accuracy_log(path, 4 + DETECTION_BYTES * MAX_DETECTIONS, "a CenterNet response").items():
        count = struct.unpack_from("<i", raw, 0)[0]
        if not 0 <= count <= MAX_DETECTIONS:
            raise AccuracyLogError(f"{path}: qsl_idx {idx}: {count} detections, expected 0-{MAX_DETECTIONS}")
        out[idx] = [struct.unpack_from("<5fi", raw, 4 + k * DETECTION_BYTES) for k in range(count)]
    return out


def score(args):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    path = os.path.join(args.data_dir, "instances_test.json")
    with open(path) as f:
        coco = json.load(f)
    ids = [im["id"] for im in coco["images"]]
    categories = [c["id"] for c in coco["categories"]]
    results = []
    for idx, dets in sorted(read_log(args.log).items()):
        for x0, y0, x1, y1, s, c in dets:
            results.append({"image_id": ids[idx], "category_id": categories[c], "score": float(s),
                            "bbox": [float(x0), float(y0), float(x1) - float(x0), float(y1) - float(y0)]})
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(path)
        ev = COCOeval(gt, gt.loadRes(results) if results else COCO(), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    print(json.dumps({"map": float(ev.stats[0]), "map50": float(ev.stats[1]), "map75": float(ev.stats[2]),
                      "detections": len(results)}))


def detect(args):
    import numpy as np
    import onnxruntime
    import train_object_detection as reference
    session = onnxruntime.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    shape = session.get_inputs()[0].shape            # [N, C, S, S]
    channels, side = shape[1], shape[2]
    classes = session.get_outputs()[0].shape[1] - 4
    raw = np.fromfile(os.path.join(args.data_dir, "test.u8"), dtype=np.uint8)
    images = raw.reshape(-1, side, side, channels)[:args.images].transpose(0, 3, 1, 2).astype(np.float32) / 255
    maps = session.run(None, {session.get_inputs()[0].name: images})[0]
    print(json.dumps([reference.decode(m, classes, np).tolist() for m in maps]))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score")
    s.add_argument("log")
    s.add_argument("--data-dir", required=True)
    d = sub.add_parser("detect")
    d.add_argument("model")
    d.add_argument("--data-dir", required=True)
    d.add_argument("--images", type=int, default=8)
    args = p.parse_args()
    try:
        score(args) if args.command == "score" else detect(args)
    except (AccuracyLogError, OSError, KeyError, IndexError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
