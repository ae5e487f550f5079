#!/usr/bin/env python3
"""English→German sentence pairs from LibreOffice's offline help (Debian libreoffice-help-en-us + -de).

Usage: translation.py EN_HELP DE_HELP OUT_DIR
  EN_HELP, DE_HELP: usr/share/libreoffice/help/en-US and …/de of the unpacked packages (each with text/ below it).
Writes OUT_DIR/train.jsonl and OUT_DIR/test.jsonl: one pair per line, {"file", "id", "en", "de"}.

Rules (docs/datasets.md, translation):
- A pair is the text of the same element id (p or h1–h6) in the same help file in both languages; text is the
  element's character data with nested markup dropped and whitespace collapsed to single spaces.
- Kept: English of 3–40 words, German non-empty, German differs from English.
- Split by help file, never by sentence: a file is a test file when the first byte of SHA-256(path) < 13
  (≈5 %), so test sentences come from pages never seen in training.
- De-duplicated on the English side: the first pair (files in path order) keeps an English text; a test pair whose
  English also occurs in a training file is dropped.
Standard library only (html.parser); deterministic (no randomness).
"""
import hashlib
import json
import os
import re
import sys
from html.parser import HTMLParser

TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6"}
SPACE = re.compile(r"\s+")


class Elements(HTMLParser):
    """Collects {id: text} of the id'd p/h elements of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts = {}
        self.current = None  # (tag, id, [parts])

    def handle_starttag(self, tag, attrs):
        if tag in TAGS and self.current is None:
            ident = dict(attrs).get("id")
            if ident:
                self.current = (tag, ident, [])

    def handle_endtag(self, tag):
        if self.current is not None and tag == self.current[0]:
            _, ident, parts = self.current
            text = SPACE.sub(" ", "".join(parts)).strip()
            if text and ident not in self.texts:
                self.texts[ident] = text
            self.current = None

    def handle_data(self, data):
        if self.current is not None:
            self.current[2].append(data)


def elements(path):
    parser = Elements()
    with open(path, encoding="utf-8") as f:
        parser.feed(f.read())
    parser.close()
    return parser.texts


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    en_root, de_root, out = sys.argv[1:]
    for root, package in ((en_root, "libreoffice-help-en-us"), (de_root, "libreoffice-help-de")):
        if not os.path.isdir(os.path.join(root, "text")):
            sys.exit(f"{root}: expected text/ below it (the unpacked {package})")
    files = []
    for d, _, names in os.walk(os.path.join(en_root, "text")):
        for n in names:
            if n.endswith(".html"):
                files.append(os.path.relpath(os.path.join(d, n), en_root))
    files.sort()
    splits = {"train": [], "test": []}
    for rel in files:
        de_path = os.path.join(de_root, rel)
        if not os.path.exists(de_path):
            continue
        split = "test" if hashlib.sha256(rel.encode()).digest()[0] < 13 else "train"
        en, de = elements(os.path.join(en_root, rel)), elements(de_path)
        for ident, text in en.items():
            german = de.get(ident)
            if not german or german == text or not 3 <= len(text.split()) <= 40:
                continue
            splits[split].append({"file": rel, "id": ident, "en": text, "de": german})
    seen = set()
    kept = {}
    for split in ("train", "test"):
        kept[split] = []
        for pair in splits[split]:
            if pair["en"] in seen:
                continue
            seen.add(pair["en"])
            kept[split].append(pair)
    os.makedirs(out, exist_ok=True)
    for split, pairs in kept.items():
        with open(os.path.join(out, split + ".jsonl"), "w", encoding="utf-8") as f:
            for pair in pairs:
                f.write(json.dumps(pair, ensure_ascii=False, sort_keys=True) + "\n")
        print(f"{split}: {len(pairs)} pairs from {len({p['file'] for p in pairs})} files")


if __name__ == "__main__":
    main()
