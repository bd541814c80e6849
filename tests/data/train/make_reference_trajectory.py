#!/usr/bin/python3
"""Reference training trajectory for tst_reference_trajectory (llm.c style): a few AdamW steps of a tiny
GPT-2, computed here independently of the C++ trainer, step by step.

Run with /usr/bin/python3 (Debian's torch; transformers is not needed and not used):
    OMP_NUM_THREADS=1 /usr/bin/python3 tests/data/train/make_reference_trajectory.py
Writes tests/data/train/reference_trajectory/:
  model/config.json, model/model.safetensors   a random GPT-2 in exact Hugging Face layout (F32,
                                                "transformer." prefix, Conv1D weights [in, out], tied head
                                                omitted), dropout 0 so that transformers would train it alike
  model/vocab.json, model/merges.txt            byte-level GPT-2 BPE without merges: ids 0..255 are the byte
                                                symbols in bytes_to_unicode order, 256 is <|endoftext|>
  train.txt                                     the training text (blank-line separated documents)
  expected.json                                 settings, the training blocks, and per objective (mle, emo)
                                                each step's learning rate, loss, CE and DEMD parts and
                                                gradient norm before clipping, plus checksums of each final
                                                tensor (sum, sum of squares, norm of the change; the key
                                                third of c_attn.bias left out, see compared_part)

What the trainer is expected to do, written from the formulas (DESIGN.md, transformers, torch.optim), not
from the C++ code:
- data: documents are the blank-line separated parts of the file, trimmed; each is encoded and followed by
  <|endoftext|>; the ids are concatenated and cut into blocks of T, the remainder dropped. The text gives
  exactly batch × accumulation blocks, so every step sees every block and the order the trainer draws them
  in changes the gradient only by float rounding (each micro-batch is weighted by its share of blocks).
- model: GPT-2 (modeling_gpt2.py): learned positions, pre-LN, gelu_new, tied LM head, no dropout.
- objectives: mean over the T−1 predicted tokens of each block (the last position has no label);
  mle = −log q_y; emo (paper's GPT-2 mode) = 0.5·(mle + sg(mle/(demd+1e-10))·demd) with
  demd = 1 − ê_y·(Êᵀq), Ê the rows of the LM head as loaded, L2-normalised, frozen.
- step loss = Σ over micro-batches of (blocks in it / blocks in the step) × its mean loss, and the
  gradients accumulate with the same weights.
- gradient norm: global L2 norm over the unique parameters (the tied embedding/head once), before
  clipping; clip factor min(1, clip / (norm + 1e-6)).
- learning rate of step k (0-based): warm-up base·k/W for k < W, then linear base·(S − k)/(S − W).
- AdamW (torch.optim.AdamW): p ← p·(1 − lr·wd), m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g²,
  p ← p − lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + eps); wd only on tensors with ≥ 2 dimensions.
Everything runs in float64 from the stored F32 weights. The hand-written optimizer is checked against
torch.optim.AdamW + clip_grad_norm_ (two parameter groups), and the float32 run of the same code is
printed to show the rounding the C++ float32 trainer can be expected to differ by.
"""
import json
import math
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "reference_trajectory")

SEED = 20240607
VOCAB = 264          # 257 tokenizer ids, padded as transformers pads vocabularies (unused rows still train)
EOS = 256
HIDDEN = 32
LAYERS = 2
HEADS = 4
POSITIONS = 64
LN_EPS = 1e-5

# Non-default β2 and eps, so that their wiring is tested too. eps 1e-6 (not 1e-8) also keeps Adam from turning
# the rounding noise of near-zero gradients into steps of ~lr, so that a float32 run follows this one closely.
# Warm-up 2 makes step 1 a step at lr 0 (moments only); clipping at 2.5 acts on some steps and not on others.
SETTINGS = {
    "block_size": 32,
    "batch_size": 2,
    "gradient_accumulation": 2,
    "max_steps": 6,
    "learning_rate": 1e-2,
    "warmup_steps": 2,
    "schedule": "linear",
    "weight_decay": 0.1,
    "adam_beta1": 0.9,
    "adam_beta2": 0.95,
    "adam_eps": 1e-6,
    "clip_norm": 2.5,
    "validation_fraction": 0.0,
    "seed": 7,
}
TRAIN_BLOCKS = SETTINGS["batch_size"] * SETTINGS["gradient_accumulation"]
REMAINDER = 11       # tokens past the last full block, dropped by the trainer

