#!/usr/bin/python3
"""Amazon fine-food reviews (modeldata `training_data` / `testing_data`) prepared for the `sentiment` benchmark,
exactly as docs/datasets.md says: tokenisation, the vocabulary (unigrams + bigrams) from the training reviews,
fixed-length int64 sequences.

    .venv/bin/python3 references/pytorch/fine_foods_data.py [--data-dir D] --build-vocab OUT.json
    .venv/bin/python3 references/pytorch/fine_foods_data.py [--data-dir D] --dump-tokens FILE --vocab VOCAB.json

--dump-tokens writes, for every test review in order, one line of its SEQUENCE_LENGTH ids separated by spaces.
Errors go to stderr with exit status 2.
"""
import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = os.path.join(os.path.dirname(os.path.dirname(HERE)),
                           "data/pkgs/r-cran-modeldata/usr/lib/R/site-library/modeldata/data")
HINT = "run scripts/setup.sh, or set MLPERF_FINE_FOODS_DIR (or --data-dir) to the modeldata data directory"

# Vocabulary parameters (docs/datasets.md, `sentiment` 3-4).
MIN_COUNT = 2
MAX_UNIGRAMS = 10000
MAX_BIGRAMS = 20000
MAX_WORDS = 256
SEQUENCE_LENGTH = 512
PAD, UNKNOWN = 0, 1

sys.path.insert(0, HERE)
from rdata_lazyload import LazyLoadError, read_object  # noqa: E402

_BREAK = re.compile(r"<br(?: /|/)?>", re.IGNORECASE | re.ASCII)
_TOKEN = re.compile(r"[a-z0-9]+")
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "'\u2019")


class DatasetError(Exception):
    pass


def default_data_dir():
    return os.environ.get("MLPERF_FINE_FOODS_DIR") or DEFAULT_DIR


def tokenize(text):
    """`<br />`, `<br/>`, `<br>` (any case) → space; A-Z → a-z; apostrophes (' and ’) deleted; runs of [a-z0-9]."""
    return _TOKEN.findall(_BREAK.sub(" ", text).translate(_LOWER))


def load_split(data_dir, name):
    """(reviews: list of str, labels: list of int, 1 = great)."""
    try:
        frame = read_object(data_dir, name, HINT)
    except LazyLoadError as e:
        raise DatasetError(str(e)) from None
    where = f"{data_dir}/Rdata.rdb: object {name!r}"
    if "review" not in frame or isinstance(frame["review"], dict):
        raise DatasetError(f"{where} has no string column 'review'. {HINT}")
    score = frame.get("score")
    if not isinstance(score, dict) or "great" not in score["levels"]:
        raise DatasetError(f"{where} has no factor column 'score' with level 'great'. {HINT}")
    great = score["levels"].index("great")
    reviews = []
    for i, r in enumerate(frame["review"]):
        if not isinstance(r, str):
            raise DatasetError(f"{where}: review {i + 1} is missing (NA); the data is damaged. {HINT}")
        reviews.append(r)
    codes = [int(c) for c in score["codes"]]
    if any(c < 0 for c in codes):
        raise DatasetError(f"{where}: a score is missing (NA); the data is damaged. {HINT}")
    return reviews, [1 if c == great else 0 for c in codes]


def _ranked(counter, cap):
    kept = [(w, c) for w, c in counter.items() if c >= MIN_COUNT]
    kept.sort(key=lambda wc: (-wc[1], wc[0].encode("utf-8")))
    return [w for w, _ in kept[:cap]]


def build_vocab(train_reviews):
    """Counts over every token (and every consecutive pair) of every training review, untruncated."""
    unigrams, bigrams = {}, {}
    for review in train_reviews:
        tokens = tokenize(review)
        for t in tokens:
            unigrams[t] = unigrams.get(t, 0) + 1
        for a, b in zip(tokens, tokens[1:]):
            key = a + " " + b
            bigrams[key] = bigrams.get(key, 0) + 1
    return {"min_count": MIN_COUNT, "max_unigrams": MAX_UNIGRAMS, "max_bigrams": MAX_BIGRAMS,
            "max_words": MAX_WORDS, "sequence_length": SEQUENCE_LENGTH,
            "unigrams": _ranked(unigrams, MAX_UNIGRAMS), "bigrams": _ranked(bigrams, MAX_BIGRAMS)}


class Encoder:
    def __init__(self, vocab):
        self.max_words = int(vocab["max_words"])
        self.length = int(vocab["sequence_length"])
        self.unigram = {w: 2 + k for k, w in enumerate(vocab["unigrams"])}
        base = 2 + len(vocab["unigrams"])
        self.bigram = {w: base + k for k, w in enumerate(vocab["bigrams"])}
        self.size = base + len(vocab["bigrams"])

    def encode(self, review):
        tokens = tokenize(review)[:self.max_words]
        ids = [self.unigram.get(t, UNKNOWN) for t in tokens]
        for a, b in zip(tokens, tokens[1:]):
            j = self.bigram.get(a + " " + b)
            if j is not None:
                ids.append(j)
        ids = ids[:self.length]
        return ids + [PAD] * (self.length - len(ids))


def save_vocab(vocab, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=True, indent=1)
        f.write("\n")


def load_vocab(path):
    try:
        with open(path, encoding="utf-8") as f:
            vocab = json.load(f)
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file; build it with fine_foods_data.py --build-vocab {path}") from None
    except (OSError, ValueError) as e:
        raise DatasetError(f"{path}: not a readable vocabulary JSON ({e}); rebuild it with "
                           f"fine_foods_data.py --build-vocab {path}") from None
    for key in ("unigrams", "bigrams", "max_words", "sequence_length"):
        if key not in vocab:
            raise DatasetError(f"{path}: vocabulary has no {key!r}; rebuild it with "
                               f"fine_foods_data.py --build-vocab {path}")
    return vocab


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=default_data_dir())
    p.add_argument("--build-vocab", metavar="OUT.json", help="build the vocabulary from the training reviews")
    p.add_argument("--dump-tokens", metavar="FILE", help="write the test reviews' sequences, one line each")
    p.add_argument("--vocab", metavar="VOCAB.json", help="the vocabulary for --dump-tokens")
    args = p.parse_args()
    if not args.build_vocab and not args.dump_tokens:
        p.error("give --build-vocab OUT.json and/or --dump-tokens FILE --vocab VOCAB.json")
    if args.dump_tokens and not (args.vocab or args.build_vocab):
        p.error("--dump-tokens needs --vocab VOCAB.json (or --build-vocab OUT.json in the same run)")
    try:
        if args.build_vocab:
            train, _ = load_split(args.data_dir, "training_data")
            vocab = build_vocab(train)
            save_vocab(vocab, args.build_vocab)
        if args.dump_tokens:
            vocab = load_vocab(args.vocab or args.build_vocab)
            test, _ = load_split(args.data_dir, "testing_data")
            enc = Encoder(vocab)
            with open(args.dump_tokens, "w") as f:
                for review in test:
                    f.write(" ".join(str(i) for i in enc.encode(review)) + "\n")
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {e.filename}: cannot write ({e.strerror}); choose a writable path", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
