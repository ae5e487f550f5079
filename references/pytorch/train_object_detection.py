#!/usr/bin/python3
"""PyTorch reference for the SwiftMLPerf `object-detection` benchmark: a small CenterNet-style single-shot detector
(Zhou et al. 2019, "Objects as Points") on scenes of real Fashion-MNIST items pasted on 128x128 canvases, 10 classes
with exact boxes (fashion_canvases.py; docs/datasets.md). Runs on Debian's python3-torch (CPU), under the project's
environment (.venv sees Debian's packages):

    .venv/bin/python3 references/pytorch/train_object_detection.py --seed N [--data-dir D] [--fashion-dir F]
        [--onnx-out M] [--threads 1] [--max-epochs E] [--train-limit SCENES] [--eval-limit IMAGES] [--target T]

Training: every epoch draws SCENES_PER_EPOCH new scenes from the Fashion-MNIST training split (--fashion-dir; numpy
generator seeded with --seed); eval after every epoch on the 500 test scenes of --data-dir (made by
scripts/data/object_detection.py): COCO mAP@0.5 by pycocotools (the quality; mAP@[.5:.95] as its metadata), on the
detections of `decode` (the post-processing the Swift SUT does too). Stop at the first eval >= target.

ONNX (--onnx-out, after run_stop, untimed; opset 13; checked against torch with ONNX Runtime before exit): input
`image` float32 [N, 1, 128, 128] (pixel / 255), output `maps` float32 [N, 14, 32, 32] on the stride-4 grid: 10 class
heatmaps (sigmoid), log(width / 4), log(height / 4), and the centre's offset inside its cell (x, y).

MLLOG lines go to stdout in mlperf_logging's layout; errors go to stderr with exit status 2.
"""
import argparse
import contextlib
import io
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_log  # noqa: E402
from reference_log import end, event, start  # noqa: E402

STRIDE = 4
BATCH_SIZE = 16
LEARNING_RATE = 0.003
BETA1 = 0.9
BETA2 = 0.999
EPSILON = 1e-8
WEIGHT_DECAY = 0.0
# Post-processing (the same in Swift: Sources/Benchmarks/Detection/CenterNetPostprocessor.swift).
SCORE_THRESHOLD = 0.05
NMS_IOU = 0.5
MAX_DETECTIONS = 100
PRE_NMS = 100


BENCHMARK = "object-detection"
CHANNELS, SIDE, CLASSES = 1, 128, 10
SCENES_PER_EPOCH = 512
MAX_EPOCHS = 20
TARGET = 0.65


class Scenes:
    """The test scenes ([N, 1, 128, 128] float32, pixel / 255) with their COCO ground truth, and training scenes
    drawn on the fly from the Fashion-MNIST training split."""

    def __init__(self, directory, fashion_dir, seed, np):
        import fashion_canvases
        from PIL import Image
        self.np, self.fc, self.image = np, fashion_canvases, Image
        self.coco_path = need(os.path.join(directory, "instances_test.json"))
        with open(self.coco_path) as f:
            self.coco = json.load(f)
        raw = np.fromfile(need(os.path.join(directory, "test.u8")), dtype=np.uint8)
        n = len(self.coco["images"])
        if raw.size != n * SIDE * SIDE * CHANNELS:
            raise SystemExit(f"error: {directory}/test.u8: {raw.size} bytes, expected {n} x {SIDE} x {SIDE} x "
                             f"{CHANNELS}")
        self.test = raw.reshape(n, CHANNELS, SIDE, SIDE).astype(np.float32) / 255
        self.images, self.labels = fashion_canvases.read_split(fashion_dir, "train", np)
        self.rng = np.random.default_rng(seed)

    def sample(self):
        """One training scene: image [1, 128, 128] float32, boxes [K, 4], classes [K]."""
        canvas, boxes, classes = self.fc.scene(self.rng, self.images, self.labels, self.np, self.image)
        return canvas[None].astype(self.np.float32) / 255, boxes, classes


def need(path):
    if not os.path.exists(path):
        raise SystemExit(f"error: {path}: missing: run `bash scripts/setup.sh` (it draws the test scenes), or point "
                         "--data-dir at them")
    return path


def targets(boxes, classes, n_classes, grid, np):
    """CenterNet targets on a grid x grid map: a Gaussian peak per box centre in its class's heatmap (sigma 0.15 x
    the geometric mean of the box sides, in cells, at least 0.5), and per box its cell index, log size and sub-cell
    offset."""
    heat = np.zeros((n_classes, grid, grid), dtype=np.float32)
    idx, size, off = [], [], []
    ys, xs = np.mgrid[0:grid, 0:grid].astype(np.float32)
    for (x0, y0, x1, y1), c in zip(boxes, classes):
        w, h = (x1 - x0) / STRIDE, (y1 - y0) / STRIDE
        if w <= 0 or h <= 0:
            continue
        cx, cy = (x0 + x1) / 2 / STRIDE, (y0 + y1) / 2 / STRIDE
        ix, iy = min(int(cx), grid - 1), min(int(cy), grid - 1)
        sigma = max(0.5, 0.15 * math.sqrt(w * h))
        heat[c] = np.maximum(heat[c], np.exp(-((xs - ix) ** 2 + (ys - iy) ** 2) / (2 * sigma * sigma)))
        idx.append(iy * grid + ix)
        size.append([math.log(w), math.log(h)])
        off.append([cx - ix, cy - iy])
    return heat, idx, size, off


