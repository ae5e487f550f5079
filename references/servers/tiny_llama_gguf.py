"""Writes a tiny Llama-architecture model in GGUF with RANDOM weights (seeded), for the OpenAI-API server tests and
`mlperf bench serving`: its outputs are meaningless text; only its serving performance is real. No file is
downloaded; the tokenizer is a SentencePiece-style vocabulary made here (control tokens, the 256 byte-fallback
tokens, and ~200 whole words), written with PyPI `gguf`.

The output rows of the end-of-sequence, control and byte tokens are zero, so greedy decoding (temperature 0) never
ends a response early and every streamed token is a whole word: each response runs to `max_tokens`.

    python3 references/servers/tiny_llama_gguf.py data/generated/tiny-llama      # writes model.gguf there
"""
import argparse
import json
import os

import numpy as np
import gguf

WORDS = """the of and to in is that for it as was with be by on not he this are or his from at which but have an had
they you were their one all we can her has there been if more when will would who so no time model system load test
query sample token server latency river green house light water stone after before under over again then once here
why how each few most other some such only own same than too very just now first last long great little old right big
high different small large next early young important public bad good able new day year work part place case week
company number group problem fact hand point world home room area money story month lot study book eye job word side
kind head far black white red blue cold warm open close run walk read write play move live believe hold bring begin
keep start show hear turn call ask need feel become leave put mean let seem help talk change follow stop create speak
allow add spend grow offer remember love consider appear buy wait serve die send expect build stay fall cut reach kill
remain""".split()


def write_hf_tokenizer(out_dir: str, tokens: list) -> None:
    """The same vocabulary as a Hugging Face `tokenizer.json` (WordLevel over whitespace-split words, written as
    plain JSON), so that client tools that count tokens with a local tokenizer (aiperf, guidellm) need no hub
    download. A word maps to its `▁word` id, as the server's SentencePiece tokenizer maps it."""
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for i, t in enumerate(tokens):
        text = t.decode()
        if text.startswith("\u2581"):
            vocab[text[1:]] = i
    tokenizer = {"version": "1.0", "truncation": None, "padding": None,
                 "added_tokens": [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                                   "normalized": False, "special": True} for c, i in (("<unk>", 0), ("<s>", 1), ("</s>", 2))],
                 "normalizer": None, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None,
                 "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
                 "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}}
    with open(os.path.join(out_dir, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f, sort_keys=True)
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "<unk>", "bos_token": "<s>",
                   "eos_token": "</s>", "model_max_length": 2048}, f, sort_keys=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out_dir", help="the folder to write model.gguf into (made if missing)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--context", type=int, default=1024)
    args = p.parse_args()

    tokens, scores, types = [b"<unk>", b"<s>", b"</s>"], [0.0, 0.0, 0.0], [2, 3, 3]  # UNKNOWN, CONTROL
    for b in range(256):
        tokens.append(f"<0x{b:02X}>".encode()); scores.append(0.0); types.append(6)  # BYTE
    words = sorted(set(WORDS))
    for i, w in enumerate(words):
        tokens.append(("\u2581" + w).encode()); scores.append(-float(i)); types.append(1)  # NORMAL
    vocab, dim, ff = len(tokens), args.dim, args.dim * 2
    rng = np.random.default_rng(args.seed)

    def weight(*shape):
        return (rng.standard_normal(shape) / np.sqrt(shape[-1])).astype(np.float32)

    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, "model.gguf")
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("tiny-llama-random (random weights, for serving benchmarks only)")
    w.add_context_length(args.context)
    w.add_embedding_length(dim)
    w.add_block_count(args.layers)
    w.add_feed_forward_length(ff)
    w.add_head_count(args.heads)
    w.add_head_count_kv(args.heads)
    w.add_rope_dimension_count(dim // args.heads)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)

    w.add_tensor("token_embd.weight", weight(vocab, dim))
    for i in range(args.layers):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(dim, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            w.add_tensor(f"blk.{i}.{name}.weight", weight(dim, dim))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(dim, dtype=np.float32))
        w.add_tensor(f"blk.{i}.ffn_gate.weight", weight(ff, dim))
        w.add_tensor(f"blk.{i}.ffn_up.weight", weight(ff, dim))
        w.add_tensor(f"blk.{i}.ffn_down.weight", weight(dim, ff))
    w.add_tensor("output_norm.weight", np.ones(dim, dtype=np.float32))
    out = weight(vocab, dim)
    out[:3 + 256] = 0.0  # never generate control or byte tokens: greedy decoding emits whole words to max_tokens
    w.add_tensor("output.weight", out)

    write_hf_tokenizer(args.out_dir, tokens)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {path}: llama, {args.layers} layers, dim {dim}, vocab {vocab}, random weights (seed {args.seed})")


if __name__ == "__main__":
    main()
