#!/usr/bin/python3
"""The `text-detection` benchmark's test images: words rendered with Debian's DejaVu fonts onto 320x320 canvases,
seeded, with the exact box of every word. Run by scripts/setup.sh (under the project's .venv, which sees Debian's
python3-pil); the output is cached and checked by its SHA-256.

    .venv/bin/python3 scripts/data/text_detection.py OUT_DIR [--images 128] [--seed 2026]

Writes OUT_DIR/images.u8 (N x 320 x 320 x 3 uint8, RGB, row-major) and OUT_DIR/boxes.json
({"images": N, "height": 320, "width": 320, "seed": S, "boxes": [[[x0, y0, x1, y1], ...], ...]}, pixel edges,
x1/y1 exclusive). Rules (docs/datasets.md, `text-detection`):
  * background: a light colour (each channel 200-255) plus integer noise uniform in [-8, 8] per pixel and channel
    (numpy's default_rng(seed)), clipped to 0-255;
  * 3-7 words per image; a word is 3-9 characters from a-z, A-Z and 0-9; font DejaVuSans, DejaVuSerif or
    DejaVuSansMono (regular or bold) at 18-34 px; a dark colour (each channel 0-90);
  * placement: uniform random, inside a 6 px margin, rejected (up to 200 tries) if its box, grown by 6 px, meets an
    earlier word's box; the box is the rendered ink's bounding box (PIL textbbox), drawn horizontally.
Errors go to stderr with exit status 2.
"""
import argparse
import json
import os
import random
import sys

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONTS = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSansMono.ttf",
         "DejaVuSansMono-Bold.ttf"]
SIZE = 320
MARGIN = 6
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--images", type=int, default=128)
    p.add_argument("--seed", type=int, default=2026)
    args = p.parse_args()
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        print("error: Pillow is missing: apt-get install python3-pil (scripts/setup.sh does)", file=sys.stderr)
        return 2
    fonts = {}
    for name in FONTS:
        path = os.path.join(FONT_DIR, name)
        if not os.path.exists(path):
            print(f"error: {path}: no such font: apt-get install fonts-dejavu-core fonts-dejavu-extra "
                  "(scripts/setup.sh does)", file=sys.stderr)
            return 2
    import numpy as np
    rng = random.Random(args.seed)
    noise_rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    all_boxes = []
    with open(os.path.join(args.out, "images.u8"), "wb") as raw:
        for _ in range(args.images):
            bg = tuple(rng.randint(200, 255) for _ in range(3))
            pixels = np.clip(np.array(bg, dtype=np.int16) + noise_rng.integers(-8, 9, size=(SIZE, SIZE, 3)), 0, 255)
            img = Image.fromarray(pixels.astype(np.uint8), "RGB")
            draw = ImageDraw.Draw(img)
            boxes = []
            for _ in range(rng.randint(3, 7)):
                text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(3, 9)))
                name, size = rng.choice(FONTS), rng.randint(18, 34)
                font = fonts.get((name, size)) or fonts.setdefault((name, size),
                                                                   ImageFont.truetype(os.path.join(FONT_DIR, name), size))
                colour = tuple(rng.randint(0, 90) for _ in range(3))
                # The word's line box: its advance width by the font's ascent + descent (what text detectors are
                # trained to find: the ink plus the line's room above and below).
                ascent, descent = font.getmetrics()
                l, t, r, b = 0, 0, int(round(draw.textlength(text, font=font))), ascent + descent
                w, h = r - l, b - t
                if w + 2 * MARGIN >= SIZE:
                    continue
                for _ in range(200):
                    x = rng.randint(MARGIN, SIZE - MARGIN - w)
                    y = rng.randint(MARGIN, SIZE - MARGIN - h)
                    box = [x, y, x + w, y + h]
                    if all(box[0] - MARGIN >= o[2] or box[2] + MARGIN <= o[0] or box[1] - MARGIN >= o[3]
                           or box[3] + MARGIN <= o[1] for o in boxes):
                        draw.text((x - l, y - t), text, font=font, fill=colour)
                        boxes.append(box)
                        break
            raw.write(img.tobytes())
            all_boxes.append(boxes)
    with open(os.path.join(args.out, "boxes.json"), "w") as f:
        json.dump({"images": args.images, "height": SIZE, "width": SIZE, "seed": args.seed, "boxes": all_boxes}, f)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