def build_model(torch, channels, classes):
    nn = torch.nn

    def conv(cin, cout, stride=1):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

    class CenterNetLite(nn.Module):
        """Backbone at strides 2-16 (16, 24, 48, 64 channels), a top-down path back to stride 4 (nearest upsampling
        plus 1x1 lateral projections), and a 3x3 + 1x1 head: `classes` heatmaps, then log size (2) and offset (2)."""

        def __init__(self):
            super().__init__()
            self.c4 = nn.Sequential(conv(channels, 16, 2), conv(16, 24, 2), conv(24, 24))
            self.c8 = nn.Sequential(conv(24, 48, 2), conv(48, 48))
            self.c16 = nn.Sequential(conv(48, 64, 2), conv(64, 64))
            self.lat8 = nn.Conv2d(48, 64, 1)
            self.smooth8 = conv(64, 48)
            self.lat4 = nn.Conv2d(24, 48, 1)
            self.smooth4 = conv(48, 32)
            self.head = nn.Sequential(nn.Conv2d(32, 32, 3, 1, 1), nn.ReLU(), nn.Conv2d(32, classes + 4, 1))
            with torch.no_grad():
                self.head[2].bias.zero_()
                self.head[2].bias[:classes] = -2.19          # heatmap prior 0.1 (CenterNet)
                self.head[2].bias[classes:classes + 2] = 2.0  # log size ~ 7 cells (28 px)

        def raw(self, image):
            x = (image - 0.4) / 0.2
            f4 = self.c4(x)
            f8 = self.c8(f4)
            f16 = self.c16(f8)
            up = nn.functional.interpolate(f16, scale_factor=2.0, mode="nearest") + self.lat8(f8)
            up = nn.functional.interpolate(self.smooth8(up), scale_factor=2.0, mode="nearest") + self.lat4(f4)
            return self.head(self.smooth4(up))

        def forward(self, image):
            r = self.raw(image)
            return torch.cat([torch.sigmoid(r[:, :classes]), r[:, classes:]], dim=1)

    return CenterNetLite()


def focal_loss(torch, logits, gt):
    """CenterNet's penalty-reduced focal loss (alpha 2, beta 4), summed and divided by the number of centres."""
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    pos_loss = torch.log(p) * (1 - p) ** 2 * pos
    neg_loss = torch.log(1 - p) * p ** 2 * (1 - gt) ** 4 * (1 - pos)
    return -(pos_loss.sum() + neg_loss.sum()) / torch.clamp(pos.sum(), min=1)


