#!/usr/bin/python3
"""The detection benchmarks' test data, made once by scripts/setup.sh (under the project's .venv, which sees Debian's
python3-pil); the output is cached and checked by its SHA-256.

    .venv/bin/python3 scripts/data/object_detection.py canvases FASHION_MNIST_DIR OUT_DIR [--images 500] [--seed 2026]
    .venv/bin/python3 scripts/data/object_detection.py trees SRC_DIR OUT_DIR

`canvases` (benchmark `object-detection`): scenes of real Fashion-MNIST items pasted on 128x128 canvases, drawn from
the test split by the rules of references/pytorch/fashion_canvases.py. Writes OUT_DIR/test.u8 (N x 128 x 128 uint8,
grey) and OUT_DIR/instances_test.json (COCO: images 1..N in test.u8 order, bbox [x, y, w, h], area w*h, iscrowd 0,
categories 1-10 = Fashion-MNIST labels 0-9).

`trees` (benchmark `tree-detection`): real airborne RGB photos of forest with labelled tree crowns, from the
data folder of the PyPI `deepforest` 2.1.0 wheel (NEON sites; only its data files are used, the package is never
imported). SRC_DIR holds the wheel's `deepforest/data/` files. The split is by site (docs/datasets.md, `object-detection`):
  * train: the two Yellowstone images (YELL, 2299x2472 with 574 boxes and 1249x1035 with 279 boxes), written whole;
    the trainer draws its crops from them;
  * test: OSBS_029 (Florida, 61 boxes) and SOAP_061 (California, 37 boxes; its Alive/Dead labels become one class,
    Tree), 400x400 each, cut into 256x256 tiles at offsets 0, 72 and 144 on both axes (9 tiles per image, 18 in
    all). A box belongs to a tile when at least half its area lies inside it, clipped to the tile; the others are
    left out of that tile.
Boxes are Pascal-VOC pixel edges (xmin, ymin, xmax, ymax; xmax/ymax exclusive), as in the wheel's XML files.

Writes OUT_DIR/train_<k>.u8 (H x W x 3 uint8 RGB, row-major), OUT_DIR/train.json ({"images": [{"file", "site",
"width", "height", "boxes": [[x0, y0, x1, y1], ...]}]}), OUT_DIR/test.u8 (18 x 256 x 256 x 3 uint8 RGB) and
OUT_DIR/instances_test.json (COCO format: images with id 1..18 in test.u8 order, annotations with bbox [x, y, w, h],
area w*h, iscrowd 0, category 1 "Tree"). Errors go to stderr with exit status 2.
"""
import argparse
import json
import os
import sys
import xml.etree.ElementTree as ET

TRAIN = ["2019_YELL_2_528000_4978000_image_crop2"]
TEST = ["2019_YELL_2_541000_4977000_image_crop"]
OTHER_SITES = ["OSBS_029", "SOAP_061"]
TILE = 256
MAX_STEP = 200
MIN_VISIBLE = 0.5


