#!/usr/bin/python3
"""PyTorch reference for the SwiftMLPerf `speech` benchmark: a small convolutional + bidirectional GRU acoustic
model with CTC loss (as DeepSpeech2, MLPerf's first speech benchmark, in miniature) on connected digit strings and
command phrases spoken by Debian's flite voices (scripts/data/speech.py; docs/datasets.md). Runs on Debian's
python3-torch (CPU), under the project's environment:

    .venv/bin/python3 references/pytorch/train_speech.py --seed N [--data-dir D] [--onnx-out M] [--threads 1]
        [--max-epochs E] [--train-limit N] [--eval-limit N] [--target T]

Features (`log_mel`, the same rules as Sources/Benchmarks/Speech/LogMel.swift): 40 log-mel energies per 10 ms frame
of the 4 s window (398 frames). Training: every epoch the training utterances in a new order (torch generator seeded
with --seed), batches of 32; eval after every epoch on the test utterances of the held-out voice: greedy CTC
decoding (`greedy_decode`, the rule the Swift SUT follows) and WER over all test words (`wer`). The quality is WER,
lower is better: stop at the first eval <= target.

ONNX (--onnx-out, after run_stop, untimed; opset 13; checked against torch with ONNX Runtime): input `features`
float32 [N, 1, 40, 398], output `log_probs` float32 [N, 100, 27] (per output frame, log-softmax over blank (0) and the
26 words of the vocabulary, in its order).

MLLOG lines go to stdout in mlperf_logging's layout; errors go to stderr with exit status 2.
"""
import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_log  # noqa: E402
from reference_log import end, event, start  # noqa: E402

BENCHMARK = "speech"
RATE = 16000
WINDOW = 64000
FRAME = 400          # 25 ms
HOP = 160            # 10 ms
FFT = 512
MELS = 40
FRAMES = 1 + (WINDOW - FRAME) // HOP          # 398
OUT_FRAMES = 100                               # after two stride-2 convolutions
BATCH_SIZE = 16
LEARNING_RATE = 0.003
BETA1 = 0.9
BETA2 = 0.999
EPSILON = 1e-8
WEIGHT_DECAY = 0.0
MAX_EPOCHS = 20
TARGET = 0.30
EVAL_BATCH = 100
HIDDEN_LAYERS = 4