def decode(maps, classes, np):
    """Detections of one image from its [classes + 4, G, G] output (stride 4): the peaks of each class's heatmap
    (3x3 local maxima, ties kept) with a score >= SCORE_THRESHOLD; the PRE_NMS best by score (ties: class, then
    raster order); boxes from log size and offset (x 4, clipped to the image); greedy NMS per class at IoU > NMS_IOU;
    at most MAX_DETECTIONS. Returns [K, 6] rows (x0, y0, x1, y1, score, class), by descending score."""
    g = maps.shape[1]
    heat = maps[:classes]
    padded = np.pad(heat, ((0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    neighbours = np.max(np.stack([padded[:, dy:dy + g, dx:dx + g] for dy in range(3) for dx in range(3)]), axis=0)
    flat = np.flatnonzero((heat >= neighbours) & (heat >= SCORE_THRESHOLD))
    scores = heat.reshape(-1)[flat]
    order = np.argsort(-scores, kind="stable")[:PRE_NMS]
    flat, scores = flat[order], scores[order]
    cls, cell = flat // (g * g), flat % (g * g)
    iy, ix = cell // g, cell % g
    w = np.exp(maps[classes].reshape(-1)[cell]) * STRIDE
    h = np.exp(maps[classes + 1].reshape(-1)[cell]) * STRIDE
    cx = (ix + maps[classes + 2].reshape(-1)[cell]) * STRIDE
    cy = (iy + maps[classes + 3].reshape(-1)[cell]) * STRIDE
    side = g * STRIDE
    boxes = np.clip(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1), 0, side)
    keep = []
    for i in range(len(flat)):
        ok = True
        for j in keep:
            if cls[j] != cls[i]:
                continue
            ix0, iy0 = max(boxes[i, 0], boxes[j, 0]), max(boxes[i, 1], boxes[j, 1])
            ix1, iy1 = min(boxes[i, 2], boxes[j, 2]), min(boxes[i, 3], boxes[j, 3])
            inter = max(ix1 - ix0, 0) * max(iy1 - iy0, 0)
            union = ((boxes[i, 2] - boxes[i, 0]) * (boxes[i, 3] - boxes[i, 1])
                     + (boxes[j, 2] - boxes[j, 0]) * (boxes[j, 3] - boxes[j, 1]) - inter)
            if union > 0 and inter / union > NMS_IOU:
                ok = False
                break
        if ok:
            keep.append(i)
            if len(keep) == MAX_DETECTIONS:
                break
    return np.concatenate([boxes[keep], scores[keep, None], cls[keep, None]], axis=1).astype(np.float32)


def coco_map(coco_path, detections):
    """(mAP@[.5:.95], mAP@0.5) by pycocotools over `detections` {image_id: [K, 6] array}; category id = class + 1."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    results = [{"image_id": int(i), "category_id": int(d[5]) + 1, "score": float(d[4]),
                "bbox": [float(d[0]), float(d[1]), float(d[2] - d[0]), float(d[3] - d[1])]}
               for i, dets in detections.items() for d in dets]
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(coco_path)
        if not results:
            return 0.0, 0.0
        ev = COCOeval(gt, gt.loadRes(results), "bbox")
        ev.params.imgIds = sorted(detections)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return max(float(ev.stats[0]), 0.0), max(float(ev.stats[1]), 0.0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    reference_log.add_common_arguments(
        p, data_dir=os.environ.get("MLPERF_OBJECT_DETECTION_DIR")
        or os.path.join(HERE, "..", "..", "data", "generated", BENCHMARK),
        max_epochs=MAX_EPOCHS, target=TARGET, onnx_help="write the trained model as ONNX (after run_stop)",
        train_help="training scenes per epoch (tests)", eval_help="evaluate on the first N test scenes (tests)")
    p.add_argument("--fashion-dir", default=os.environ.get("FASHION_MNIST_DIR") or "/usr/share/datasets/fashion-mnist")
    args = p.parse_args()
    torch = reference_log.import_torch()
    if torch is None:
        return 2
    try:
        import pycocotools  # noqa: F401
    except ImportError:
        print("error: pycocotools is missing: run `bash scripts/setup.sh` (it installs requirements.txt into .venv)",
              file=sys.stderr)
        return 2
    import numpy as np
    torch.set_num_threads(args.threads)
    reference_log.header(BENCHMARK, args)
    torch.manual_seed(args.seed)
    data = Scenes(args.data_dir, args.fashion_dir, args.seed, np)
    n_eval = min(args.eval_limit or len(data.test), len(data.test))
    test_ids = [im["id"] for im in data.coco["images"]][:n_eval]
    test_x = torch.from_numpy(data.test[:n_eval])
    samples = args.train_limit or SCENES_PER_EPOCH
    grid = SIDE // STRIDE
    model = build_model(torch, CHANNELS, CLASSES)
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=(BETA1, BETA2), eps=EPSILON,
                           weight_decay=WEIGHT_DECAY)
    end("init_stop")
    start("run_start")
    event("seed", args.seed)
    event("global_batch_size", BATCH_SIZE)
    reference_log.adam_hyperparameters(LEARNING_RATE, BETA1, BETA2, EPSILON, WEIGHT_DECAY)
    event("train_samples", samples)
    event("eval_samples", n_eval)
    reached = False
    for epoch in range(1, args.max_epochs + 1):
        reference_log.epoch_begin(epoch)
        model.train()
        for first in range(0, samples, BATCH_SIZE):
            n = min(BATCH_SIZE, samples - first)
            images, heats, inds, sizes, offs, owner = [], [], [], [], [], []
            for k in range(n):
                image, boxes, classes = data.sample()
                heat, idx, size, off = targets(boxes, classes, CLASSES, grid, np)
                images.append(image)
                heats.append(heat)
                inds += idx
                sizes += size
                offs += off
                owner += [k] * len(idx)
            raw = model.raw(torch.from_numpy(np.stack(images).astype(np.float32)))
            loss = focal_loss(torch, raw[:, :CLASSES], torch.from_numpy(np.stack(heats)))
            if inds:
                picked = raw[:, CLASSES:].flatten(2)[torch.tensor(owner), :, torch.tensor(inds)]   # [M, 4]
                loss = loss + torch.nn.functional.l1_loss(picked[:, :2], torch.tensor(sizes)) \
                    + torch.nn.functional.l1_loss(picked[:, 2:], torch.tensor(offs))
            opt.zero_grad()
            loss.backward()
            opt.step()
        reference_log.epoch_trained(epoch)
        model.eval()
        with torch.no_grad():
            maps = model(test_x).numpy()
        dets = {image_id: decode(maps[i], CLASSES, np) for i, image_id in enumerate(test_ids)}
        map_all, map50 = coco_map(data.coco_path, dets)
        reference_log.epoch_evaluated(epoch, round(map50, 6), extra={"map_50_95": round(map_all, 6)})
        if map50 >= args.target:
            reached = True
            break
    end("run_stop", metadata={"status": "success" if reached else "aborted"})
    if args.onnx_out:
        reference_log.export_onnx(torch, model, args.onnx_out, test_x[:2], "image", "maps", 1e-4)
    return 0


if __name__ == "__main__":
    sys.exit(main())
