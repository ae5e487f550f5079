#!/usr/bin/python3
"""The reinforcement-learning (9x9 Go) benchmark's GnuGo games: Debian's GnuGo 3.8 playing both sides over GTP from
seeded random openings. Made once by scripts/setup.sh; the output is cached and checked by its SHA-256.

    .venv/bin/python3 scripts/data/go.py OUT_DIR [--heldout-games 30] [--heldout-level 10]
        [--bootstrap-games 300] [--bootstrap-level 1] [--seed 2026] [--workers 2] [--gnugo /usr/games/gnugo]

Two sets, each a JSON line per game ({"game", "level", "opening", "moves", "score"}):
  * heldout.jsonl: GnuGo at a strong level (10, its default), the positions whose next move a model must predict
    (MiniGo v0.5's move-prediction metric: top-1 agreement with these moves);
  * bootstrap.jsonl: GnuGo at a low level, games a trainer may learn from before its self-play.
Every game: `gnugo --mode gtp --boardsize 9 --komi 7.5 --chinese-rules --never-resign --level L --seed S` (S drawn from the game's
seeded Random), then an opening of 2-8 uniformly random legal moves (from GnuGo's own `all_legal`: no rules here),
then `genmove` for alternate colours until two passes in a row or 160 moves in all. `moves` are GTP vertices
("E5", "pass"); the first `opening` of them are the random ones; `score` is GnuGo's `final_score` ("B+12.0").
GnuGo's play depends only on the position, its level and its seed, so the files are the same on every run.
Errors go to stderr with exit status 2.
"""
import argparse
import json
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

MAX_MOVES = 160


class GTPError(Exception):
    pass


class GnuGo:
    def __init__(self, executable, level, seed):
        self.process = subprocess.Popen(
            [executable, "--mode", "gtp", "--boardsize", "9", "--komi", "7.5", "--chinese-rules", "--never-resign",
             "--level", str(level), "--seed", str(seed)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def send(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        lines = []
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise GTPError(f"GnuGo ended while answering `{command}`")
            line = line.strip()
            if not line:
                if lines:
                    break
                continue
            lines.append(line)
        reply = " ".join(lines)
        if not reply.startswith("="):
            raise GTPError(f"GnuGo refused `{command}`: {reply}")
        return reply[1:].strip()

    def close(self):
        try:
            self.send("quit")
        except (GTPError, OSError):
            pass
        self.process.wait()


def play_game(executable, split, index, level, seed):
    rng = random.Random(f"{seed}-{split}-{index}")
    engine = GnuGo(executable, level, rng.randrange(1, 2 ** 31))
    try:
        colours = ("black", "white")
        moves = []
        opening = rng.randint(2, 8)
        for k in range(opening):
            legal = engine.send("all_legal " + colours[k % 2]).split()
            move = rng.choice(legal) if legal else "pass"
            engine.send(f"play {colours[k % 2]} {move}")
            moves.append(move)
        passes = 0
        while passes < 2 and len(moves) < MAX_MOVES:
            move = engine.send("genmove " + colours[len(moves) % 2])
            move = "pass" if move.lower() == "pass" else move.upper()
            passes = passes + 1 if move == "pass" else 0
            moves.append(move)
        score = engine.send("final_score")
    finally:
        engine.close()
    return {"game": index, "level": level, "opening": opening, "moves": moves, "score": score}


def write_set(path, executable, split, games, level, seed, workers):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        records = list(pool.map(lambda i: play_game(executable, split, i, level, seed), range(games)))
    with open(path, "w") as f:
        for r in records:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
    positions = sum(len(r["moves"]) - r["opening"] for r in records)
    print(f"{path}: {games} games at level {level}, {positions} GnuGo moves")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--heldout-games", type=int, default=30)
    p.add_argument("--heldout-level", type=int, default=10)
    p.add_argument("--bootstrap-games", type=int, default=300)
    p.add_argument("--bootstrap-level", type=int, default=1)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--gnugo", default="/usr/games/gnugo")
    args = p.parse_args()
    if not os.access(args.gnugo, os.X_OK):
        print(f"error: {args.gnugo} is not an executable GnuGo: install Debian's gnugo (scripts/setup.sh does)",
              file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    try:
        write_set(os.path.join(args.out, "heldout.jsonl"), args.gnugo, "heldout", args.heldout_games,
                  args.heldout_level, args.seed, args.workers)
        write_set(os.path.join(args.out, "bootstrap.jsonl"), args.gnugo, "bootstrap", args.bootstrap_games,
                  args.bootstrap_level, args.seed, args.workers)
    except (GTPError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