# Blank lines (also ones holding only spaces or tabs) separate documents; each document is trimmed; a line
# ending "\r\n" loses its "\r"; inner newlines, tabs and trailing spaces of inner lines stay.
TRAIN_TEXT = (
    "  The cat sees the river.\n"
    "It likes the café by the bridge.   \n"
    "\n"
    " \t \n"
    "A dog\tfollows the ball; the ball rolls.\r\n"
    "\r\n"
    "\n"
    "Numbers: 3, 14 — and one line!\n"
    "The end\n"
)


# ---------------------------------------------------------------- files

DTYPE_NAMES = {torch.float32: "F32"}


def write_safetensors(path, tensors, metadata=None):
    """The safetensors layout by hand: u64 LE header size, JSON header (space padded to 8), raw data."""
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        raw = tensors[name].contiguous().numpy().tobytes()
        header[name] = {"dtype": DTYPE_NAMES[tensors[name].dtype], "shape": list(tensors[name].shape),
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


def byte_symbols():
    """GPT-2's bytes_to_unicode() in its order: printable bytes as themselves, the rest from U+0100 on."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    order = printable + [b for b in range(256) if b not in printable]
    symbols = [chr(b) for b in printable] + [chr(256 + i) for i in range(256 - len(printable))]
    return order, symbols


def write_tokenizer(folder):
    order, symbols = byte_symbols()
    vocab = {s: i for i, s in enumerate(symbols)}
    vocab["<|endoftext|>"] = EOS
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
    return {b: i for i, b in enumerate(order)}  # byte → id


def config_json():
    return {
        "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.0,
        "bos_token_id": EOS, "embd_pdrop": 0.0, "eos_token_id": EOS, "initializer_range": 0.02,
        "layer_norm_epsilon": LN_EPS, "model_type": "gpt2", "n_ctx": POSITIONS, "n_embd": HIDDEN,
        "n_head": HEADS, "n_inner": None, "n_layer": LAYERS, "n_positions": POSITIONS,
        "reorder_and_upcast_attn": False, "resid_pdrop": 0.0, "scale_attn_by_inverse_layer_idx": False,
        "scale_attn_weights": True, "tie_word_embeddings": True, "torch_dtype": "float32", "use_cache": True,
        "vocab_size": VOCAB,
    }


# ---------------------------------------------------------------- data

BLANK = " \t\r\n\f\v"


def read_documents(text):
    """text → documents: lines (a trailing "\r" dropped), blank lines separate, each document trimmed."""
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    documents, current = [], ""
    for line in lines:
        if line.endswith("\r"):
            line = line[:-1]
        if line.strip(BLANK) == "":
            if current.strip(BLANK):
                documents.append(current.strip(BLANK))
            current = ""
            continue
        current += line + "\n"
    if current.strip(BLANK):
        documents.append(current.strip(BLANK))
    return documents


# documents → [N, T] int64: bytes → ids (no merges), <|endoftext|> after each document, then chunked.
def training_blocks(documents, id_of_byte, block):
    ids = []
    for doc in documents:
        ids += [id_of_byte[b] for b in doc.encode("utf-8")] + [EOS]
    assert len(ids) == TRAIN_BLOCKS * block + REMAINDER, "the text must give %d blocks + %d tokens, gives %d" % (
        TRAIN_BLOCKS, REMAINDER, len(ids))
    n = len(ids) // block
    return torch.tensor(ids[: n * block], dtype=torch.int64).view(n, block)


# ---------------------------------------------------------------- model (modeling_gpt2.py formulas)

def random_weights(g):
    """HF GPT-2 tensors (tied head omitted), std larger than GPT-2's init so that the model is not trivial."""
    D, V, P, inner = HIDDEN, VOCAB, POSITIONS, 4 * HIDDEN
    r = lambda *shape, std: torch.randn(*shape, generator=g) * std
    W = {"transformer.wte.weight": r(V, D, std=0.3), "transformer.wpe.weight": r(P, D, std=0.1),
         "transformer.ln_f.weight": 1 + r(D, std=0.1), "transformer.ln_f.bias": r(D, std=0.05)}
    for l in range(LAYERS):
        p = "transformer.h.%d." % l
        W[p + "ln_1.weight"] = 1 + r(D, std=0.1)
        W[p + "ln_1.bias"] = r(D, std=0.05)
        W[p + "attn.c_attn.weight"] = r(D, 3 * D, std=0.2)
        W[p + "attn.c_attn.bias"] = r(3 * D, std=0.05)
        W[p + "attn.c_proj.weight"] = r(D, D, std=0.1)
        W[p + "attn.c_proj.bias"] = r(D, std=0.02)
        W[p + "ln_2.weight"] = 1 + r(D, std=0.1)
        W[p + "ln_2.bias"] = r(D, std=0.05)
        W[p + "mlp.c_fc.weight"] = r(D, inner, std=0.15)
        W[p + "mlp.c_fc.bias"] = r(inner, std=0.05)
        W[p + "mlp.c_proj.weight"] = r(inner, D, std=0.08)
        W[p + "mlp.c_proj.bias"] = r(D, std=0.02)
    return {k: v.float() for k, v in W.items()}


# x [..., D], w [D], b [D] → [..., D]
def layer_norm(x, w, b):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + LN_EPS) * w + b


