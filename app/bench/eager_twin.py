#!/usr/bin/python3
"""emo-bench's PyTorch-eager twin: the same model, batch, objective and AdamW as the engine's step, written the
way a PyTorch user writes it (nn.Linear/nn.Embedding modules, matmul attention with a causal mask,
F.cross_entropy, torch.optim.AdamW), to time the engine against, side by side in one run.

    /usr/bin/python3 eager_twin.py --model DIR --batch FILE --rows B --cols T+1 --objective mle|emo|tailr|mixce
                                   [--threads N] [--lr X]

DIR holds config.json and model.safetensors as the engine saved them (Hugging Face names); FILE holds B×(T+1)
int64 token ids (little endian): inputs are the first T of each row, labels the last T. The twin reads
commands on stdin, one per line, and answers one line each on stdout (the same protocol as `emo-bench
--serve-step`):
    check    → "loss <x>"               the objective at the current weights, no step
    step     → "seconds <t> loss <x>"   one training step: zero_grad, forward, objective, backward, AdamW
    sample B N → "prefill <t> decode <t>"  B rows, a 16-token prompt, N new tokens, greedy, with a KV cache
    memory   → "peak <bytes>"           peak resident bytes now minus resident bytes when the model was ready
    quit
Objectives (defaults as the engine's): mle = CE; tailr = w·CE, w = clamp(q/(γ+(1−γ)q), 0.2, 1) with γ = 1e-7,
no grad; mixce = η·CE + (1−η)·sg(q_y)·CE, η = 0.5; emo (the EMO repository's GPT-2 form) = 0.5·(CE +
sg(CE/(demd+1e-10))·demd), demd = 1 − ê_y·(Êᵀq), Ê the L2-normalised LM head rows at load, frozen.
"""
import argparse
import json
import math
import os
import resource
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        flat = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[entry["dtype"]])
        tensors[name] = flat.view(entry["shape"]).float()
    return tensors


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def extend_cache(cache, k, v):
    """cache: None (training) or a list [k, v] per layer, empty before the prompt → (k, v, past length)."""
    if cache is None:
        return k, v, 0
    past = cache[0].shape[2] if cache else 0
    if cache:
        k, v = torch.cat((cache[0], k), 2), torch.cat((cache[1], v), 2)
    cache[:] = [k, v]
    return k, v, past


