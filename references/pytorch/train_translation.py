#!/usr/bin/python3
"""PyTorch reference for the SwiftMLPerf `translation` benchmark: a small Transformer (the model of MLPerf's
translation benchmark, Vaswani et al. 2017, scaled down) translating English LibreOffice help paragraphs into German
(docs/datasets.md, `translation`; the pairs come from scripts/data/translation.py). Runs on Debian's python3-torch
(CPU), under the project's environment (.venv sees Debian's packages):

    .venv/bin/python3 references/pytorch/train_translation.py --seed N [--data-dir D] [--onnx-out F]
        [--threads 1] [--max-epochs E]

Subwords: one joint English+German BPE vocabulary (PyPI `tokenizers`, Metaspace pre-tokenisation) trained on the
training pairs only, during init. Quality: corpus BLEU (PyPI `sacrebleu`, default 13a tokenisation) of greedy
translations of the test pairs after every epoch; stop at the first ≥ target.

With --onnx-out F.onnx: F.onnx is the encoder (`src` int64 [N,S] → `memory` float32 [N,S,D]), F.decoder.onnx the
decoder with full recomputation (`memory`, `src`, `tgt` int64 [N,T] → `logits` float32 [N,V] of the next token
after the last of `tgt`), F.tokenizer.json the vocabulary (written after run_stop, untimed).

MLLOG lines go to stdout in mlperf_logging's layout; errors go to stderr with exit status 2.
"""
import argparse
import json
import math
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_log  # noqa: E402
from reference_log import end, event, start  # noqa: E402

BENCHMARK = "translation"
VOCAB_SIZE = 4000
PAD, UNK, BOS, EOS = 0, 1, 2, 3
SPECIALS = ["<pad>", "<unk>", "<s>", "</s>"]
D_MODEL = 128
HEADS = 4
FF = 512
ENCODER_LAYERS = 2
DECODER_LAYERS = 2
DROPOUT = 0.0
LABEL_SMOOTHING = 0.1
MAX_TOKENS = 96                 # longer pairs (in subwords, either side) are left out of training
BATCH_TOKENS = 3000             # target subwords per batch (source + target), pairs sorted by length into buckets
LEARNING_RATE = 3e-3            # peak, after a linear warm-up, then inverse square root
WARMUP_STEPS = 200
BETA1 = 0.9
BETA2 = 0.98
EPSILON = 1e-9
WEIGHT_DECAY = 0.0
MAX_EPOCHS = 4
TARGET = 13.0
EVAL_BATCH = 128
MAX_OUTPUT = lambda n: 2 * n + 10  # noqa: E731  greedy decoding stops at EOS or after this many tokens
# Greedy decoding emits at least one token before EOS (fairseq's min_len 1): EOS and PAD are masked at the first step,
# so every output has >= 2 generated tokens, as MLPerf's token-latency rules require (n_tokens > 1).


def default_data_dir():
    env = os.environ.get("MLPERF_TRANSLATION_DIR")
    if env:
        return env
    return os.path.join(os.path.dirname(os.path.dirname(HERE)), "data", "generated", "translation")


def load_pairs(data_dir, split):
    """[(en, de)] of DATA_DIR/SPLIT.jsonl; raises SystemExit naming the file and line of a bad record."""
    path = os.path.join(data_dir, split + ".jsonl")
    if not os.path.exists(path):
        raise SystemExit(f"error: {path} is missing: run `bash scripts/setup.sh` (it makes data/generated/translation)")
    pairs = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            try:
                record = json.loads(line)
                pairs.append((record["en"], record["de"]))
            except (ValueError, KeyError, TypeError) as e:
                raise SystemExit(f"error: {path}:{number}: expected a JSON object with \"en\" and \"de\" ({e})")
    return pairs


