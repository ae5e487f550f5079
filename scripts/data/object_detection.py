#!/usr/bin/python3
"""The `object-detection` benchmark's test set, made once by scripts/setup.sh (under the project's .venv, which sees
Debian's python3-pil); the output is cached and checked by its SHA-256.

    .venv/bin/python3 scripts/data/object_detection.py FASHION_MNIST_DIR OUT_DIR [--images 500] [--seed 2026]

Scenes of real Fashion-MNIST items pasted on 128x128 canvases, drawn from the test split by the rules of
references/pytorch/fashion_canvases.py. Writes OUT_DIR/test.u8 (N x 128 x 128 uint8, grey, row-major) and
OUT_DIR/instances_test.json (COCO: images 1..N in test.u8 order, annotations with bbox [x, y, w, h] in pixels, area
w*h, iscrowd 0, categories 1-10 = Fashion-MNIST labels 0-9). Errors go to stderr with exit status 2.
"""
import argparse
import json
import os
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("fashion_dir")
    p.add_argument("out")
    p.add_argument("--images", type=int, default=500)
    p.add_argument("--seed", type=int, default=2026)
    args = p.parse_args()
    try:
        from PIL import Image
    except ImportError:
        print("error: Pillow is missing: apt-get install python3-pil (scripts/setup.sh does)", file=sys.stderr)
        return 2
    import numpy as np
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "references", "pytorch"))
    import fashion_canvases as fc
    images, labels = fc.read_split(args.fashion_dir, "t10k", np)
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
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


if __name__ == "__main__":
    sys.exit(main())