def attention(q, k, v, past):
    """q [B,H,T,hd], k, v [B,H,S,hd] (S = past + T) → [B,H,T,hd], causal."""
    T, S = q.shape[2], k.shape[2]
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if T > 1:
        future = torch.ones(T, S, dtype=torch.bool).triu(S - T + 1)
        scores = scores.masked_fill(future, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


class LlamaBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.h, self.kv = c["hidden_size"], c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"])
        self.hd = d // self.h
        self.input_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.q_proj = nn.Linear(d, d, bias=False)
        self.k_proj = nn.Linear(d, self.kv * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.kv * self.hd, bias=False)
        self.o_proj = nn.Linear(d, d, bias=False)
        self.gate_proj = nn.Linear(d, c["intermediate_size"], bias=False)
        self.up_proj = nn.Linear(d, c["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(c["intermediate_size"], d, bias=False)

    def forward(self, x, cos, sin, cache):
        B, T, D = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(h).view(B, T, self.kv, self.hd).transpose(1, 2)
        v = self.v_proj(h).view(B, T, self.kv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v, past = extend_cache(cache, k, v)
        rep = self.h // self.kv
        if rep > 1:
            k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        y = attention(q, k, v, past).transpose(1, 2).reshape(B, T, D)
        x = x + self.o_proj(y)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Gpt2Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.h = c["n_embd"], c["n_head"]
        inner = c.get("n_inner") or 4 * d
        self.ln_1 = nn.LayerNorm(d, eps=c["layer_norm_epsilon"])
        self.ln_2 = nn.LayerNorm(d, eps=c["layer_norm_epsilon"])
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.c_fc = nn.Linear(d, inner)
        self.mlp_proj = nn.Linear(inner, d)

    def forward(self, x, cos, sin, cache):
        B, T, D = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(D, dim=2)
        heads = lambda t: t.view(B, T, self.h, D // self.h).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        k, v, past = extend_cache(cache, k, v)
        x = x + self.c_proj(attention(q, k, v, past).transpose(1, 2).reshape(B, T, D))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Model(nn.Module):
    def __init__(self, c, W):
        super().__init__()
        self.llama = c["model_type"] == "llama"
        self.c = c
        if self.llama:
            V, D, L = c["vocab_size"], c["hidden_size"], c["num_hidden_layers"]
            self.hd = D // c["num_attention_heads"]
            self.theta = c.get("rope_theta", 10000.0)
            self.norm = RMSNorm(D, c["rms_norm_eps"])
            self.blocks = nn.ModuleList(LlamaBlock(c) for _ in range(L))
        else:
            V, D, L = c["vocab_size"], c["n_embd"], c["n_layer"]
            self.wpe = nn.Embedding(c["n_positions"], D)
            self.norm = nn.LayerNorm(D, eps=c["layer_norm_epsilon"])
            self.blocks = nn.ModuleList(Gpt2Block(c) for _ in range(L))
        self.embed = nn.Embedding(V, D)
        self.tied = c.get("tie_word_embeddings", True)
        self.lm_head = nn.Linear(D, V, bias=False)
        if self.tied:
            self.lm_head.weight = self.embed.weight
        self.load(W)

    def load(self, W):
        own = {}
        if self.llama:
            own["model.embed_tokens.weight"] = self.embed.weight
            own["model.norm.weight"] = self.norm.weight
            for i, b in enumerate(self.blocks):
                p = "model.layers.%d." % i
                for name in ("input_layernorm", "post_attention_layernorm"):
                    own[p + name + ".weight"] = getattr(b, name).weight
                for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
                    own[p + "self_attn." + name + ".weight"] = getattr(b, name).weight
                for name in ("gate_proj", "up_proj", "down_proj"):
                    own[p + "mlp." + name + ".weight"] = getattr(b, name).weight
            if not self.tied:
                own["lm_head.weight"] = self.lm_head.weight
            transposed = set()
        else:
            own["transformer.wte.weight"] = self.embed.weight
            own["transformer.wpe.weight"] = self.wpe.weight
            own["transformer.ln_f.weight"], own["transformer.ln_f.bias"] = self.norm.weight, self.norm.bias
            transposed = set()
            for i, b in enumerate(self.blocks):
                p = "transformer.h.%d." % i
                for hf, mod in (("ln_1", b.ln_1), ("ln_2", b.ln_2), ("attn.c_attn", b.c_attn),
                                ("attn.c_proj", b.c_proj), ("mlp.c_fc", b.c_fc), ("mlp.c_proj", b.mlp_proj)):
                    own[p + hf + ".weight"], own[p + hf + ".bias"] = mod.weight, mod.bias
                    if hf.startswith(("attn", "mlp")):
                        transposed.add(p + hf + ".weight")  # Conv1D stores [in, out]
        with torch.no_grad():
            for name, param in own.items():
                value = W[name].t() if name in transposed else W[name]
                param.copy_(value)

    def rotary(self, begin, T):
        inv = 1.0 / (self.theta ** (torch.arange(0, self.hd, 2, dtype=torch.float32) / self.hd))
        freqs = torch.outer(torch.arange(begin, begin + T, dtype=torch.float32), inv)
        emb = torch.cat((freqs, freqs), -1)
        return emb.cos()[None, None], emb.sin()[None, None]

    def forward(self, ids, caches=None):
        B, T = ids.shape
        past = caches[0][0].shape[2] if caches and caches[0] else 0
        x = self.embed(ids)
        cos = sin = None
        if self.llama:
            cos, sin = self.rotary(past, T)
        else:
            x = x + self.wpe(torch.arange(past, past + T))
        for i, block in enumerate(self.blocks):
            x = block(x, cos, sin, caches[i] if caches is not None else None)
        return self.lm_head(self.norm(x))


def objective(kind, logits, labels, cost):
    ce = F.cross_entropy(logits, labels, reduction="none")
    if kind == "mle":
        return ce.mean()
    qy = torch.exp(-ce).detach()
    if kind == "tailr":
        gamma = 1e-7
        return ((qy / (gamma + (1 - gamma) * qy)).clamp(0.2, 1.0) * ce).mean()
    if kind == "mixce":
        return (0.5 * ce + 0.5 * qy * ce).mean()
    q = torch.softmax(logits, -1)
    demd = 1.0 - (cost[labels] * (q @ cost)).sum(-1)
    return (0.5 * (ce + (ce / (demd + 1e-10)).detach() * demd)).mean()


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--model", required=True)
    a.add_argument("--batch", required=True)
    a.add_argument("--rows", type=int, required=True)
    a.add_argument("--cols", type=int, required=True)
    a.add_argument("--objective", default="mle", choices=["mle", "emo", "tailr", "mixce"])
    a.add_argument("--threads", type=int, default=0)
    a.add_argument("--lr", type=float, default=5e-5)
    args = a.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with open(os.path.join(args.model, "config.json")) as f:
        config = json.load(f)
    model = Model(config, read_safetensors(os.path.join(args.model, "model.safetensors")))
    with open(args.batch, "rb") as f:
        ids = torch.frombuffer(bytearray(f.read()), dtype=torch.int64).view(args.rows, args.cols)
    inputs, labels = ids[:, :-1].contiguous(), ids[:, 1:].reshape(-1).contiguous()
    cost = F.normalize(model.lm_head.weight.detach().clone(), dim=-1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    V = config["vocab_size"]
    ready = resident_bytes()
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "check":
            with torch.no_grad():
                loss = objective(args.objective, model(inputs).view(-1, V), labels, cost)
            print("loss %.9g" % loss.item(), flush=True)
        elif words[0] == "step":
            start = time.perf_counter()
            optimizer.zero_grad()
            loss = objective(args.objective, model(inputs).view(-1, V), labels, cost)
            loss.backward()
            optimizer.step()
            print("seconds %.6f loss %.9g" % (time.perf_counter() - start, loss.item()), flush=True)
        elif words[0] == "sample":
            rows, new = int(words[1]), int(words[2])
            prompt = ids[:1, :16].expand(rows, 16).contiguous()
            with torch.no_grad():
                caches = [[] for _ in model.blocks]
                start = time.perf_counter()
                token = model(prompt, caches)[:, -1].argmax(-1, keepdim=True)
                prefill = time.perf_counter() - start
                start = time.perf_counter()
                for _ in range(new - 1):
                    token = model(token, caches)[:, -1].argmax(-1, keepdim=True)
                decode = time.perf_counter() - start
            print("prefill %.6f decode %.6f" % (prefill, decode), flush=True)
        elif words[0] == "memory":
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            print("peak %d" % (peak - ready), flush=True)
        else:
            print("error unknown command %s" % words[0], flush=True)


if __name__ == "__main__":
    main()
