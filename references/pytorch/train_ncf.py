#!/usr/bin/python3
"""PyTorch reference for the SwiftMLPerf `ncf` benchmark: NeuMF (GMF + MLP, as MLPerf's NCF reference) on
MovieLens ml-latest-small (dslabs `movielens`), leave-one-out, HR@10 over 100 negatives (docs/datasets.md).
Runs on Debian's python3-torch (CPU), under the project's environment (.venv sees Debian's packages):

    .venv/bin/python3 references/pytorch/train_ncf.py --seed N [--data-dir D] [--onnx-out F]
        [--threads 1] [--max-epochs E]

Training: every rating is a positive; each epoch draws NEGATIVES_PER_POSITIVE negatives per training positive,
uniformly among the items the user never rated (train or test), with torch's generator seeded from --seed,
and shuffles the positives and negatives together. BCE with logits. Embeddings take sparse gradients and lazy
Adam (torch.optim.SparseAdam); the dense layers take Adam with the same lr, betas and eps.
HR@10 (and NDCG@10, in eval_accuracy's metadata) on every user after each epoch; stop at the first HR@10 ≥ target.

MLLOG lines go to stdout in mlperf_logging's layout; errors go to stderr with exit status 2.
"""
import argparse
import json
import math
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_log  # noqa: E402
from reference_log import end, event, start  # noqa: E402

BENCHMARK = "ncf"
MF_DIM = 8                      # GMF embedding size (user and item)
MLP_LAYERS = [64, 32, 16, 8]    # MLP tower: the first is the concatenated embedding (user 32 + item 32)
BATCH_SIZE = 2048
LEARNING_RATE = 0.005
BETA1 = 0.9
BETA2 = 0.999
EPSILON = 1e-8
WEIGHT_DECAY = 0.0
NEGATIVES_PER_POSITIVE = 4
EMBEDDING_INIT_STD = 0.01       # embeddings ~ N(0, 0.01^2)
MAX_EPOCHS = 10
TARGET = 0.65
TOP_K = 10




def build_model(torch, num_users, num_items):
    nn = torch.nn

    class NeuMF(nn.Module):
        """MLPerf NCF's NeuMF. Init: embeddings N(0, EMBEDDING_INIT_STD²); MLP layers Glorot (Xavier) uniform,
        limit sqrt(6 / (fan_in + fan_out)); the final layer LeCun uniform, limit sqrt(3 / fan_in); biases 0."""

        def __init__(self):
            super().__init__()
            half = MLP_LAYERS[0] // 2
            self.mf_user = nn.Embedding(num_users, MF_DIM, sparse=True)
            self.mf_item = nn.Embedding(num_items, MF_DIM, sparse=True)
            self.mlp_user = nn.Embedding(num_users, half, sparse=True)
            self.mlp_item = nn.Embedding(num_items, half, sparse=True)
            self.mlp = nn.ModuleList(nn.Linear(a, b) for a, b in zip(MLP_LAYERS[:-1], MLP_LAYERS[1:]))
            self.final = nn.Linear(MF_DIM + MLP_LAYERS[-1], 1)
            for emb in (self.mf_user, self.mf_item, self.mlp_user, self.mlp_item):
                nn.init.normal_(emb.weight, 0.0, EMBEDDING_INIT_STD)
            for layer in self.mlp:
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)
            limit = math.sqrt(3.0 / self.final.in_features)
            nn.init.uniform_(self.final.weight, -limit, limit)
            nn.init.zeros_(self.final.bias)

        def forward(self, user, item):
            """user, item: int64 of the same shape S → logits of shape S."""
            gmf = self.mf_user(user) * self.mf_item(item)
            x = torch.cat([self.mlp_user(user), self.mlp_item(item)], dim=-1)
            for layer in self.mlp:
                x = torch.relu(layer(x))
            return self.final(torch.cat([gmf, x], dim=-1)).squeeze(-1)

    return NeuMF()


def sample_negatives(torch, users, rated_mask, num_items, generator):
    """For each entry of `users`, one item drawn uniformly among those the user never rated: draw
    randint(num_items) for every entry, then redraw (in entry order) the entries whose item is rated, until none is."""
    items = torch.randint(num_items, users.shape, generator=generator)
    bad = rated_mask[users, items].nonzero().squeeze(1)
    while bad.numel() > 0:
        items[bad] = torch.randint(num_items, bad.shape, generator=generator)
        bad = bad[rated_mask[users[bad], items[bad]]]
    return items


def evaluate(torch, model, users, candidates):
    """HR@10 and NDCG@10 (docs/datasets.md: a tie counts against the positive)."""
    with torch.no_grad():
        scores = model(users[:, None].expand_as(candidates), candidates)
    pos = scores[:, :1]
    rank = (scores[:, 1:] >= pos).sum(1)
    hit = rank < TOP_K
    hr = float(hit.double().mean())
    ndcg = float(torch.where(hit, 1.0 / torch.log2(rank.double() + 2.0), torch.zeros((), dtype=torch.float64)).mean())
    return hr, ndcg, scores