# x [...] → [...]
def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


# q, k, v [B, H, T, hd] → [B, H, T, hd]
def causal_attention(q, k, v):
    T, hd = q.shape[2], q.shape[3]
    scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    return torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1) @ v


# W (HF names), ids [B, T] → logits [B, T, V]
def gpt2_forward(W, ids):
    B, T = ids.shape
    D, H = HIDDEN, HEADS
    hd = D // H
    x = W["transformer.wte.weight"][ids] + W["transformer.wpe.weight"][torch.arange(T)]
    for l in range(LAYERS):
        p = "transformer.h.%d." % l
        h = layer_norm(x, W[p + "ln_1.weight"], W[p + "ln_1.bias"])
        qkv = h @ W[p + "attn.c_attn.weight"] + W[p + "attn.c_attn.bias"]  # Conv1D: x @ W[in, out] + b
        q, k, v = qkv.split(D, dim=2)
        heads = lambda t: t.view(B, T, H, hd).permute(0, 2, 1, 3)
        y = causal_attention(heads(q), heads(k), heads(v)).permute(0, 2, 1, 3).reshape(B, T, D)
        x = x + y @ W[p + "attn.c_proj.weight"] + W[p + "attn.c_proj.bias"]
        h = layer_norm(x, W[p + "ln_2.weight"], W[p + "ln_2.bias"])
        m = gelu_new(h @ W[p + "mlp.c_fc.weight"] + W[p + "mlp.c_fc.bias"])
        x = x + m @ W[p + "mlp.c_proj.weight"] + W[p + "mlp.c_proj.bias"]
    x = layer_norm(x, W["transformer.ln_f.weight"], W["transformer.ln_f.bias"])
    return x @ W["transformer.wte.weight"].T  # tied head


# ---------------------------------------------------------------- objectives

