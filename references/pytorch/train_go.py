#!/usr/bin/python3
"""PyTorch reference for the SwiftMLPerf `go` benchmark (reinforcement learning, MiniGo on 9x9 in miniature): a
residual policy/value network that improves from its own self-play, bootstrapped from GnuGo games
(docs/datasets.md, `go`). Runs on Debian's python3-torch (CPU), under the project's environment:

    .venv/bin/python3 references/pytorch/train_go.py --seed N [--data-dir D] [--onnx-out F] [--threads 1]
        [--max-epochs G] [--selfplay-bin B] [--versus-games 100]

What runs where. PyTorch: the network, its training and the move-agreement eval. Swift (`go-selfplay`, built by
`swift build -c release --product go-selfplay`): the rules (`GoBoard`, checked against GnuGo), the input planes,
self-play with MCTS over the exported network (ONNX Runtime), and games against GnuGo.

One run (time to train counts from run_start):
  * init (untimed): the input planes of the GnuGo games (held-out set: the eval; bootstrap set: the first
    training data);
  * epoch 1: supervised on the bootstrap games, BOOTSTRAP_STEPS minibatches (policy: GnuGo's move; value: the
    game's outcome);
  * epochs 2, 3, ...: one self-play generation each, as MiniGo: export the network, `go-selfplay self-play` in two
    processes (GAMES_PER_GENERATION games, SIMULATIONS MCTS simulations a move, Dirichlet noise at the root), then
    STEPS_PER_GENERATION minibatches whose examples come from the latest WINDOW generations' self-play (policy: the
    search's visit distribution; value: the game's outcome) and, for BOOTSTRAP_SHARE of each minibatch, from the
    bootstrap games (which keeps the policy near GnuGo's style while self-play improves it; --bootstrap-share 1 is
    the supervised ablation);
  * every example under a random one of the board's 8 symmetries;
  * eval after every epoch: top-1 agreement of the policy's argmax with GnuGo's moves in the held-out games
    (MiniGo v0.5's move-prediction metric); stop at the first >= target.
After run_stop (untimed), with --onnx-out: the network as ONNX (`board` float32 [N,12,9,9] -> `policy` [N,82],
`value` [N,1]) and N (--versus-games, 100 by default) games against GnuGo (level VERSUS_LEVEL, alternating colours) whose
win rate goes to MODEL.versus.json.

MLLOG lines go to stdout in mlperf_logging's layout; errors go to stderr with exit status 2.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_log  # noqa: E402
from reference_log import end, event, start  # noqa: E402

BENCHMARK = "go"
PLANES = 12
MOVES = 82
CHANNELS = 32
BLOCKS = 3
BATCH = 256
LEARNING_RATE = 2e-3
WEIGHT_DECAY = 1e-4
BOOTSTRAP_STEPS = 150           # epoch 1: minibatches of bootstrap positions
BOOTSTRAP_SHARE = 0.5           # epochs 2+: the share of each minibatch drawn from the bootstrap positions
GAMES_PER_GENERATION = 48       # self-play games a generation (two processes of half each)
SIMULATIONS = 32                # MCTS simulations a move in self-play
WINDOW = 4                      # generations of self-play kept for training
STEPS_PER_GENERATION = 100
VALUE_WEIGHT = 1.0
MAX_EPOCHS = 16
TARGET = 0.38
VERSUS_LEVEL = 0
VERSUS_GAMES = 100
VERSUS_SIMULATIONS = 32         # MCTS simulations a move against GnuGo (as in self-play)


def default_data_dir():
    return os.environ.get("MLPERF_GO_DIR") or os.path.join(os.path.dirname(os.path.dirname(HERE)), "data",
                                                          "generated", "go")


def default_selfplay_bin():
    """The release build of `go-selfplay` (scripts/suite.sh makes it), else the debug one (scripts/test.sh)."""
    builds = os.path.join(os.path.dirname(os.path.dirname(HERE)), ".build")
    candidates = [os.path.join(builds, kind, "go-selfplay") for kind in ("release", "debug")]
    return next((c for c in candidates if os.access(c, os.X_OK)), candidates[0])


def run_tool(binary, args):
    """`go-selfplay ARGS`, its JSON answer; SystemExit with its stderr on failure."""
    r = subprocess.run([binary] + args, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"error: {binary} {' '.join(args)} failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


def run_tools(binary, arg_lists):
    """Several `go-selfplay` processes at once (self-play on both cores); their JSON answers."""
    procs = [subprocess.Popen([binary] + a, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for a in arg_lists]
    try:
        answers = []
        for p, a in zip(procs, arg_lists):
            out, err = p.communicate()
            if p.returncode != 0:
                raise SystemExit(f"error: {binary} {' '.join(a)} failed: {err.strip()}")
            answers.append(json.loads(out))
        return answers
    finally:
        for p in procs:  # a failure leaves no process running on the other core
            if p.poll() is None:
                p.kill()
                p.wait()


def load_positions(np, binary, data_dir, name, scratch):
    prefix = os.path.join(scratch, name)
    info = run_tool(binary, ["positions", "--data-dir", data_dir, "--set", name, "--out", prefix])
    n = info["positions"]
    planes = np.fromfile(prefix + ".planes.f32", dtype="<f4").reshape(n, PLANES, 9, 9)
    moves = np.fromfile(prefix + ".moves.i32", dtype="<i4")
    outcomes = np.fromfile(prefix + ".outcomes.f32", dtype="<f4")
    return planes, moves, outcomes


def build_model(torch):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, bias=False)
            self.an = nn.BatchNorm2d(CHANNELS)
            self.b = nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, bias=False)
            self.bn = nn.BatchNorm2d(CHANNELS)

        def forward(self, x):
            h = torch.relu(self.an(self.a(x)))
            return torch.relu(x + self.bn(self.b(h)))

    class Net(nn.Module):
        """AlphaGo Zero's residual tower in miniature: conv 3x3 -> BLOCKS residual blocks -> policy head (1x1 conv
        to 2 planes, linear to 82 logits) and value head (1x1 conv to 1 plane, linear 64, linear 1, tanh)."""

        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(PLANES, CHANNELS, 3, padding=1, bias=False), nn.BatchNorm2d(CHANNELS),
                                      nn.ReLU())
            self.blocks = nn.Sequential(*[Block() for _ in range(BLOCKS)])
            self.policy_conv = nn.Sequential(nn.Conv2d(CHANNELS, 2, 1, bias=False), nn.BatchNorm2d(2), nn.ReLU())
            self.policy_fc = nn.Linear(2 * 81, MOVES)
            self.value_conv = nn.Sequential(nn.Conv2d(CHANNELS, 1, 1, bias=False), nn.BatchNorm2d(1), nn.ReLU())
            self.value_fc = nn.Sequential(nn.Linear(81, 64), nn.ReLU(), nn.Linear(64, 1), nn.Tanh())

        def forward(self, board):
            h = self.blocks(self.stem(board))
            return self.policy_fc(self.policy_conv(h).flatten(1)), self.value_fc(self.value_conv(h).flatten(1))

    return Net()


def dihedral(torch, planes, policies, generator):
    """Each example under one of the board's 8 symmetries (rotations by 90 degrees, with and without a mirror), drawn
    at random, as AlphaGo Zero and MiniGo augment: planes [N,12,9,9] and the 81 point entries of policies [N,82] move
    together; the pass entry stays."""
    n = planes.shape[0]
    which = torch.randint(0, 8, (n,), generator=generator)
    points = policies[:, :81].reshape(n, 9, 9)
    out_planes, out_points = planes.clone(), points.clone()
    for t in range(1, 8):
        mask = which == t
        if not bool(mask.any()):
            continue
        a, b = planes[mask], points[mask]
        if t >= 4:
            a, b = a.flip(-1), b.flip(-1)
        out_planes[mask] = torch.rot90(a, t % 4, dims=(-2, -1))
        out_points[mask] = torch.rot90(b, t % 4, dims=(-2, -1))
    return out_planes, torch.cat([out_points.reshape(n, 81), policies[:, 81:]], dim=1)


def train_steps(torch, model, optimizer, sets, steps, generator):
    """`steps` minibatches of BATCH, each drawn at random (with replacement) from `sets`: a list of (planes, policy
    targets [N,82] as distributions, outcomes, share of the batch); every example under a random symmetry. Loss:
    policy cross-entropy + VALUE_WEIGHT x value mean squared error."""
    model.train()
    counts = [int(round(BATCH * share)) for *_, share in sets]
    counts[-1] = BATCH - sum(counts[:-1])
    for _ in range(steps):
        parts = [(p[idx], t[idx], o[idx]) for (p, t, o, _), c in zip(sets, counts) if c > 0
                 for idx in [torch.randint(0, p.shape[0], (c,), generator=generator)]]
        planes, targets = dihedral(torch, torch.cat([x[0] for x in parts]), torch.cat([x[1] for x in parts]), generator)
        outcomes = torch.cat([x[2] for x in parts])
        logits, value = model(planes)
        policy_loss = -(targets * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
        value_loss = ((value.squeeze(1) - outcomes) ** 2).mean()
        optimizer.zero_grad(set_to_none=True)
        (policy_loss + VALUE_WEIGHT * value_loss).backward()
        optimizer.step()


def agreement(torch, model, planes, moves):
    """Top-1 agreement of the policy's argmax with the moves played."""
    model.eval()
    hits = 0
    with torch.no_grad():
        for i in range(0, planes.shape[0], 1024):
            logits, _ = model(planes[i:i + 1024])
            hits += int((logits.argmax(dim=1) == moves[i:i + 1024]).sum())
    return hits / planes.shape[0]