def mel_filterbank(np):
    """[MELS, FFT/2 + 1] triangular filters, HTK mel scale (2595 log10(1 + f / 700)), centres evenly spaced in mel
    from 0 Hz to 8000 Hz (MELS + 2 points), weights on the FFT bin frequencies k * RATE / FFT."""
    def mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)
    points = 700.0 * (10 ** (np.linspace(0.0, mel(RATE / 2), MELS + 2) / 2595.0) - 1.0)
    freqs = np.arange(FFT // 2 + 1) * RATE / FFT
    bank = np.zeros((MELS, FFT // 2 + 1))
    for m in range(MELS):
        lo, mid, hi = points[m], points[m + 1], points[m + 2]
        up = (freqs - lo) / (mid - lo)
        down = (hi - freqs) / (hi - mid)
        bank[m] = np.maximum(0.0, np.minimum(up, down))
    return bank


def log_mel(audio, np):
    """[N, WINDOW] int16 -> [N, MELS, FRAMES] float32: x / 32768, frames of 400 samples every 160 (no padding), a
    periodic Hann window (0.5 - 0.5 cos(2 pi n / 400)), the power of the 512-point DFT (bins 0-256), the mel
    filterbank, then ln(energy + 1e-6)."""
    x = audio.astype(np.float64) / 32768.0
    idx = np.arange(FRAME)[None, :] + HOP * np.arange(FRAMES)[:, None]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FRAME) / FRAME)
    bank = mel_filterbank(np)
    out = np.empty((len(x), MELS, FRAMES), dtype=np.float32)
    for i, row in enumerate(x):
        spectrum = np.fft.rfft(row[idx] * window, n=FFT)
        power = spectrum.real ** 2 + spectrum.imag ** 2
        out[i] = np.log(power @ bank.T + 1e-6).T.astype(np.float32)
    return out


def load(directory, stem, np):
    path = os.path.join(directory, stem + ".json")
    if not os.path.exists(path):
        raise SystemExit(f"error: {path}: missing: run `bash scripts/setup.sh` (it synthesises the speech corpus), or "
                         "point --data-dir at it")
    with open(path) as f:
        meta = json.load(f)
    audio = np.fromfile(os.path.join(directory, stem + ".pcm"), dtype="<i2")
    n = len(meta["utterances"])
    if audio.size != n * WINDOW:
        raise SystemExit(f"error: {directory}/{stem}.pcm: {audio.size} samples, expected {n} x {WINDOW}")
    vocabulary = meta["vocabulary"]
    labels = [[vocabulary.index(w) + 1 for w in u["text"].split()] for u in meta["utterances"]]
    return audio.reshape(n, WINDOW), labels, vocabulary


def build_model(torch, classes):
    nn = torch.nn

    class Acoustic(nn.Module):
        """Per-utterance mean removal per mel bin (CMN); Conv 3x3 32 stride 2 + BN + ReLU, twice (40 x 398 -> 10 x
        100); 1x1 projection 320 -> 128; HIDDEN_LAYERS temporal convolutions (kernel 5, 128 channels, BN, ReLU, with a
        residual connection); 1x1 to classes; log-softmax over classes."""

        def __init__(self):
            super().__init__()
            self.conv = nn.Sequential(
                nn.Conv2d(1, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                nn.Conv2d(32, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
            self.project = nn.Conv1d(32 * 10, 128, 1)
            self.temporal = nn.ModuleList(
                nn.Sequential(nn.Conv1d(128, 128, 5, 1, 2, bias=False), nn.BatchNorm1d(128), nn.ReLU())
                for _ in range(HIDDEN_LAYERS))
            self.out = nn.Conv1d(128, classes, 1)

        def forward(self, features):
            x = features - features.mean(dim=3, keepdim=True)
            x = self.conv(x)                                   # [N, 32, 10, 100]
            x = self.project(x.flatten(1, 2))                  # [N, 128, 100]
            for layer in self.temporal:
                x = x + layer(x)
            return torch.log_softmax(self.out(x), dim=1).transpose(1, 2)   # [N, 100, classes]

    return Acoustic()


def spec_augment(torch, x, generator):
    """SpecAugment (Park et al. 2019) without time warping, in place on [B, 1, MELS, FRAMES]: per utterance, 2
    frequency masks of 0-7 mel bins and 2 time masks of 0-19 frames, set to the utterance's mean."""
    for b in range(x.shape[0]):
        mean = x[b].mean()
        for size, axis in ((MELS, 1), (MELS, 1), (FRAMES, 2), (FRAMES, 2)):
            width = int(torch.randint(0, 8 if axis == 1 else 20, (1,), generator=generator))
            first = int(torch.randint(0, size - width + 1, (1,), generator=generator))
            if axis == 1:
                x[b, 0, first:first + width, :] = mean
            else:
                x[b, 0, :, first:first + width] = mean
    return x


def greedy_decode(log_probs, np):
    """Word ids (1-based) of one utterance from its [T, classes] log-probabilities: the best class per frame (ties: the
    lowest id), repeats merged, blanks (0) dropped."""
    best = np.argmax(log_probs, axis=1)
    words, previous = [], 0
    for c in best.tolist():
        if c != previous and c != 0:
            words.append(c)
        previous = c
    return words


def wer(references, hypotheses):
    """Word error rate: the total Levenshtein distance (substitutions, deletions, insertions, each 1) over the total
    reference words."""
    edits = total = 0
    for ref, hyp in zip(references, hypotheses):
        d = list(range(len(hyp) + 1))
        for i, r in enumerate(ref, 1):
            prev, d[0] = d[0], i
            for j, h in enumerate(hyp, 1):
                prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
        edits += d[len(hyp)]
        total += len(ref)
    return edits / max(total, 1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    reference_log.add_common_arguments(
        p, data_dir=os.environ.get("MLPERF_SPEECH_DIR") or os.path.join(HERE, "..", "..", "data", "generated", "speech"),
        max_epochs=MAX_EPOCHS, target=TARGET, onnx_help="write the trained model as ONNX (after run_stop)",
        train_help="train on the first N utterances (tests)", eval_help="evaluate on the first N test utterances (tests)")
    p.add_argument("--real-speech-dir", default=os.path.join(HERE, "..", "..", "data", "pkgs", "pocketsphinx-testdata",
                                                             "usr", "share", "pocketsphinx", "test", "data"),
                   help="pocketsphinx-testdata's recordings (the real-speech gap, written beside --onnx-out)")
    args = p.parse_args()
    torch = reference_log.import_torch()
    if torch is None:
        return 2
    import numpy as np
    torch.set_num_threads(args.threads)
    reference_log.header(BENCHMARK, args)
    torch.manual_seed(args.seed)
    train_audio, train_labels, vocabulary = load(args.data_dir, "train", np)
    test_audio, test_labels, _ = load(args.data_dir, "test", np)
    n_train = min(args.train_limit or len(train_labels), len(train_labels))
    n_eval = min(args.eval_limit or len(test_labels), len(test_labels))
    train_x = torch.from_numpy(log_mel(train_audio[:n_train], np)).unsqueeze(1)
    test_x = torch.from_numpy(log_mel(test_audio[:n_eval], np)).unsqueeze(1)
    train_labels, test_labels = train_labels[:n_train], test_labels[:n_eval]
    model = build_model(torch, len(vocabulary) + 1)
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=(BETA1, BETA2), eps=EPSILON,
                           weight_decay=WEIGHT_DECAY)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    generator = torch.Generator().manual_seed(args.seed)
    end("init_stop")
    start("run_start")
    event("seed", args.seed)
    event("global_batch_size", BATCH_SIZE)
    reference_log.adam_hyperparameters(LEARNING_RATE, BETA1, BETA2, EPSILON, WEIGHT_DECAY)
    event("train_samples", n_train)
    event("eval_samples", n_eval)
    reached = False
    for epoch in range(1, args.max_epochs + 1):
        reference_log.epoch_begin(epoch)
        model.train()
        order = torch.randperm(n_train, generator=generator).tolist()
        for first in range(0, n_train, BATCH_SIZE):
            batch = order[first:first + BATCH_SIZE]
            log_probs = model(spec_augment(torch, train_x[batch].clone(), generator))   # [B, T, C]
            targets = torch.tensor([w for i in batch for w in train_labels[i]], dtype=torch.long)
            lengths = torch.tensor([len(train_labels[i]) for i in batch], dtype=torch.long)
            inputs = torch.full((len(batch),), OUT_FRAMES, dtype=torch.long)
            loss = ctc(log_probs.transpose(0, 1), targets, inputs, lengths)
            opt.zero_grad()
            loss.backward()
            opt.step()
        reference_log.epoch_trained(epoch)
        model.eval()
        hypotheses = []
        with torch.no_grad():
            for first in range(0, n_eval, EVAL_BATCH):
                for lp in model(test_x[first:first + EVAL_BATCH]).numpy():
                    hypotheses.append(greedy_decode(lp, np))
        quality = wer(test_labels, hypotheses)
        reference_log.epoch_evaluated(epoch, round(quality, 6))
        if quality <= args.target:
            reached = True
            break
    end("run_stop", metadata={"status": "success" if reached else "aborted"})
    if args.onnx_out:
        reference_log.export_onnx(torch, model, args.onnx_out, test_x[:2], "features", "log_probs", 1e-3)
        gap = real_speech(torch, model, vocabulary, args.real_speech_dir, np)
        if gap is not None:
            with open(args.onnx_out + ".real_speech.json", "w") as f:
                json.dump(gap, f, indent=1)
                f.write("\n")
            print(f"real-speech gap: WER {gap['wer']:.3f} on {len(gap['recordings'])} real recordings "
                  f"(test WER {quality:.3f})", file=sys.stderr)
    return 0


# Real recordings of Debian's pocketsphinx-testdata in the benchmark's vocabulary, with their transcripts (the file
# name of the TIDIGITS one spells its digits; goforward's is pocketsphinx's own test transcript, 2 of its 4 words
# outside the vocabulary, so at best 2 deletions).
REAL_RECORDINGS = [("tidigits/dhd.2934z.raw", "two nine three four zero"),
                   ("goforward.raw", "go forward ten meters")]


def real_speech(torch, model, vocabulary, directory, np):
    """The real-speech gap: WER of the trained model on REAL_RECORDINGS (16 kHz 16-bit mono raw PCM, placed at the
    start of the 4 s window, zeros after); None when the recordings are not there."""
    audio = np.zeros((len(REAL_RECORDINGS), WINDOW), dtype=np.int16)
    for i, (name, _) in enumerate(REAL_RECORDINGS):
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            return None
        pcm = np.fromfile(path, dtype="<i2")[:WINDOW]
        audio[i, :len(pcm)] = pcm
    model.eval()
    with torch.no_grad():
        log_probs = model(torch.from_numpy(log_mel(audio, np)).unsqueeze(1)).numpy()
    hypotheses = [greedy_decode(lp, np) for lp in log_probs]
    references = [[vocabulary.index(w) + 1 if w in vocabulary else -1 for w in t.split()] for _, t in REAL_RECORDINGS]
    return {"wer": wer(references, hypotheses), "source": "Debian pocketsphinx-testdata 0.8+5prealpha+1-15",
            "recordings": [{"file": n, "reference": t, "hypothesis": " ".join(vocabulary[k - 1] for k in h)}
                           for (n, t), h in zip(REAL_RECORDINGS, hypotheses)]}


if __name__ == "__main__":
    sys.exit(main())