# logits [N, V], labels [N] (all valid), cost [V, D] unit rows or None → (loss, mean CE, mean DEMD or None)
def objective(kind, logits, labels, cost):
    log_q = torch.log_softmax(logits, dim=-1)
    mle = -log_q.gather(1, labels[:, None])[:, 0]
    if kind == "mle":
        return mle.mean(), mle.mean().item(), None
    demd = 1.0 - (cost[labels] * (log_q.exp() @ cost)).sum(-1)  # Σ_j q_j (1 − ê_j·ê_y)
    token = 0.5 * (mle + (mle / (demd + 1e-10)).detach() * demd)
    return token.mean(), mle.mean().item(), demd.mean().item()


# ---------------------------------------------------------------- training

# name, t [...] → the part of t that is compared. The key third of c_attn.bias is left out: softmax does not
# change when a key bias is added, so its gradient is rounding noise, which AdamW scales up to steps of ~lr.
def compared_part(name, t):
    if name.endswith("attn.c_attn.bias"):
        return torch.cat([t[:HIDDEN], t[2 * HIDDEN:]])
    return t


# final, W0 (name → tensor) → name → {sum, sum_sq, delta_norm} of the compared part, in float64
def checksums(final, W0):
    out = {}
    for name in sorted(final):
        t = compared_part(name, final[name].double())
        t0 = compared_part(name, W0[name].double())
        out[name] = {"sum": t.sum().item(), "sum_sq": (t * t).sum().item(), "delta_norm": (t - t0).norm().item()}
    return out


# step index k (0-based) → the learning rate of that step
def rate_at(k):
    s = SETTINGS
    if k < s["warmup_steps"]:
        return s["learning_rate"] * k / max(1, s["warmup_steps"])
    return s["learning_rate"] * max(0.0, (s["max_steps"] - k) / max(1, s["max_steps"] - s["warmup_steps"]))


# blocks [N, T] → the step's (loss, ce, demd); gradients accumulated into W's .grad
def accumulate(kind, W, blocks, cost):
    n_step = blocks.shape[0]
    loss = ce = 0.0
    demd = None if kind == "mle" else 0.0
    for begin in range(0, n_step, SETTINGS["batch_size"]):
        ids = blocks[begin:begin + SETTINGS["batch_size"]]
        weight = ids.shape[0] / n_step
        logits = gpt2_forward(W, ids)[:, :-1].reshape(-1, VOCAB)  # the last position predicts nothing
        micro, micro_ce, micro_demd = objective(kind, logits, ids[:, 1:].reshape(-1), cost)
        (micro * weight).backward()
        loss += micro.item() * weight
        ce += micro_ce * weight
        if demd is not None:
            demd += micro_demd * weight
    return loss, ce, demd