def export(torch, model, path):
    import numpy as np
    import onnxruntime
    model.eval()
    sample = torch.zeros(2, PLANES, 9, 9)
    sample[:, 2] = 1
    sample[:, 9] = 1
    torch.onnx.export(model, sample, path, input_names=["board"], output_names=["policy", "value"], opset_version=13,
                      dynamic_axes={"board": {0: "N"}, "policy": {0: "N"}, "value": {0: "N"}})
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = session.run(None, {"board": sample.numpy()})
    with torch.no_grad():
        want = [t.numpy() for t in model(sample)]
    for g, w in zip(got, want):
        if not np.allclose(g, w, atol=1e-4, rtol=1e-4):
            raise SystemExit(f"error: {path}: ONNX Runtime differs from torch by {np.abs(g - w).max()}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    reference_log.add_common_arguments(
        p, data_dir=default_data_dir(), max_epochs=MAX_EPOCHS, target=TARGET,
        onnx_help="write the network as ONNX (after run_stop, untimed)",
        train_help="use the first N bootstrap positions only (tests)",
        eval_help="evaluate on the first N held-out positions only (tests)")
    p.add_argument("--selfplay-bin", default=default_selfplay_bin())
    p.add_argument("--versus-games", type=int, default=VERSUS_GAMES,
                   help="after run_stop, with --onnx-out: games against GnuGo, win rate to MODEL.versus.json (0: none)")
    p.add_argument("--games-per-generation", type=int, default=GAMES_PER_GENERATION)
    p.add_argument("--bootstrap-share", type=float, default=BOOTSTRAP_SHARE,
                   help="epochs 2+: the share of each minibatch from the GnuGo bootstrap games (1: no self-play "
                        "examples, the supervised ablation; open division)")
    args = p.parse_args()
    torch = reference_log.import_torch()
    if torch is None:
        return 2
    import numpy as np
    if not os.access(args.selfplay_bin, os.X_OK):
        print(f"error: {args.selfplay_bin} is missing: build it with `swift build -c release --product go-selfplay` "
              "(or give --selfplay-bin)", file=sys.stderr)
        return 2

    reference_log.header(BENCHMARK, args)
    torch.set_num_threads(args.threads)
    scratch = tempfile.mkdtemp(prefix="train_go_")
    held_planes, held_moves, _ = load_positions(np, args.selfplay_bin, args.data_dir, "heldout", scratch)
    boot_planes, boot_moves, boot_outcomes = load_positions(np, args.selfplay_bin, args.data_dir, "bootstrap", scratch)
    if args.eval_limit:
        held_planes, held_moves = held_planes[:args.eval_limit], held_moves[:args.eval_limit]
    if args.train_limit:
        boot_planes, boot_moves = boot_planes[:args.train_limit], boot_moves[:args.train_limit]
        boot_outcomes = boot_outcomes[:args.train_limit]
    held_planes, held_moves = torch.from_numpy(held_planes), torch.from_numpy(held_moves).long()
    boot_targets = np.zeros((boot_moves.shape[0], MOVES), dtype=np.float32)
    boot_targets[np.arange(boot_moves.shape[0]), boot_moves] = 1

    torch.manual_seed(args.seed)
    model = build_model(torch)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    generator = torch.Generator()
    generator.manual_seed(args.seed)

    end("init_stop")
    start("run_start")
    event("seed", args.seed)
    event("global_batch_size", BATCH)
    event("opt_name", "adam")
    event("opt_base_learning_rate", LEARNING_RATE)
    event("opt_weight_decay", WEIGHT_DECAY)
    event("train_samples", int(boot_moves.shape[0]))
    event("eval_samples", int(held_moves.shape[0]))
    event("selfplay_games_per_generation", args.games_per_generation)
    event("selfplay_simulations", SIMULATIONS)
    event("bootstrap_steps", BOOTSTRAP_STEPS)
    event("bootstrap_share", args.bootstrap_share)
    event("steps_per_generation", STEPS_PER_GENERATION)

    bootstrap = (torch.from_numpy(boot_planes), torch.from_numpy(boot_targets), torch.from_numpy(boot_outcomes))
    window = []
    success = False
    for epoch in range(1, max(1, args.max_epochs) + 1):
        reference_log.epoch_begin(epoch)
        if epoch == 1:
            train_steps(torch, model, optimizer, [bootstrap + (1.0,)], BOOTSTRAP_STEPS, generator)
        else:
            path = os.path.join(scratch, f"gen{epoch}.onnx")
            export(torch, model, path)
            half = args.games_per_generation // 2
            counts = (half, args.games_per_generation - half)
            prefixes = [os.path.join(scratch, f"gen{epoch}-{k}") for k in range(2)]
            infos = run_tools(args.selfplay_bin, [
                ["self-play", "--model", path, "--games", str(counts[k]), "--simulations", str(SIMULATIONS),
                 "--seed", str(args.seed * 1000 + epoch * 10 + k), "--out", prefixes[k]] for k in range(2)])
            for prefix, info in zip(prefixes, infos):
                n = info["positions"]
                window.append((np.fromfile(prefix + ".planes.f32", dtype="<f4").reshape(n, PLANES, 9, 9),
                               np.fromfile(prefix + ".policies.f32", dtype="<f4").reshape(n, MOVES),
                               np.fromfile(prefix + ".outcomes.f32", dtype="<f4")))
            window = window[-2 * WINDOW:]
            planes = torch.from_numpy(np.concatenate([w[0] for w in window]))
            targets = torch.from_numpy(np.concatenate([w[1] for w in window]))
            outcomes = torch.from_numpy(np.concatenate([w[2] for w in window]))
            train_steps(torch, model, optimizer, [(planes, targets, outcomes, 1 - args.bootstrap_share),
                                                  bootstrap + (args.bootstrap_share,)], STEPS_PER_GENERATION, generator)
        reference_log.epoch_trained(epoch)
        score = agreement(torch, model, held_planes, held_moves)
        reference_log.epoch_evaluated(epoch, score)
        if score >= args.target:
            success = True
            break
    end("run_stop", metadata={"status": "success" if success else "aborted"})

    if args.onnx_out:
        export(torch, model, args.onnx_out)
        if args.versus_games > 0:
            half = args.versus_games // 2
            answers = run_tools(args.selfplay_bin, [
                ["versus", "--model", args.onnx_out, "--games", str(n), "--level", str(VERSUS_LEVEL),
                 "--simulations", str(VERSUS_SIMULATIONS), "--seed", str(2026), "--first", str(first)]
                for first, n in ((0, half), (half, args.versus_games - half))])
            wins = sum(a["wins"] for a in answers)
            stem = args.onnx_out[:-5] if args.onnx_out.endswith(".onnx") else args.onnx_out
            with open(stem + ".versus.json", "w") as f:
                json.dump({"gnugo_level": VERSUS_LEVEL, "simulations": VERSUS_SIMULATIONS, "games": args.versus_games, "wins": wins,
                           "win_rate": wins / args.versus_games,
                           "results": [r for a in answers for r in a["results"]]}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
