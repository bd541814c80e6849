#!/usr/bin/python3
"""Seed corpora of the reader harnesses (tests/fuzz/reader_harnesses.cpp): small valid files of every kind
a user hands the program, and near-valid ones beside them. Run from the repository root:

    /usr/bin/python3 tests/data/fuzz/make_seeds.py --emo build/app/cli/emo

The run-folder seeds (run.json, metrics.jsonl, trainer_state.safetensors) come from a two-step
`emo pretrain` of a tiny model; the rest is written here (torch for the torch.save files)."""
import argparse, io, json, os, struct, subprocess, tempfile
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SEP = b"\n#--part--#\n"  # kPartSeparator in reader_harnesses.h


def put(harness, name, data):
    folder = os.path.join(HERE, harness)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
             torch.bool: "BOOL", torch.uint8: "U8"}
    for name, t in tensors.items():
        raw = t.contiguous().view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def torch_save(obj, **kwargs):
    buffer = io.BytesIO()
    torch.save(obj, buffer, **kwargs)
    return buffer.getvalue()


def bytes_to_unicode():  # GPT-2's byte-level alphabet
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--emo", required=True)
    emo = parser.parse_args().emo
    # Seeds are made anew; found-* inputs (what fuzzing once found, kept as regressions) stay.
    for root, _, files in os.walk(HERE):
        if root != HERE:
            for name in files:
                if not name.startswith("found-"):
                    os.remove(os.path.join(root, name))

    # safetensors
    small = {"a": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.tensor([1.5, -2.0], dtype=torch.float16)}
    put("safetensors", "two-tensors.safetensors", safetensors(small))
    put("safetensors", "metadata-bf16.safetensors",
        safetensors({"w": torch.ones(4, dtype=torch.bfloat16), "e": torch.zeros(0)}, {"format": "pt"}))
    put("safetensors", "ints-bools.safetensors",
        safetensors({"i": torch.tensor([1, -2], dtype=torch.int64), "m": torch.tensor([True, False])}))
    put("safetensors", "empty.safetensors", safetensors({}))
    put("safetensors", "near-truncated.safetensors", safetensors(small)[:-3])
    with open(os.path.join(HERE, "..", "io", "fixture.safetensors"), "rb") as f:
        put("safetensors", "fixture.safetensors", f.read())

    # torch.save zip files, as pytorch_model.bin holds them
    put("torch_checkpoint", "state-dict.bin", torch_save({"a": torch.arange(4.0), "b": torch.ones(2, 3, dtype=torch.float16)}))
    shared = torch.arange(8.0)
    put("torch_checkpoint", "views-bf16.bin", torch_save({"w": shared[2:6], "v": shared.view(2, 4).t(),
                                                          "h": torch.zeros(3, dtype=torch.bfloat16)}))
    put("torch_checkpoint", "ordered-dict.bin", torch_save(__import__("collections").OrderedDict(x=torch.ones(1))))
    put("torch_checkpoint", "near-legacy-format.bin", torch_save({"a": torch.ones(2)}, _use_new_zipfile_serialization=False))

    # a sharded index and the shard it names
    shard = safetensors({"a": torch.ones(2), "b": torch.zeros(3)})
    index = {"metadata": {"total_size": 20}, "weight_map": {"a": "model-00001-of-00001.safetensors",
                                                            "b": "model-00001-of-00001.safetensors"}}
    put("checkpoint_index", "one-shard", json.dumps(index, indent=2).encode() + SEP + shard)
    index["weight_map"]["c"] = "model-00002-of-00002.safetensors"
    put("checkpoint_index", "near-missing-shard", json.dumps(index).encode() + SEP + shard)

    # config.json of every family
    data = os.path.dirname(HERE)
    for root, _, files in os.walk(data):
        if "config.json" in files and not root.startswith(HERE):
            family = os.path.basename(root)
            with open(os.path.join(root, "config.json"), "rb") as f:
                put("model_config", family + ".json", f.read())

    # vocab.json + merges.txt: the 256 byte symbols and a few merges
    alphabet = bytes_to_unicode()
    vocab = {alphabet[b]: i for i, b in enumerate(sorted(alphabet))}
    merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("l", "l"), ("e", "ll")]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    merges_txt = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges)
    put("gpt2_bpe", "byte-level", json.dumps(vocab, ensure_ascii=False).encode() + SEP + merges_txt.encode())
    put("gpt2_bpe", "near-no-merges", json.dumps(vocab, ensure_ascii=False).encode() + SEP + b"#version: 0.2\n")

    # tokenizer.json (what GPT2TokenizerFast saves), merges as strings and as pairs
    for pairs in (False, True):
        root = {"version": "1.0", "truncation": None, "padding": None,
                "added_tokens": [{"id": vocab["<|endoftext|>"], "content": "<|endoftext|>", "single_word": False,
                                  "lstrip": False, "rstrip": False, "normalized": True, "special": True}],
                "normalizer": None,
                "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
                "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
                "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
                "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                          "end_of_word_suffix": "", "fuse_unk": False, "vocab": vocab,
                          "merges": [[a, b] if pairs else f"{a} {b}" for a, b in merges]}}
        put("tokenizer_json", "merges-as-" + ("pairs" if pairs else "strings") + ".json",
            json.dumps(root, ensure_ascii=False).encode())

    # tokenizer.model: the tiny sentencepiece fixture of the text tests
    with open(os.path.join(HERE, "..", "text", "sp", "tiny_bpe.model"), "rb") as f:
        put("sentencepiece", "tiny-bpe.model", f.read())

    # data sets and prompts: the first byte picks the extension (even: .txt, odd: .jsonl)
    put("documents", "plain", b"\x00First document, two lines.\nStill the first.\n\nThe second.\n")
    put("documents", "wikitext", b"\x00 = Title = \n\n Some text of the article . \n\n = = Section = = \n\n More . \n")
    put("documents", "jsonl", b'\x01{"text": "one"}\n{"text": "two\\nlines", "id": 3}\n')
    put("prompts", "lines", b"\x00Once upon a time\r\nThe cat\n\n")
    put("prompts", "jsonl", b'\x01{"prompt": "a"}\n{"text": "b\\nc"}\n')
    put("few_shot", "two-labels.jsonl", b'{"text": "goal scored", "label": "sports"}\n{"text": "stocks fell", "label": "business"}\n')
    put("experiment", "experiment.json", json.dumps({"experiment": "oracle", "format": 1, "scale": "micro"}).encode())

    # run-folder files from a tiny pretraining run
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w") as f:
            for i in range(60):
                f.write(f"the quick brown fox {i} jumps over the lazy dog\n\n")
        run = os.path.join(tmp, "run")
        subprocess.run([emo, "pretrain", "--arch", "llama", "--layers", "1", "--d", "8", "--heads", "1",
                        "--vocab-size", "40", "--tokenizer-type", "char", "--data", corpus, "--block", "8",
                        "--batch", "2", "--steps", "2", "--validate-every", "1", "--out", run],
                       check=True, capture_output=True)
        for name, harness in (("run.json", "run_json"), ("metrics.jsonl", "metrics_jsonl"),
                              ("trainer_state.safetensors", "trainer_state")):
            with open(os.path.join(run, name), "rb") as f:
                put(harness, name, f.read())


if __name__ == "__main__":
    main()
