#!/usr/bin/python3
"""The `speech` benchmark's corpus: connected digit strings and short command phrases (a TIDIGITS-like vocabulary)
spoken by Debian's flite voices, with speed, pitch, gain and noise perturbation, all seeded. Made once by
scripts/setup.sh (under the project's .venv); the output is cached and checked by its SHA-256.

    .venv/bin/python3 scripts/data/speech.py OUT_DIR [--train-per-voice 700] [--test 400] [--seed 2026]

Voices: flite 2.2's awb, slt and kal16 speak the training set; rms (a voice never heard in training) speaks the
test set. Per utterance (numpy default_rng(seed) and Python's random.Random(seed), in a fixed order):
  * text: with probability 0.7 a digit string of 1-7 digits (words zero, oh, one ... nine; "oh" for 0 one time in
    three), else a command phrase of 1-3 words from COMMANDS;
  * speed: flite's duration_stretch uniform in 0.85-1.2;
  * pitch: the waveform resampled by a factor uniform in 0.92-1.08 (linear interpolation; shifts pitch and tempo);
  * gain: peak scaled to a level uniform in 0.3-0.9 of full scale;
  * placement: in a 4.0 s window (64,000 samples at 16 kHz), at an offset uniform in 0-0.3 s, zeros after;
  * noise: white Gaussian noise over the whole window at an SNR uniform in 15-40 dB (against the speech's power);
  * an utterance that would not fit the window is drawn again.
Writes OUT_DIR/{train,test}.pcm (N x 64000 int16, little-endian) and OUT_DIR/{train,test}.json ({"sample_rate",
"samples_per_utterance", "utterances": [{"voice", "text"}]}). Errors go to stderr with exit status 2.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor

RATE = 16000
WINDOW = 64000
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
COMMANDS = ["go", "stop", "turn", "left", "right", "up", "down", "forward", "back", "yes", "no", "on", "off", "open",
            "close"]
VOCABULARY = DIGITS + ["oh"] + COMMANDS
TRAIN_VOICES = ["awb", "slt", "kal16"]
TEST_VOICE = "rms"


def text(rng):
    if rng.random() < 0.7:
        words = []
        for _ in range(rng.randint(1, 7)):
            d = rng.randint(0, 9)
            words.append("oh" if d == 0 and rng.random() < 1 / 3 else DIGITS[d])
        return " ".join(words)
    return " ".join(rng.choice(COMMANDS) for _ in range(rng.randint(1, 3)))


def synthesize(voice, words, stretch, directory):
    """flite's waveform of `words` as float32 in [-1, 1] (16 kHz mono)."""
    import numpy as np
    fd, path = tempfile.mkstemp(suffix=".wav", dir=directory)
    os.close(fd)
    try:
        subprocess.run(["flite", "-voice", voice, "--setf", f"duration_stretch={stretch:.4f}", "-t", words, "-o", path],
                       check=True, capture_output=True)
        with wave.open(path) as w:
            if w.getframerate() != RATE or w.getnchannels() != 1 or w.getsampwidth() != 2:
                raise SystemExit(f"error: flite voice {voice}: expected 16 kHz mono 16-bit audio")
            return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
    finally:
        os.remove(path)


def make_set(voices, count, rng, noise_rng, directory, stem):
    import numpy as np
    plans = []
    for k in range(count):
        plans.append((voices[k % len(voices)], text(rng), rng.uniform(0.85, 1.2), rng.uniform(0.92, 1.08),
                      rng.uniform(0.3, 0.9), rng.uniform(0, 0.3), rng.uniform(15, 40)))
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=2) as pool:
        waves = list(pool.map(lambda p: synthesize(p[0], p[1], p[2], tmp), plans))
    utterances = []
    with open(os.path.join(directory, stem + ".pcm"), "wb") as out:
        for (voice, words, _, factor, level, offset, snr), x in zip(plans, waves):
            n = int(len(x) / factor)
            y = np.interp(np.arange(n) * factor, np.arange(len(x)), x).astype(np.float32)
            y *= level / max(float(np.abs(y).max()), 1e-6)
            start = int(offset * RATE)
            if start + n > WINDOW:
                raise SystemExit(f"error: '{words}' by {voice} is {n / RATE:.2f} s, longer than the window")
            window = np.zeros(WINDOW, dtype=np.float32)
            window[start:start + n] = y
            power = float(np.mean(y ** 2))
            window += noise_rng.normal(0, np.sqrt(power / 10 ** (snr / 10)), WINDOW).astype(np.float32)
            out.write(np.clip(np.round(window * 32767), -32768, 32767).astype("<i2").tobytes())
            utterances.append({"voice": voice, "text": words})
    with open(os.path.join(directory, stem + ".json"), "w") as f:
        json.dump({"sample_rate": RATE, "samples_per_utterance": WINDOW, "vocabulary": VOCABULARY,
                   "utterances": utterances}, f)
        f.write("\n")
    return len(utterances)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--train-per-voice", type=int, default=700)
    p.add_argument("--test", type=int, default=400)
    p.add_argument("--seed", type=int, default=2026)
    args = p.parse_args()
    try:
        subprocess.run(["flite", "-lv"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        print("error: flite is missing: apt-get install flite (scripts/setup.sh does)", file=sys.stderr)
        return 2
    import numpy as np
    os.makedirs(args.out, exist_ok=True)
    rng, noise_rng = random.Random(args.seed), np.random.default_rng(args.seed)
    n_train = make_set(TRAIN_VOICES, args.train_per_voice * len(TRAIN_VOICES), rng, noise_rng, args.out, "train")
    n_test = make_set([TEST_VOICE], args.test, rng, noise_rng, args.out, "test")
    print(f"train: {n_train} utterances ({', '.join(TRAIN_VOICES)}); test: {n_test} ({TEST_VOICE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
