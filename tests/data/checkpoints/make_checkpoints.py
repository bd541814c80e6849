#!/usr/bin/python3
"""torch.save checkpoints (pytorch_model.bin, single and sharded) of the tiny reference models, written by
PyTorch itself, for the reader that opens them without Python.

Run with /usr/bin/python3 (Debian's torch 1.13) after tests/data/model/make_reference.py:
    /usr/bin/python3 tests/data/checkpoints/make_checkpoints.py
Each folder holds the weights of ../model/<source>/model.safetensors, so its logits must equal that
folder's reference.safetensors entry named in the table below:
  gpt2_bin            pytorch_model.bin, float32, as GPT2LMHeadModel.state_dict() saves it: the tied
                      lm_head.weight sharing the embedding's storage, the attn.bias / attn.masked_bias
                      buffers, a transposed (non-contiguous) c_attn view, the _metadata attribute
                                                                   → gpt2_tied "logits"
  llama_bin_sharded   pytorch_model-0000{1,2}-of-00002.bin + pytorch_model.bin.index.json, bfloat16
                                                                   → llama_untied_gqa "logits_bf16_weights"
  opt_bin_f16         pytorch_model.bin, float16, values saved as torch.nn.Parameter (the
                      _rebuild_parameter path), with the "model.decoder." prefix of OPTForCausalLM
                                                                   → opt_pre_ln "logits_f16_weights"
and, for the refusal test, code_in_pickle.bin: a torch.save whose pickle would call os.system when
unpickled by Python (it runs "true"); the reader must refuse it by name and never run it.
"""
import collections
import json
import os
import shutil
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "model")
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    out = collections.OrderedDict()
    for name in sorted(header):
        if name == "__metadata__":
            continue
        entry = header[name]
        begin, end = entry["data_offsets"]
        dtype = DTYPES[entry["dtype"]]
        raw = bytearray(data[begin:end])
        if dtype == torch.bfloat16:
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(raw, dtype=dtype)
        out[name] = t.reshape(entry["shape"]).clone()
    return out


def fresh_folder(name, source):
    folder = os.path.join(HERE, name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    shutil.copy(os.path.join(MODELS, source, "config.json"), folder)
    return folder


def gpt2_bin():
    folder = fresh_folder("gpt2_bin", "gpt2_tied")
    weights = read_safetensors(os.path.join(MODELS, "gpt2_tied", "model.safetensors"))
    state = collections.OrderedDict()
    for name, t in weights.items():
        if name.endswith("attn.c_attn.weight"):
            t = t.t().contiguous().t()  # same values, column-major strides
        state[name] = t
    n = json.load(open(os.path.join(folder, "config.json")))["n_positions"]
    for layer in range(2):
        state["transformer.h.%d.attn.bias" % layer] = torch.tril(torch.ones(n, n, dtype=torch.uint8)).view(1, 1, n, n)
        state["transformer.h.%d.attn.masked_bias" % layer] = torch.tensor(-1e4)
    state["lm_head.weight"] = state["transformer.wte.weight"]  # tied: one storage, saved once
    state._metadata = collections.OrderedDict([("", {"version": 1})])
    torch.save(state, os.path.join(folder, "pytorch_model.bin"))


def llama_bin_sharded():
    folder = fresh_folder("llama_bin_sharded", "llama_untied_gqa")
    weights = read_safetensors(os.path.join(MODELS, "llama_untied_gqa", "model.safetensors"))
    names = list(weights)
    shards = [names[: len(names) // 2], names[len(names) // 2:]]
    weight_map = {}
    total = 0
    for index, shard in enumerate(shards):
        file = "pytorch_model-%05d-of-%05d.bin" % (index + 1, len(shards))
        part = collections.OrderedDict((name, weights[name].to(torch.bfloat16)) for name in shard)
        torch.save(part, os.path.join(folder, file))
        for name in shard:
            weight_map[name] = file
            total += part[name].numel() * 2
    with open(os.path.join(folder, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)


def opt_bin_f16():
    folder = fresh_folder("opt_bin_f16", "opt_pre_ln")
    weights = read_safetensors(os.path.join(MODELS, "opt_pre_ln", "model.safetensors"))
    state = collections.OrderedDict()
    for name, t in weights.items():
        assert name.startswith("model.decoder.") or name == "lm_head.weight", name
        state[name] = torch.nn.Parameter(t.to(torch.float16), requires_grad=False)
    torch.save(state, os.path.join(folder, "pytorch_model.bin"))


class RunsCode:
    def __reduce__(self):
        return (os.system, ("true",))


def code_in_pickle():
    torch.save(collections.OrderedDict([("weight", torch.zeros(2)), ("hook", RunsCode())]),
               os.path.join(HERE, "code_in_pickle.bin"))


if __name__ == "__main__":
    gpt2_bin()
    llama_bin_sharded()
    opt_bin_f16()
    code_in_pickle()