# W0 (name → F32 tensor), blocks [N, T] → one record per step, final weights (name → tensor in `dtype`)
def train(kind, W0, blocks, dtype, check_torch_optim=False):
    s = SETTINGS
    W = {k: v.to(dtype).clone().requires_grad_(True) for k, v in W0.items()}
    # Ê from the LM head as loaded (the stored F32 values), normalised in the compute precision.
    head = W0["transformer.wte.weight"].to(dtype)
    cost = head / head.norm(dim=1, keepdim=True).clamp_min(1e-12)
    m = {k: torch.zeros_like(v) for k, v in W.items()}
    v2 = {k: torch.zeros_like(v) for k, v in W.items()}
    b1, b2, eps = s["adam_beta1"], s["adam_beta2"], s["adam_eps"]

    if check_torch_optim:
        shadow = {k: v.detach().clone().requires_grad_(True) for k, v in W.items()}
        decay = [t for t in shadow.values() if t.dim() >= 2]
        no_decay = [t for t in shadow.values() if t.dim() < 2]
        optim = torch.optim.AdamW([{"params": decay, "weight_decay": s["weight_decay"]},
                                   {"params": no_decay, "weight_decay": 0.0}],
                                  lr=s["learning_rate"], betas=(b1, b2), eps=eps)

    steps = []
    for k in range(s["max_steps"]):
        lr = rate_at(k)
        for t in W.values():
            t.grad = None
        loss, ce, demd = accumulate(kind, W, blocks, cost)
        with torch.no_grad():
            norm = torch.sqrt(sum((t.grad.double() ** 2).sum() for t in W.values())).item()
            factor = min(1.0, s["clip_norm"] / (norm + 1e-6))
            t_step = k + 1
            for name, p in W.items():
                g = p.grad * factor
                if p.dim() >= 2:
                    p.mul_(1.0 - lr * s["weight_decay"])
                m[name].mul_(b1).add_(g, alpha=1.0 - b1)
                v2[name].mul_(b2).addcmul_(g, g, value=1.0 - b2)
                denom = (v2[name].sqrt() / math.sqrt(1.0 - b2 ** t_step)).add_(eps)
                p.addcdiv_(m[name], denom, value=-lr / (1.0 - b1 ** t_step))
        if check_torch_optim:
            for group in optim.param_groups:
                group["lr"] = lr
            optim.zero_grad(set_to_none=True)
            accumulate(kind, shadow, blocks, cost)
            torch_norm = torch.nn.utils.clip_grad_norm_(list(shadow.values()), s["clip_norm"]).item()
            optim.step()
            assert abs(torch_norm - norm) <= 1e-12 * norm, (torch_norm, norm)
            for name in W:
                gap = (compared_part(name, W[name]) - compared_part(name, shadow[name])).abs().max().item()
                assert gap <= 1e-12, (name, k, gap)
        steps.append({"step": k + 1, "learning_rate": lr, "loss": loss, "mle": ce, "demd": demd,
                      "grad_norm": norm, "clipped": factor < 1.0})
    final = {k: v.detach() for k, v in W.items()}
    return steps, final


def main():
    torch.manual_seed(SEED)
    os.makedirs(os.path.join(OUT, "model"), exist_ok=True)
    id_of_byte = write_tokenizer(os.path.join(OUT, "model"))
    with open(os.path.join(OUT, "model", "config.json"), "w") as f:
        json.dump(config_json(), f, indent=2, sort_keys=True)
        f.write("\n")
    W0 = random_weights(torch.Generator().manual_seed(SEED))
    write_safetensors(os.path.join(OUT, "model", "model.safetensors"), W0, {"format": "pt"})
    with open(os.path.join(OUT, "train.txt"), "w", encoding="utf-8", newline="") as f:
        f.write(TRAIN_TEXT)

    documents = read_documents(TRAIN_TEXT)
    blocks = training_blocks(documents, id_of_byte, SETTINGS["block_size"])

    expected = {"settings": SETTINGS, "model": "model", "data": "train.txt", "documents": len(documents),
                "blocks": blocks.tolist(), "runs": {}}
    for kind in ("mle", "emo"):
        steps, final = train(kind, W0, blocks, torch.float64, check_torch_optim=True)
        steps32, final32 = train(kind, W0, blocks, torch.float32)
        expected["runs"][kind] = {"steps": steps, "final": checksums(final, W0)}
        print(kind)
        for a, b in zip(steps, steps32):
            print("  step %d lr %.4g loss %.6f ce %.6f demd %s norm %.6f%s | fp32 diff loss %.2e norm %.2e" % (
                a["step"], a["learning_rate"], a["loss"], a["mle"],
                "%.6f" % a["demd"] if a["demd"] is not None else "-", a["grad_norm"],
                " clipped" if a["clipped"] else "", abs(a["loss"] - b["loss"]), abs(a["grad_norm"] - b["grad_norm"])))
        c64, c32 = checksums(final, W0), checksums(final32, W0)
        worst = {key: max(abs(c64[n][key] - c32[n][key]) for n in c64) for key in ("sum", "sum_sq", "delta_norm")}
        print("  final weights, fp32 − fp64 max |diff|:", {k: "%.2e" % v for k, v in worst.items()},
              " max |w32 − w64| %.2e" % max((compared_part(n, final[n]) - compared_part(n, final32[n]).double())
                                            .abs().max().item() for n in final))

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