def train_tokenizer(pairs):
    """Joint BPE over the training pairs' English and German (specials first: ids 0–3)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, min_frequency=2, special_tokens=SPECIALS,
                                  show_progress=False)
    tokenizer.train_from_iterator([s for pair in pairs for s in pair], trainer=trainer)
    return tokenizer


def build_model(torch, vocab_size):
    nn = torch.nn
    F = torch.nn.functional

    class Attention(nn.Module):
        """Multi-head scaled dot-product attention; `bias` [N or 1, 1 or H, Tq, Tk] is added to the scores
        (−inf-like where masked)."""

        def __init__(self):
            super().__init__()
            self.q, self.k, self.v, self.o = (nn.Linear(D_MODEL, D_MODEL) for _ in range(4))

        def heads(self, linear, x):
            return linear(x).view(x.shape[0], x.shape[1], HEADS, D_MODEL // HEADS).transpose(1, 2)

        def forward(self, x, memory, bias, kv=None):
            """`kv`: the keys and values [N,H,Tk,dh] to attend to instead of projecting `memory` (decoding with a
            cache)."""
            n, tq = x.shape[0], x.shape[1]
            dh = D_MODEL // HEADS
            q = self.heads(self.q, x)
            k, v = kv if kv is not None else (self.heads(self.k, memory), self.heads(self.v, memory))
            scores = q @ k.transpose(-1, -2) / math.sqrt(dh) + bias
            out = F.softmax(scores, dim=-1) @ v
            return self.o(out.transpose(1, 2).reshape(n, tq, D_MODEL))

    class Block(nn.Module):
        """Pre-norm Transformer layer: self-attention, optional cross-attention, feed-forward (ReLU)."""

        def __init__(self, cross):
            super().__init__()
            self.norm1, self.self_attention = nn.LayerNorm(D_MODEL), Attention()
            self.cross = cross
            if cross:
                self.norm2, self.cross_attention = nn.LayerNorm(D_MODEL), Attention()
            self.norm3 = nn.LayerNorm(D_MODEL)
            self.ff = nn.Sequential(nn.Linear(D_MODEL, FF), nn.ReLU(), nn.Dropout(DROPOUT), nn.Linear(FF, D_MODEL))
            self.dropout = nn.Dropout(DROPOUT)

        def forward(self, x, self_bias, memory=None, cross_bias=None):
            h = self.norm1(x)
            x = x + self.dropout(self.self_attention(h, h, self_bias))
            if self.cross:
                x = x + self.dropout(self.cross_attention(self.norm2(x), memory, cross_bias))
            return x + self.dropout(self.ff(self.norm3(x)))

        def step(self, x, cache, cross_kv, cross_bias):
            """One new position `x` [N,1,D] (eval only): its keys and values are appended to `cache`
            ([k, v] or empty) and attended to with the earlier ones; `cross_kv`: the memory's keys and values."""
            h = self.norm1(x)
            attention = self.self_attention
            k, v = attention.heads(attention.k, h), attention.heads(attention.v, h)
            if cache:
                k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
            cache[:] = [k, v]
            x = x + attention(h, None, 0.0, kv=(k, v))
            x = x + self.cross_attention(self.norm2(x), None, cross_bias, kv=cross_kv)
            return x + self.ff(self.norm3(x))

    class Transformer(nn.Module):
        """Shared source/target embeddings tied to the output projection, sinusoidal positions, pre-norm layers."""

        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, D_MODEL, padding_idx=PAD)
            nn.init.normal_(self.embedding.weight, 0.0, D_MODEL ** -0.5)
            with torch.no_grad():
                self.embedding.weight[PAD].zero_()
            position = torch.arange(512, dtype=torch.float32).unsqueeze(1)
            rate = torch.exp(torch.arange(0, D_MODEL, 2, dtype=torch.float32) * (-math.log(10000.0) / D_MODEL))
            table = torch.zeros(512, D_MODEL)
            table[:, 0::2] = torch.sin(position * rate)
            table[:, 1::2] = torch.cos(position * rate)
            self.register_buffer("positions", table)
            self.encoder = nn.ModuleList(Block(False) for _ in range(ENCODER_LAYERS))
            self.decoder = nn.ModuleList(Block(True) for _ in range(DECODER_LAYERS))
            self.encoder_norm, self.decoder_norm = nn.LayerNorm(D_MODEL), nn.LayerNorm(D_MODEL)
            self.dropout = nn.Dropout(DROPOUT)

        def embed(self, tokens):
            x = self.embedding(tokens) * math.sqrt(D_MODEL) + self.positions[:tokens.shape[1]]
            return self.dropout(x)

        @staticmethod
        def padding_bias(src):
            return (src == PAD).to(torch.float32)[:, None, None, :] * -1e9

        def encode(self, src):
            bias = self.padding_bias(src)
            x = self.embed(src)
            for block in self.encoder:
                x = block(x, bias)
            return self.encoder_norm(x)

        def decode(self, memory, src, tgt):
            t = tgt.shape[1]
            causal = torch.triu(torch.ones(t, t), diagonal=1)[None, None] * -1e9
            x = self.embed(tgt)
            cross = self.padding_bias(src)
            for block in self.decoder:
                x = block(x, causal, memory, cross)
            return self.decoder_norm(x) @ self.embedding.weight.t()

        def forward(self, src, tgt):
            return self.decode(self.encode(src), src, tgt)

        def greedy(self, src, max_length):
            """Greedy decoding with cached keys and values (the same arithmetic as `decode`'s last position):
            [N,T] token ids after BOS, PAD after each row's EOS."""
            memory = self.encode(src)
            cross_bias = self.padding_bias(src)
            cross = [(b.cross_attention.heads(b.cross_attention.k, memory),
                      b.cross_attention.heads(b.cross_attention.v, memory)) for b in self.decoder]
            caches = [[] for _ in self.decoder]
            token = torch.full((src.shape[0],), BOS, dtype=torch.int64)
            done = torch.zeros(src.shape[0], dtype=torch.bool)
            out = []
            for t in range(max_length):
                x = self.embedding(token)[:, None] * math.sqrt(D_MODEL) + self.positions[t]
                for block, cache, kv in zip(self.decoder, caches, cross):
                    x = block.step(x, cache, kv, cross_bias)
                logits = self.decoder_norm(x[:, 0]) @ self.embedding.weight.t()
                if t == 0:  # at least one token before EOS (MIN_OUTPUT)
                    logits[:, EOS] = -math.inf
                    logits[:, PAD] = -math.inf
                token = torch.where(done, torch.full_like(token, PAD), logits.argmax(-1))
                out.append(token)
                done |= token == EOS
                if bool(done.all()):
                    break
            return torch.stack(out, dim=1)

    return Transformer()


