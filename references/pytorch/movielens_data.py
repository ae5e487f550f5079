#!/usr/bin/python3
"""MovieLens (dslabs `movielens`) prepared for the `ncf` benchmark, exactly as docs/datasets.md says:
users and items numbered by ascending id, leave-one-out by (timestamp, item), 100 SplitMix64 test negatives
per user.

    .venv/bin/python3 references/pytorch/movielens_data.py [--data-dir D] --dump FILE

The dump (compared byte for byte with the Swift side's): line 1 `users U items I`; then one line per user
`u test_pos neg1 ... neg100`; then one line `u i` per training positive, in (user, timestamp, item) order.
Errors go to stderr with exit status 2.
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = os.path.join(os.path.dirname(os.path.dirname(HERE)),
                           "data/pkgs/r-cran-dslabs/usr/lib/R/site-library/dslabs/data")
HINT = "run scripts/setup.sh, or set MLPERF_MOVIELENS_DIR (or --data-dir) to the dslabs data directory"
NEGATIVE_SEED = 0x6E6366  # "ncf"
TEST_NEGATIVES = 100
MASK64 = (1 << 64) - 1

sys.path.insert(0, HERE)
from rdata_lazyload import LazyLoadError, read_object  # noqa: E402


class DatasetError(Exception):
    pass


def default_data_dir():
    return os.environ.get("MLPERF_MOVIELENS_DIR") or DEFAULT_DIR


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


class MovieLens:
    """num_users, num_items; train_users/train_items (int64 arrays, (user, timestamp, item) order);
    test_items[u] (the test positive); test_negatives (int64 [users, 100]); rated[u] (set of all items)."""

    def __init__(self, data_dir):
        try:
            frame = read_object(data_dir, "movielens", HINT)
        except LazyLoadError as e:
            raise DatasetError(str(e)) from None
        for col in ("userId", "movieId", "timestamp"):
            if col not in frame or isinstance(frame[col], dict):
                raise DatasetError(f"{data_dir}/Rdata.rdb: object 'movielens' has no numeric column {col!r}. {HINT}")
        user_ids = np.asarray(frame["userId"], dtype=np.int64)
        movie_ids = np.asarray(frame["movieId"], dtype=np.int64)
        stamps = np.asarray(frame["timestamp"], dtype=np.int64)
        uniq_users, users = np.unique(user_ids, return_inverse=True)
        uniq_items, items = np.unique(movie_ids, return_inverse=True)
        self.num_users, self.num_items = len(uniq_users), len(uniq_items)
        self.num_ratings = len(users)
        pair = users * self.num_items + items
        if len(np.unique(pair)) != len(pair):
            first = np.sort(pair)[np.nonzero(np.diff(np.sort(pair)) == 0)[0][0]]
            raise DatasetError(f"{data_dir}/Rdata.rdb: 'movielens' rates item {first % self.num_items} twice "
                               f"for user {first // self.num_items}; the data is damaged. {HINT}")
        order = np.lexsort((items, stamps, users))  # by user, then timestamp, then item
        users, items = users[order], items[order]
        last = np.r_[users[1:] != users[:-1], True]  # last rating of each user
        self.test_items = items[last]
        self.train_users, self.train_items = users[~last], items[~last]
        starts = np.r_[0, np.nonzero(last)[0][:-1] + 1]
        ends = np.nonzero(last)[0] + 1
        self.rated = [set(items[s:e].tolist()) for s, e in zip(starts, ends)]
        self.test_negatives = self._negatives()

    def _negatives(self):
        rng = SplitMix64(NEGATIVE_SEED)
        out = np.empty((self.num_users, TEST_NEGATIVES), dtype=np.int64)
        for u in range(self.num_users):
            seen = self.rated[u]
            drawn = []
            chosen = set()
            while len(drawn) < TEST_NEGATIVES:
                item = rng.next() % self.num_items
                if item in seen or item in chosen:
                    continue
                chosen.add(item)
                drawn.append(item)
            out[u] = drawn
        return out

    def candidates(self):
        """[users, 101]: the test positive, then the 100 negatives."""
        return np.concatenate([self.test_items[:, None], self.test_negatives], axis=1)

    def dump(self, path):
        lines = [f"users {self.num_users} items {self.num_items}"]
        for u in range(self.num_users):
            lines.append(" ".join(str(int(v)) for v in [u, self.test_items[u], *self.test_negatives[u]]))
        lines.extend(f"{u} {i}" for u, i in zip(self.train_users.tolist(), self.train_items.tolist()))
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=default_data_dir())
    p.add_argument("--dump", required=True, metavar="FILE", help="write the canonical text dump")
    args = p.parse_args()
    try:
        data = MovieLens(args.data_dir)
        data.dump(args.dump)
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {args.dump}: cannot write the dump ({e.strerror}); choose a writable path", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