def export_onnx(torch, model, path, users, candidates):
    import numpy as np
    import onnxruntime as ort

    class Scorer(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, user, item):
            return self.inner(user, item)

    scorer = Scorer(model).eval()
    u = users[:, None].expand_as(candidates).contiguous()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch 1.13's shape-inference notes about prim::Constant
        torch.onnx.export(scorer, (u[:2], candidates[:2]), path, input_names=["user", "item"],
                          output_names=["scores"],
                          dynamic_axes={"user": {0: "N"}, "item": {0: "N"}, "scores": {0: "N"}}, opset_version=13)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    got = session.run(["scores"], {"user": u.numpy(), "item": candidates.numpy()})[0]
    with torch.no_grad():
        want = scorer(u, candidates).numpy()
    if got.shape != want.shape or got.dtype != np.float32 or not np.allclose(got, want, rtol=1e-4, atol=1e-5):
        raise RuntimeError(f"{path}: ONNX Runtime's scores differ from torch's (max |diff| "
                           f"{float(np.abs(got - want).max()) if got.shape == want.shape else 'shape'})")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    import movielens_data
    reference_log.add_common_arguments(
        p, data_dir=movielens_data.default_data_dir(), max_epochs=MAX_EPOCHS, target=TARGET,
        onnx_help="write the trained model as ONNX (after run_stop, untimed)",
        train_help="train on the first N training positives only, in (user, timestamp, item) order (tests)",
        eval_help="evaluate the first N users only (tests)")
    args = p.parse_args()

    torch = reference_log.import_torch()
    if torch is None:
        return 2

    reference_log.header(BENCHMARK, args)

    torch.set_num_threads(args.threads)
    try:
        data = movielens_data.MovieLens(args.data_dir)
    except movielens_data.DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    train_users = torch.from_numpy(data.train_users)
    train_items = torch.from_numpy(data.train_items)
    if args.train_limit:
        train_users, train_items = train_users[:args.train_limit], train_items[:args.train_limit]
    eval_users = torch.arange(data.num_users, dtype=torch.int64)
    candidates = torch.from_numpy(data.candidates())
    if args.eval_limit:
        eval_users, candidates = eval_users[:args.eval_limit], candidates[:args.eval_limit]
    rated_mask = torch.zeros(data.num_users, data.num_items, dtype=torch.bool)
    for u, items in enumerate(data.rated):
        rated_mask[u, list(items)] = True

    torch.manual_seed(args.seed)
    model = build_model(torch, data.num_users, data.num_items)
    sparse_params = [m.weight for m in (model.mf_user, model.mf_item, model.mlp_user, model.mlp_item)]
    dense_params = [p for n, p in model.named_parameters() if not any(p is s for s in sparse_params)]
    sparse_opt = torch.optim.SparseAdam(sparse_params, lr=LEARNING_RATE, betas=(BETA1, BETA2), eps=EPSILON)
    dense_opt = torch.optim.Adam(dense_params, lr=LEARNING_RATE, betas=(BETA1, BETA2), eps=EPSILON,
                                 weight_decay=WEIGHT_DECAY)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    generator = torch.Generator()
    generator.manual_seed(args.seed)
    n_pos = train_users.shape[0]
    n_train = n_pos * (1 + NEGATIVES_PER_POSITIVE)
    pos_users = train_users.repeat(NEGATIVES_PER_POSITIVE)
    labels = torch.cat([torch.ones(n_pos), torch.zeros(n_pos * NEGATIVES_PER_POSITIVE)])

    end("init_stop")
    start("run_start")
    event("seed", args.seed)
    event("global_batch_size", BATCH_SIZE)
    reference_log.adam_hyperparameters(LEARNING_RATE, BETA1, BETA2, EPSILON, WEIGHT_DECAY)
    event("train_negatives_per_positive", NEGATIVES_PER_POSITIVE)
    event("train_samples", n_train)
    event("eval_samples", int(eval_users.shape[0]))

    success = False
    for epoch in range(1, max(1, args.max_epochs) + 1):
        reference_log.epoch_begin(epoch)
        model.train()
        negatives = sample_negatives(torch, pos_users, rated_mask, data.num_items, generator)
        users = torch.cat([train_users, pos_users])
        items = torch.cat([train_items, negatives])
        order = torch.randperm(n_train, generator=generator)
        users, items, targets = users[order], items[order], labels[order]
        for s in range(0, n_train, BATCH_SIZE):
            sparse_opt.zero_grad(set_to_none=True)
            dense_opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(users[s:s + BATCH_SIZE], items[s:s + BATCH_SIZE]), targets[s:s + BATCH_SIZE])
            loss.backward()
            sparse_opt.step()
            dense_opt.step()
        reference_log.epoch_trained(epoch)
        model.eval()
        hr, ndcg, _ = evaluate(torch, model, eval_users, candidates)
        reference_log.epoch_evaluated(epoch, hr, {"ndcg_at_10": ndcg})
        if hr >= args.target:
            success = True
            break
    end("run_stop", metadata={"status": "success" if success else "aborted"})

    if args.onnx_out:
        model.eval()
        try:
            export_onnx(torch, model, args.onnx_out, eval_users, candidates)
        except (OSError, RuntimeError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
