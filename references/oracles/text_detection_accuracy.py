#!/usr/bin/env python3
"""Independent oracles for the `text-detection` benchmark (numpy and scipy; none of SwiftMLPerf's code).

Score an accuracy log (MLPerf LoadGen's mlperf_log_accuracy.json; each response: int32 count, then per box five
float32 x0, y0, x1, y1, score, little-endian) against the generated boxes:

    .venv/bin/python3 references/oracles/text_detection_accuracy.py score LOG --data-dir D

prints {"precision", "recall", "f1", "tp", "fp", "fn"} — per image, predictions by descending score (ties: response
order), each matched to the unmatched ground-truth box of highest IoU; a true positive at IoU >= 0.5.

Run the detector and DB post-processing independently (onnxruntime + scipy.ndimage) on the first N images:

    .venv/bin/python3 references/oracles/text_detection_accuracy.py boxes MODEL --data-dir D --images N

prints one JSON list of boxes [x0, y0, x1, y1, score] per image (thresh 0.3, 2x2 dilation, 8-connected regions,
mean-probability score >= 0.5, min side 3, unclip 1.6, axis-aligned).
Errors go to stderr with exit status 2.
"""
import argparse
import json
import sys

import numpy as np


def load_truth(data_dir):
    with open(f"{data_dir}/boxes.json") as f:
        return json.load(f)


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def score(args):
    truth = load_truth(args.data_dir)["boxes"]
    with open(args.log) as f:
        entries = json.load(f)
    seen = {}
    for e in entries:
        seen.setdefault(int(e["qsl_idx"]), e["data"])
    tp = fp = fn = 0
    for idx, hexdata in sorted(seen.items()):
        raw = bytes.fromhex(hexdata)
        n = int(np.frombuffer(raw[:4], dtype="<i4")[0])
        boxes = np.frombuffer(raw[4:4 + 20 * n], dtype="<f4").reshape(n, 5).astype(np.float64)
        order = sorted(range(n), key=lambda k: (-boxes[k, 4], k))
        gt = truth[idx]
        used = [False] * len(gt)
        for k in order:
            candidates = [(iou(boxes[k, :4], g), j) for j, g in enumerate(gt) if not used[j]]
            best = max(candidates, default=(0.0, -1), key=lambda c: (c[0], -c[1]))
            if best[1] >= 0 and best[0] >= 0.5:
                tp += 1
                used[best[1]] = True
            else:
                fp += 1
        fn += used.count(False)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    print(json.dumps({"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
                      "tp": tp, "fp": fp, "fn": fn}))


def boxes(args):
    import onnxruntime as ort
    from scipy import ndimage
    meta = load_truth(args.data_dir)
    h, w = meta["height"], meta["width"]
    images = np.fromfile(f"{args.data_dir}/images.u8", dtype=np.uint8).reshape(meta["images"], h, w, 3)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    out = []
    for k in range(args.images):
        x = ((images[k][:, :, ::-1].astype(np.float32) / 255.0) - 0.5) / 0.5
        prob = session.run(None, {"x": x.transpose(2, 0, 1)[None].copy()})[0][0, 0]
        b = prob > 0.3
        d = b.copy()
        d[:, 1:] |= b[:, :-1]
        d[1:, :] |= b[:-1, :]
        d[1:, 1:] |= b[:-1, :-1]
        labels, _ = ndimage.label(d, structure=np.ones((3, 3), dtype=bool))
        found = []
        for sl in ndimage.find_objects(labels):
            y0, y1, x0, x1 = sl[0].start, sl[0].stop, sl[1].start, sl[1].stop
            bw, bh = x1 - x0, y1 - y0
            if min(bw, bh) < 3:
                continue
            s = float(prob[y0:y1, x0:x1].astype(np.float64).mean())
            if s < 0.5:
                continue
            u = bw * bh * 1.6 / (2 * (bw + bh))
            found.append([max(0.0, x0 - u), max(0.0, y0 - u), min(float(w), x1 + u), min(float(h), y1 + u), s])
        out.append(found)
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score")
    s.add_argument("log")
    s.add_argument("--data-dir", required=True)
    b = sub.add_parser("boxes")
    b.add_argument("model")
    b.add_argument("--data-dir", required=True)
    b.add_argument("--images", type=int, default=8)
    args = p.parse_args()
    try:
        score(args) if args.command == "score" else boxes(args)
    except (OSError, ValueError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
