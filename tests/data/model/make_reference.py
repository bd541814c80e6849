#!/usr/bin/python3
"""Tiny random GPT-2 / LLaMA / OPT models in exact Hugging Face layout, with reference logits.

Run with /usr/bin/python3 (Debian's torch 1.13; the transformers package is not needed and not used):
    /usr/bin/python3 tests/data/model/make_reference.py
Writes, for each of gpt2_tied, llama_tied, llama_untied_gqa, opt_pre_ln and opt_post_ln_projected, a folder with
  config.json          as transformers writes it (GPT2LMHeadModel / LlamaForCausalLM / OPTForCausalLM)
  model.safetensors    F32, HF tensor names (GPT-2: "transformer." prefix, Conv1D in x out; tied head omitted)
  reference.safetensors  input_ids [2, 12] I64, and logits [2, 12, V] F32 computed in float64 by the plain
                       PyTorch forward below from (a) the F32 weights, (b) the weights rounded to F16,
                       (c) the weights rounded to BF16 ("logits", "logits_f16_weights", "logits_bf16_weights").
The forward passes are written from the transformers formulas (modeling_gpt2.py, modeling_llama.py,
modeling_opt.py), not from the C++ engine: gelu_new, LayerNorm, Conv1D, learned positions; RMSNorm,
rotate_half rotary embeddings, SwiGLU, repeat_kv grouped-query attention; OPT's learned positions offset by 2,
biased q/k/v/out projections, ReLU fc1/fc2, pre-LN (OPT-125M and most sizes) or post-LN without a final
layer norm (OPT-350M), project_in / project_out when word_embed_proj_dim differs from hidden_size.
"""
import json
import math
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))

DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}