def offsets(size):
    """Tile offsets along one side: evenly spaced from 0 to size - TILE, at most MAX_STEP apart."""
    n = -(-(size - TILE) // MAX_STEP) + 1
    return [round(k * (size - TILE) / (n - 1)) for k in range(n)] if n > 1 else [0]


def read_boxes(path):
    """The object boxes of a Pascal-VOC XML file, [[x0, y0, x1, y1], ...], and the image size it states."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        raise SystemExit(f"error: {path}: not a readable Pascal-VOC XML file: {e}")
    boxes = []
    for k, obj in enumerate(root.findall("object")):
        try:
            boxes.append([int(obj.find("bndbox/" + key).text) for key in ("xmin", "ymin", "xmax", "ymax")])
        except (AttributeError, TypeError, ValueError):
            raise SystemExit(f"error: {path}: object {k + 1}: expected integer bndbox xmin/ymin/xmax/ymax")
    size = (int(root.find("size/width").text), int(root.find("size/height").text))
    return boxes, size


def load(src, name):
    from PIL import Image
    png, xml = os.path.join(src, name + ".png"), os.path.join(src, name + ".xml")
    for path in (png, xml):
        if not os.path.exists(path):
            raise SystemExit(f"error: {path}: missing; scripts/setup.sh extracts it from the deepforest 2.1.0 wheel")
    img = Image.open(png).convert("RGB")
    boxes, size = read_boxes(xml)
    if size != img.size:
        raise SystemExit(f"error: {xml}: states size {size}, but {png} is {img.size}")
    return img, boxes


def write_tiles(src, names, out, stem):
    """Cuts the images into TILE x TILE tiles (row by row), appends them to OUT/<stem>.u8 and returns the COCO
    images and annotations."""
    images, annotations = [], []
    with open(os.path.join(out, stem + ".u8"), "wb") as raw:
        for name in names:
            img, boxes = load(src, name)
            for oy in offsets(img.height):
                for ox in offsets(img.width):
                    raw.write(img.crop((ox, oy, ox + TILE, oy + TILE)).tobytes())
                    image_id = len(images) + 1
                    images.append({"id": image_id, "file_name": f"{name}.png@{ox},{oy}", "width": TILE,
                                   "height": TILE})
                    for b in boxes:
                        x0, y0 = max(b[0], ox), max(b[1], oy)
                        x1, y1 = min(b[2], ox + TILE), min(b[3], oy + TILE)
                        if x1 <= x0 or y1 <= y0:
                            continue
                        if (x1 - x0) * (y1 - y0) < MIN_VISIBLE * (b[2] - b[0]) * (b[3] - b[1]):
                            continue
                        w, h = x1 - x0, y1 - y0
                        annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": 1,
                                            "bbox": [x0 - ox, y0 - oy, w, h], "area": w * h, "iscrowd": 0})
    return images, annotations


def canvases(args):
    import numpy as np
    from PIL import Image
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "references", "pytorch"))
    import fashion_canvases as fc
    images, labels = fc.read_split(args.src, "t10k", np)
    rng = np.random.default_rng(args.seed)
    coco_images, annotations = [], []
    with open(os.path.join(args.out, "test.u8"), "wb") as raw:
        for i in range(args.images):
            canvas, boxes, classes = fc.scene(rng, images, labels, np, Image)
            raw.write(canvas.tobytes())
            coco_images.append({"id": i + 1, "file_name": f"scene_{i + 1}", "width": fc.SIDE, "height": fc.SIDE})
            for (x0, y0, x1, y1), c in zip(boxes.tolist(), classes.tolist()):
                w, h = int(x1 - x0), int(y1 - y0)
                annotations.append({"id": len(annotations) + 1, "image_id": i + 1, "category_id": c + 1,
                                    "bbox": [int(x0), int(y0), w, h], "area": w * h, "iscrowd": 0})
    with open(os.path.join(args.out, "instances_test.json"), "w") as f:
        json.dump({"info": {"description": f"Fashion-MNIST test-split scenes, seed {args.seed} (SwiftMLPerf)"},
                   "images": coco_images, "annotations": annotations,
                   "categories": [{"id": k + 1, "name": n, "supercategory": "fashion"}
                                  for k, n in enumerate(fc.CLASSES)]}, f)
        f.write("\n")
    print(f"test: {len(coco_images)} scenes, {len(annotations)} items")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=["canvases", "trees"])
    p.add_argument("src")
    p.add_argument("out")
    p.add_argument("--images", type=int, default=500, help="canvases: how many test scenes")
    p.add_argument("--seed", type=int, default=2026, help="canvases: the scenes' seed")
    args = p.parse_args()
    try:
        import PIL  # noqa: F401
    except ImportError:
        print("error: Pillow is missing: apt-get install python3-pil (scripts/setup.sh does)", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    if args.kind == "canvases":
        return canvases(args)
    train = []
    for k, name in enumerate(TRAIN):
        img, boxes = load(args.src, name)
        file = f"train_{k}.u8"
        with open(os.path.join(args.out, file), "wb") as f:
            f.write(img.tobytes())
        train.append({"file": file, "site": name.split("_")[1], "source": name + ".png", "width": img.width,
                      "height": img.height, "boxes": boxes})
    with open(os.path.join(args.out, "train.json"), "w") as f:
        json.dump({"images": train}, f)
        f.write("\n")

    counts = []
    for names, stem, description in [(TEST, "test", "the test image"), (OTHER_SITES, "other_sites", "other sites")]:
        images, annotations = write_tiles(args.src, names, args.out, stem)
        with open(os.path.join(args.out, f"instances_{stem}.json"), "w") as f:
            json.dump({"info": {"description": f"deepforest 2.1.0 {' + '.join(names)}, 256 px tiles (SwiftMLPerf)"},
                       "images": images, "annotations": annotations,
                       "categories": [{"id": 1, "name": "Tree", "supercategory": "plant"}]}, f)
            f.write("\n")
        counts.append(f"{description}: {len(images)} tiles, {len(annotations)} boxes")
    print(f"train: {len(train)} image, {sum(len(t['boxes']) for t in train)} boxes; " + "; ".join(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
