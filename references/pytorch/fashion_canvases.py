"""Multi-class detection scenes made of real Fashion-MNIST items (Debian's dataset-fashion-mnist): 1-6 items pasted
on a 128x128 grey canvas, each with its exact box and class. The `object-detection` benchmark trains on scenes drawn
on the fly from the training split and is tested on a fixed set drawn from the test split
(scripts/data/object_detection.py). Rules (docs/datasets.md, `object-detection`), all draws from numpy's
default_rng(seed):
  * background: one grey level uniform in 0-63, plus integer noise uniform in [-12, 12] per pixel, clipped to 0-255;
  * 1-6 items; an item is a uniformly drawn image of the split, resized from 28x28 to s x s (s uniform in 28-64,
    bilinear, Pillow), its intensity scaled by a factor uniform in 0.6-1.0;
  * its box is the tight box of its resized pixels >= 48 (pixel edges, x1/y1 exclusive); an item whose box is
    empty is skipped;
  * placement: uniform, the item inside the canvas, rejected (up to 50 tries) if its box overlaps an earlier box
    with IoU > 0.1; pasted by per-pixel maximum;
  * class: the item's Fashion-MNIST label (0 T-shirt/top ... 9 Ankle boot); COCO category id = label + 1.
"""
import gzip
import os
import struct

SIDE = 128
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
BOX_THRESHOLD = 48


def read_split(directory, stem, np):
    """(images [N, 28, 28] uint8, labels [N] int64) of one Fashion-MNIST split from its gzipped IDX files."""
    out = []
    for kind, rank in (("images-idx3", 3), ("labels-idx1", 1)):
        path = os.path.join(directory, f"{stem}-{kind}-ubyte.gz")
        if not os.path.exists(path):
            raise SystemExit(f"error: {path}: no such file: apt-get install dataset-fashion-mnist "
                             "(scripts/setup.sh does), or set FASHION_MNIST_DIR")
        with gzip.open(path, "rb") as f:
            data = f.read()
        if len(data) < 4 + 4 * rank or struct.unpack(">I", data[:4])[0] != 0x800 | rank:
            raise SystemExit(f"error: {path}: not an IDX file of rank {rank}")
        dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
        body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank)
        if body.size != int(np.prod(dims)):
            raise SystemExit(f"error: {path}: {body.size} bytes of data, expected {int(np.prod(dims))}")
        out.append(body.reshape(dims))
    images, labels = out
    if len(labels) != len(images):
        raise SystemExit(f"error: {directory}: {len(labels)} labels for {len(images)} {stem} images")
    return images, labels.astype(np.int64)


def scene(rng, images, labels, np, image_module):
    """One canvas [128, 128] uint8 and its items: boxes [K, 4] float32 (x0, y0, x1, y1) and classes [K] int64."""
    canvas = np.clip(int(rng.integers(0, 64)) + rng.integers(-12, 13, size=(SIDE, SIDE)), 0, 255).astype(np.uint8)
    boxes, classes = [], []
    for _ in range(int(rng.integers(1, 7))):
        k = int(rng.integers(0, len(images)))
        s = int(rng.integers(28, 65))
        gain = rng.uniform(0.6, 1.0)
        item = np.asarray(image_module.fromarray(images[k]).resize((s, s), image_module.BILINEAR), dtype=np.float32)
        item = np.clip(item * gain, 0, 255).astype(np.uint8)
        ys, xs = np.nonzero(item >= BOX_THRESHOLD)
        if len(xs) == 0:
            continue
        bx0, by0, bx1, by1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
        for _ in range(50):
            ox, oy = int(rng.integers(0, SIDE - s + 1)), int(rng.integers(0, SIDE - s + 1))
            box = [ox + bx0, oy + by0, ox + bx1, oy + by1]
            if all(iou(box, b) <= 0.1 for b in boxes):
                np.maximum(canvas[oy:oy + s, ox:ox + s], item, out=canvas[oy:oy + s, ox:ox + s])
                boxes.append(box)
                classes.append(int(labels[k]))
                break
    return canvas, np.array(boxes, dtype=np.float32).reshape(-1, 4), np.array(classes, dtype=np.int64)


def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