def write_safetensors(path, tensors, metadata=None):
    """The safetensors layout by hand: u64 LE header size, JSON header (space padded to 8), raw data."""
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().tobytes()
        else:
            raw = t.numpy().tobytes()
        header[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


# ---------------------------------------------------------------- GPT-2 (modeling_gpt2.py formulas)

def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * w + b


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def causal_softmax_attention(q, k, v):
    # q [B,H,T,hd], k/v [B,H,T,hd]
    T, hd = q.shape[2], q.shape[3]
    scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(future, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def gpt2_forward(W, cfg, ids):
    B, T = ids.shape
    D, H = cfg["n_embd"], cfg["n_head"]
    hd = D // H
    eps = cfg["layer_norm_epsilon"]
    x = W["transformer.wte.weight"][ids] + W["transformer.wpe.weight"][torch.arange(T)]
    for l in range(cfg["n_layer"]):
        p = "transformer.h.%d." % l
        h = layer_norm(x, W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
        qkv = h @ W[p + "attn.c_attn.weight"] + W[p + "attn.c_attn.bias"]  # Conv1D: x @ W[in, out] + b
        q, k, v = qkv.split(D, dim=2)
        heads = lambda t: t.view(B, T, H, hd).permute(0, 2, 1, 3)
        y = causal_softmax_attention(heads(q), heads(k), heads(v))
        y = y.permute(0, 2, 1, 3).reshape(B, T, D)
        x = x + y @ W[p + "attn.c_proj.weight"] + W[p + "attn.c_proj.bias"]
        h = layer_norm(x, W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
        m = gelu_new(h @ W[p + "mlp.c_fc.weight"] + W[p + "mlp.c_fc.bias"])
        x = x + m @ W[p + "mlp.c_proj.weight"] + W[p + "mlp.c_proj.bias"]
    x = layer_norm(x, W["transformer.ln_f.weight"], W["transformer.ln_f.bias"], eps)
    return x @ W["transformer.wte.weight"].T


def gpt2_weights(cfg, g):
    D, V, L, P = cfg["n_embd"], cfg["vocab_size"], cfg["n_layer"], cfg["n_positions"]
    inner = cfg["n_inner"] or 4 * D
    r = lambda *shape, std: torch.randn(*shape, generator=g) * std
    W = {"transformer.wte.weight": r(V, D, std=0.5), "transformer.wpe.weight": r(P, D, std=0.3),
         "transformer.ln_f.weight": 1 + r(D, std=0.1), "transformer.ln_f.bias": r(D, std=0.1)}
    for l in range(L):
        p = "transformer.h.%d." % l
        W[p + "ln_1.weight"] = 1 + r(D, std=0.1)
        W[p + "ln_1.bias"] = r(D, std=0.1)
        W[p + "attn.c_attn.weight"] = r(D, 3 * D, std=0.25)
        W[p + "attn.c_attn.bias"] = r(3 * D, std=0.1)
        W[p + "attn.c_proj.weight"] = r(D, D, std=0.15)
        W[p + "attn.c_proj.bias"] = r(D, std=0.05)
        W[p + "ln_2.weight"] = 1 + r(D, std=0.1)
        W[p + "ln_2.bias"] = r(D, std=0.1)
        W[p + "mlp.c_fc.weight"] = r(D, inner, std=0.2)
        W[p + "mlp.c_fc.bias"] = r(inner, std=0.1)
        W[p + "mlp.c_proj.weight"] = r(inner, D, std=0.1)
        W[p + "mlp.c_proj.bias"] = r(D, std=0.05)
    return W


# ---------------------------------------------------------------- LLaMA (modeling_llama.py formulas)

def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(x, n_rep):
    b, kvh, t, hd = x.shape
    return x[:, :, None, :, :].expand(b, kvh, n_rep, t, hd).reshape(b, kvh * n_rep, t, hd)


def llama_forward(W, cfg, ids):
    B, T = ids.shape
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads", H)
    hd = D // H
    eps = cfg["rms_norm_eps"]
    theta = cfg.get("rope_theta", 10000.0)
    inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[None, None], emb.sin()[None, None]
    x = W["model.embed_tokens.weight"][ids]
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        h = rms_norm(x, W[p + "input_layernorm.weight"], eps)
        q = (h @ W[p + "self_attn.q_proj.weight"].T).view(B, T, H, hd).transpose(1, 2)
        k = (h @ W[p + "self_attn.k_proj.weight"].T).view(B, T, KV, hd).transpose(1, 2)
        v = (h @ W[p + "self_attn.v_proj.weight"].T).view(B, T, KV, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        y = causal_softmax_attention(q, repeat_kv(k, H // KV), repeat_kv(v, H // KV))
        y = y.transpose(1, 2).reshape(B, T, D)
        x = x + y @ W[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        gate = h @ W[p + "mlp.gate_proj.weight"].T
        m = (gate * torch.sigmoid(gate)) * (h @ W[p + "mlp.up_proj.weight"].T)
        x = x + m @ W[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, W["model.norm.weight"], eps)
    head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    return x @ head.T


def llama_weights(cfg, g):
    D, V, L = cfg["hidden_size"], cfg["vocab_size"], cfg["num_hidden_layers"]
    H = cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads", H)
    I = cfg["intermediate_size"]
    kvd = KV * (D // H)
    r = lambda *shape, std: torch.randn(*shape, generator=g) * std
    W = {"model.embed_tokens.weight": r(V, D, std=0.5), "model.norm.weight": 1 + r(D, std=0.1)}
    for l in range(L):
        p = "model.layers.%d." % l
        W[p + "input_layernorm.weight"] = 1 + r(D, std=0.1)
        W[p + "self_attn.q_proj.weight"] = r(D, D, std=0.3)
        W[p + "self_attn.k_proj.weight"] = r(kvd, D, std=0.3)
        W[p + "self_attn.v_proj.weight"] = r(kvd, D, std=0.2)
        W[p + "self_attn.o_proj.weight"] = r(D, D, std=0.15)
        W[p + "post_attention_layernorm.weight"] = 1 + r(D, std=0.1)
        W[p + "mlp.gate_proj.weight"] = r(I, D, std=0.2)
        W[p + "mlp.up_proj.weight"] = r(I, D, std=0.2)
        W[p + "mlp.down_proj.weight"] = r(D, I, std=0.1)
    if not cfg["tie_word_embeddings"]:
        W["lm_head.weight"] = r(V, D, std=0.3)
    return W


# ---------------------------------------------------------------- OPT (modeling_opt.py formulas)

def opt_forward(W, cfg, ids):
    B, T = ids.shape
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    hd = D // H
    pre = cfg["do_layer_norm_before"]
    eps = 1e-5  # nn.LayerNorm's default; OPT configs have no eps field
    p = "model.decoder."
    x = W[p + "embed_tokens.weight"][ids]                      # [B, T, word_embed_proj_dim]
    if cfg["word_embed_proj_dim"] != D:
        x = x @ W[p + "project_in.weight"].T
    # OPTLearnedPositionalEmbedding: (cumsum(mask) * mask - 1) + offset 2; no padding here
    x = x + W[p + "embed_positions.weight"][torch.arange(T) + 2]
    for l in range(cfg["num_hidden_layers"]):
        q = "%slayers.%d." % (p, l)
        residual = x
        h = layer_norm(x, W[q + "self_attn_layer_norm.weight"], W[q + "self_attn_layer_norm.bias"], eps) if pre else x
        proj = lambda name: h @ W[q + "self_attn.%s.weight" % name].T + W[q + "self_attn.%s.bias" % name]
        heads = lambda t: t.view(B, T, H, hd).transpose(1, 2)
        # OPTAttention scales the query by head_dim^-0.5 after its bias; the softmax sees the same scores
        y = causal_softmax_attention(heads(proj("q_proj")), heads(proj("k_proj")), heads(proj("v_proj")))
        y = y.transpose(1, 2).reshape(B, T, D)
        x = residual + y @ W[q + "self_attn.out_proj.weight"].T + W[q + "self_attn.out_proj.bias"]
        if not pre:
            x = layer_norm(x, W[q + "self_attn_layer_norm.weight"], W[q + "self_attn_layer_norm.bias"], eps)
        residual = x
        h = layer_norm(x, W[q + "final_layer_norm.weight"], W[q + "final_layer_norm.bias"], eps) if pre else x
        h = torch.relu(h @ W[q + "fc1.weight"].T + W[q + "fc1.bias"])
        x = residual + h @ W[q + "fc2.weight"].T + W[q + "fc2.bias"]
        if not pre:
            x = layer_norm(x, W[q + "final_layer_norm.weight"], W[q + "final_layer_norm.bias"], eps)
    if pre and not cfg.get("_remove_final_layer_norm", False):
        x = layer_norm(x, W[p + "final_layer_norm.weight"], W[p + "final_layer_norm.bias"], eps)
    if cfg["word_embed_proj_dim"] != D:
        x = x @ W[p + "project_out.weight"].T
    return x @ W[p + "embed_tokens.weight"].T                  # the head is tied to embed_tokens


def opt_weights(cfg, g):
    D, V, L = cfg["hidden_size"], cfg["vocab_size"], cfg["num_hidden_layers"]
    E, F, P = cfg["word_embed_proj_dim"], cfg["ffn_dim"], cfg["max_position_embeddings"]
    r = lambda *shape, std: torch.randn(*shape, generator=g) * std
    p = "model.decoder."
    W = {p + "embed_tokens.weight": r(V, E, std=0.5), p + "embed_positions.weight": r(P + 2, D, std=0.3)}
    if cfg["do_layer_norm_before"] and not cfg.get("_remove_final_layer_norm", False):
        W[p + "final_layer_norm.weight"] = 1 + r(D, std=0.1)
        W[p + "final_layer_norm.bias"] = r(D, std=0.1)
    if E != D:
        W[p + "project_in.weight"] = r(D, E, std=0.3)
        W[p + "project_out.weight"] = r(E, D, std=0.3)
    for l in range(L):
        q = "%slayers.%d." % (p, l)
        for name in ("q_proj", "k_proj", "v_proj"):
            W[q + "self_attn.%s.weight" % name] = r(D, D, std=0.3)
            W[q + "self_attn.%s.bias" % name] = r(D, std=0.1)
        W[q + "self_attn.out_proj.weight"] = r(D, D, std=0.15)
        W[q + "self_attn.out_proj.bias"] = r(D, std=0.05)
        W[q + "self_attn_layer_norm.weight"] = 1 + r(D, std=0.1)
        W[q + "self_attn_layer_norm.bias"] = r(D, std=0.1)
        W[q + "fc1.weight"] = r(F, D, std=0.2)
        W[q + "fc1.bias"] = r(F, std=0.1)
        W[q + "fc2.weight"] = r(D, F, std=0.1)
        W[q + "fc2.bias"] = r(D, std=0.05)
        W[q + "final_layer_norm.weight"] = 1 + r(D, std=0.1)
        W[q + "final_layer_norm.bias"] = r(D, std=0.1)
    return W


# ---------------------------------------------------------------- the models

GPT2_TIED = {
    "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
    "bos_token_id": 299, "embd_pdrop": 0.1, "eos_token_id": 299, "initializer_range": 0.02,
    "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 64, "n_embd": 32, "n_head": 4,
    "n_inner": None, "n_layer": 2, "n_positions": 64, "reorder_and_upcast_attn": False,
    "resid_pdrop": 0.1, "scale_attn_by_inverse_layer_idx": False, "scale_attn_weights": True,
    "summary_activation": None, "summary_first_dropout": 0.1, "summary_proj_to_labels": True,
    "summary_type": "cls_index", "summary_use_proj": True, "torch_dtype": "float32", "use_cache": True,
    "vocab_size": 300,
}

# Multi-head attention; num_key_value_heads and rope_theta absent (defaults: heads, 10000).
LLAMA_TIED = {
    "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
    "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 32,
    "initializer_range": 0.02, "intermediate_size": 80, "max_position_embeddings": 64,
    "model_type": "llama", "num_attention_heads": 4, "num_hidden_layers": 2, "pretraining_tp": 1,
    "rms_norm_eps": 1e-06, "rope_scaling": None, "tie_word_embeddings": True, "torch_dtype": "float32",
    "use_cache": True, "vocab_size": 300,
}

# Grouped-query attention (4 query heads share 2 key/value heads), separate head, rope_theta 1000.
LLAMA_UNTIED_GQA = dict(LLAMA_TIED, num_key_value_heads=2, rope_theta=1000.0, tie_word_embeddings=False,
                        num_hidden_layers=3, intermediate_size=72)

# OPT-125M's layout (pre-LN, final layer norm, word_embed_proj_dim == hidden_size), as OPTForCausalLM saves it.
OPT_PRE_LN = {
    "_remove_final_layer_norm": False, "activation_dropout": 0.0, "activation_function": "relu",
    "architectures": ["OPTForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 2, "do_layer_norm_before": True,
    "dropout": 0.1, "enable_bias": True, "eos_token_id": 2, "ffn_dim": 64, "hidden_size": 32, "init_std": 0.02,
    "layer_norm_elementwise_affine": True, "layerdrop": 0.0, "max_position_embeddings": 64, "model_type": "opt",
    "num_attention_heads": 4, "num_hidden_layers": 2, "pad_token_id": 1, "prefix": "</s>", "torch_dtype": "float32",
    "use_cache": True, "vocab_size": 300, "word_embed_proj_dim": 32,
}

# OPT-350M's: post-LN, no final layer norm, embeddings of 16 projected in to 32 and out again.
OPT_POST_LN_PROJECTED = dict(OPT_PRE_LN, do_layer_norm_before=False, word_embed_proj_dim=16, num_hidden_layers=3)

MODELS = [
    ("gpt2_tied", GPT2_TIED, gpt2_weights, gpt2_forward, 1),
    ("llama_tied", LLAMA_TIED, llama_weights, llama_forward, 2),
    ("llama_untied_gqa", LLAMA_UNTIED_GQA, llama_weights, llama_forward, 3),
    ("opt_pre_ln", OPT_PRE_LN, opt_weights, opt_forward, 4),
    ("opt_post_ln_projected", OPT_POST_LN_PROJECTED, opt_weights, opt_forward, 5),
]


def main():
    for name, cfg, make_weights, forward, seed in MODELS:
        g = torch.Generator().manual_seed(seed)
        W = {k: v.float() for k, v in make_weights(cfg, g).items()}
        ids = torch.randint(0, cfg["vocab_size"], (2, 12), generator=g)
        reference = {"input_ids": ids}
        for key, dtype in (("logits", torch.float32), ("logits_f16_weights", torch.float16),
                           ("logits_bf16_weights", torch.bfloat16)):
            rounded = {k: v.to(dtype).double() for k, v in W.items()}
            reference[key] = forward(rounded, cfg, ids).float()
        folder = os.path.join(HERE, name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2, sort_keys=True)
            f.write("\n")
        write_safetensors(os.path.join(folder, "model.safetensors"), W, {"format": "pt"})
        write_safetensors(os.path.join(folder, "reference.safetensors"), reference)
        print(name, "params", sum(v.numel() for v in W.values()),
              "logit std %.3f" % reference["logits"].std().item())


if __name__ == "__main__":
    main()