def batches(torch, pairs, generator):
    """Length-bucketed batches of ~BATCH_TOKENS subwords, in a seeded random order: [(src, tgt_in, tgt_out)]."""
    order = torch.randperm(len(pairs), generator=generator).tolist()
    order.sort(key=lambda i: (len(pairs[i][1]), len(pairs[i][0])))  # stable: ties keep the random order
    groups, current, s_max, t_max = [], [], 0, 0
    for i in order:
        s_next, t_next = max(s_max, len(pairs[i][0])), max(t_max, len(pairs[i][1]) + 1)
        if current and (s_next + t_next) * (len(current) + 1) > BATCH_TOKENS:
            groups.append(current)
            current, s_next, t_next = [], len(pairs[i][0]), len(pairs[i][1]) + 1
        current.append(i)
        s_max, t_max = s_next, t_next
    if current:
        groups.append(current)
    shuffled = torch.randperm(len(groups), generator=generator).tolist()
    for g in shuffled:
        members = groups[g]
        s = max(len(pairs[i][0]) for i in members)
        t = max(len(pairs[i][1]) for i in members) + 1
        src = torch.full((len(members), s), PAD, dtype=torch.int64)
        tgt_in = torch.full((len(members), t), PAD, dtype=torch.int64)
        tgt_out = torch.full((len(members), t), PAD, dtype=torch.int64)
        for r, i in enumerate(members):
            a, b = pairs[i]
            src[r, :len(a)] = torch.tensor(a)
            tgt_in[r, :len(b) + 1] = torch.tensor([BOS] + b)
            tgt_out[r, :len(b) + 1] = torch.tensor(b + [EOS])
        yield src, tgt_in, tgt_out


def greedy(torch, model, sources):
    """Greedy translations (token ids, without BOS/EOS) of `sources` (lists of ids), batched by length."""
    model.eval()
    results = [None] * len(sources)
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    with torch.no_grad():
        for b in range(0, len(order), EVAL_BATCH):
            members = order[b:b + EVAL_BATCH]
            s = max(len(sources[i]) for i in members)
            src = torch.full((len(members), s), PAD, dtype=torch.int64)
            for r, i in enumerate(members):
                src[r, :len(sources[i])] = torch.tensor(sources[i])
            tgt = model.greedy(src, MAX_OUTPUT(s))
            for r, i in enumerate(members):
                out = []
                for t in tgt[r].tolist():
                    if t in (EOS, PAD):
                        break
                    out.append(t)
                results[i] = out
    return results


def bleu(tokenizer, hypotheses, references):
    import sacrebleu
    texts = [tokenizer.decode(h, skip_special_tokens=True) for h in hypotheses]
    return sacrebleu.corpus_bleu(texts, [references]).score, texts


def export_onnx(torch, model, path, tokenizer, sources):
    import numpy as np
    import onnxruntime
    stem = path[:-5] if path.endswith(".onnx") else path
    model.eval()
    nn = torch.nn

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, src):
            return self.model.encode(src)

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, memory, src, tgt):
            return self.model.decode(memory, src, tgt)[:, -1]

    src = torch.full((2, 7), PAD, dtype=torch.int64)
    for r, s in enumerate(sources[:2]):
        src[r, :min(7, len(s))] = torch.tensor(s[:7])
    tgt = torch.tensor([[BOS, 5, 6], [BOS, 7, 8]], dtype=torch.int64)
    with torch.no_grad():
        memory = model.encode(src)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Wrappers made in eval mode: the exporter restores each wrapper's mode afterwards, recursively.
        encoder, decoder = Encoder().eval(), Decoder().eval()
        torch.onnx.export(encoder, (src,), path, input_names=["src"], output_names=["memory"], opset_version=14,
                          dynamic_axes={"src": {0: "N", 1: "S"}, "memory": {0: "N", 1: "S"}})
        torch.onnx.export(decoder, (memory, src, tgt), stem + ".decoder.onnx",
                          input_names=["memory", "src", "tgt"], output_names=["logits"], opset_version=14,
                          dynamic_axes={"memory": {0: "N", 1: "S"}, "src": {0: "N", 1: "S"},
                                        "tgt": {0: "N", 1: "T"}, "logits": {0: "N"}})
    tokenizer.save(stem + ".tokenizer.json")
    encoder = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    decoder = onnxruntime.InferenceSession(stem + ".decoder.onnx", providers=["CPUExecutionProvider"])
    got_memory = encoder.run(None, {"src": src.numpy()})[0]
    got = decoder.run(None, {"memory": got_memory, "src": src.numpy(), "tgt": tgt.numpy()})[0]
    with torch.no_grad():
        want = model.decode(memory, src, tgt)[:, -1].numpy()
    if not np.allclose(got_memory, memory.numpy(), atol=1e-4, rtol=1e-4) or not np.allclose(got, want, atol=1e-3,
                                                                                              rtol=1e-3):
        raise SystemExit(f"error: {path}: ONNX Runtime differs from torch by {np.abs(got - want).max()}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    reference_log.add_common_arguments(
        p, data_dir=default_data_dir(), max_epochs=MAX_EPOCHS, target=TARGET,
        onnx_help="write the encoder as ONNX, the decoder beside it as <stem>.decoder.onnx and the vocabulary as "
                  "<stem>.tokenizer.json (after run_stop, untimed)",
        train_help="train on the first N pairs only (the vocabulary still comes from all of them) (tests)",
        eval_help="evaluate on the first N test pairs only (tests)")
    args = p.parse_args()
    torch = reference_log.import_torch()
    if torch is None:
        return 2
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    reference_log.header(BENCHMARK, args)
    torch.set_num_threads(args.threads)
    train_text = load_pairs(args.data_dir, "train")
    test_text = load_pairs(args.data_dir, "test")
    tokenizer = train_tokenizer(train_text)

    def ids(text):
        return tokenizer.encode(text).ids

    train = [(ids(en), ids(de)) for en, de in train_text]
    train = [(a, b) for a, b in train if 0 < len(a) <= MAX_TOKENS and 0 < len(b) <= MAX_TOKENS]
    if args.train_limit:
        train = train[:args.train_limit]
    if args.eval_limit:
        test_text = test_text[:args.eval_limit]
    test_sources = [ids(en)[:MAX_TOKENS] for en, _ in test_text]
    references = [de for _, de in test_text]

    torch.manual_seed(args.seed)
    model = build_model(torch, tokenizer.get_vocab_size())
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=(BETA1, BETA2), eps=EPSILON,
                                 weight_decay=WEIGHT_DECAY)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / WARMUP_STEPS, math.sqrt(WARMUP_STEPS / (step + 1))))
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=LABEL_SMOOTHING)
    shuffle = torch.Generator()
    shuffle.manual_seed(args.seed)

    end("init_stop")
    start("run_start")
    event("seed", args.seed)
    event("global_batch_size", BATCH_TOKENS)
    reference_log.adam_hyperparameters(LEARNING_RATE, BETA1, BETA2, EPSILON, WEIGHT_DECAY)
    event("opt_learning_rate_warmup_steps", WARMUP_STEPS)
    event("train_samples", len(train))
    event("eval_samples", len(test_sources))

    success = False
    for epoch in range(1, max(1, args.max_epochs) + 1):
        reference_log.epoch_begin(epoch)
        model.train()
        for src, tgt_in, tgt_out in batches(torch, train, shuffle):
            optimizer.zero_grad(set_to_none=True)
            logits = model(src, tgt_in)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
            loss.backward()
            optimizer.step()
            schedule.step()
        reference_log.epoch_trained(epoch)
        score, _ = bleu(tokenizer, greedy(torch, model, test_sources), references)
        reference_log.epoch_evaluated(epoch, score)
        if score >= args.target:
            success = True
            break
    end("run_stop", metadata={"status": "success" if success else "aborted"})

    if args.onnx_out:
        export_onnx(torch, model, args.onnx_out, tokenizer, test_sources)
    return 0


if __name__ == "__main__":
    sys.exit(main())
