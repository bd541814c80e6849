#!/usr/bin/python3
"""Reference losses and logit gradients from the ORIGINAL official formulations, for tst_objective.

Run with /usr/bin/python3 (Debian's torch). Writes official_reference.json next to this script.
Everything runs in float64 so that the comparison in C++ is limited by the fp32 cost embedding only.

Sources transcribed below (loss part only; model plumbing dropped):
- EMO paper mode: DRSY/EMO language_modeling/gpt2.py, GPT2MIXModel.forward, mode == 'emo'
  (int64 one-hot, "stable" one-hot + 1e-15, cost embedding normalised on every call, three GEMMs).
- EMO llama mode: DRSY/EMO continual_finetuning/emo_llama.py (commit 14da9d5), EMOLlama2ForCausalLM.forward
  (gold mass subtracted with gt_q = (q * one_hot).detach(); loss = sg(emo/mle)·mle + emo).
- MLE: the same gpt2.py, mode == 'mle' (CrossEntropyLoss(reduction='none'), masked mean).
- MixCE: bloomberg/MixCE-acl2023 gpt2.py, GPT2MIXModel.forward (q = exp(-mle) under no_grad).
- TaiLr as the EMO paper ran it: DRSY/EMO language_modeling/gpt2.py, mode == 'tvd' (the MLE share r is
  config.mixing_ratio and also the gamma of its weight q/((1-r) + r q), clamped to [0.2, 1]).
- TaiLr: thu-coai/TaiLr fairseq/criterions/tailr.py, tailr_loss with epsilon = 0 (their fairseq criterion
  sums over tokens and divides by the token count later; here the sum is divided by the valid count, and the
  ignored targets are clamped to 0 before gather because their ignore index is a real padding id).
"""
import json
import os

import torch

torch.set_default_dtype(torch.float64)
torch.manual_seed(20231125)

N, V, D = 12, 37, 8
logits0 = torch.randn(N, V) * 3.0
labels = torch.randint(0, V, (N,))
labels[[2, 7, 8]] = -100
lm_head = torch.randn(V, D)
lm_head[5] *= 40.0  # rows of very different norms: normalisation matters


def masked_mean(per_token, labels):
    mask = (labels != -100).to(per_token.dtype)
    return (per_token * mask).sum() / (1e-15 + mask.sum())


def official_mle(logits, labels, cost_embedding):
    mle_loss = torch.nn.CrossEntropyLoss(reduction='none')(logits, labels)
    return masked_mean(mle_loss, labels)


def official_emo_paper(logits, labels, cost_embedding):
    mle_loss = torch.nn.CrossEntropyLoss(reduction='none')(logits, labels)
    labels_tmp = labels.clone()
    labels_tmp[labels_tmp == (-100)] = 0
    one_hot = torch.nn.functional.one_hot(labels_tmp, num_classes=V)
    stable_onehot = (one_hot + 1e-15) / torch.linalg.vector_norm((one_hot + 1e-15), ord=1, dim=-1, keepdim=True)
    embedding_matrix = cost_embedding
    embedding_matrix = embedding_matrix / torch.linalg.vector_norm(embedding_matrix, ord=2, dim=1, keepdim=True)
    p_contextual_repr = stable_onehot @ embedding_matrix
    q_grad = torch.log_softmax(logits, dim=-1).exp()
    q_contextual_repr = q_grad @ embedding_matrix
    cosine_dist = 1 - torch.sum(p_contextual_repr * q_contextual_repr, dim=-1)
    emo_loss = cosine_dist.reshape(-1)
    mle_loss = (mle_loss + (mle_loss / (emo_loss + 1e-10)).detach() * emo_loss) * 0.5
    return masked_mean(mle_loss, labels)


def official_emo_llama(logits, labels, cost_embedding):
    mle_loss = torch.nn.CrossEntropyLoss(reduction='none')(logits, labels)
    labels_tmp = labels.clone()
    labels_tmp[labels_tmp == (-100)] = 0
    one_hot = torch.nn.functional.one_hot(labels_tmp, num_classes=V).to(logits.dtype)
    stable_onehot = (one_hot + 1e-15) / torch.linalg.vector_norm((one_hot + 1e-15), ord=1, dim=-1, keepdim=True)
    embedding_matrix = cost_embedding
    embedding_matrix = embedding_matrix / torch.linalg.vector_norm(embedding_matrix, ord=2, dim=1, keepdim=True)
    p_contextual_repr = stable_onehot @ embedding_matrix.detach()
    q_grad = torch.log_softmax(logits, dim=-1).exp()
    gt_q = (q_grad * one_hot).detach()
    q_final = q_grad - gt_q
    q_contextual_repr = q_final @ embedding_matrix.detach()
    emo_loss = (1 - torch.sum(p_contextual_repr * q_contextual_repr, dim=-1))
    loss = (emo_loss / (mle_loss + 1e-10)).detach() * mle_loss + emo_loss
    return masked_mean(loss, labels)


def official_mixce(mixing_ratio):
    def loss_fn(logits, labels, cost_embedding):
        mle_loss = torch.nn.CrossEntropyLoss(reduction='none')(logits, labels)
        with torch.no_grad():
            q = torch.exp(-mle_loss.detach())
        mle_loss = mixing_ratio * mle_loss + (1.0 - mixing_ratio) * q * mle_loss
        return masked_mean(mle_loss, labels)
    return loss_fn


def official_tailr(gamma, min_weight):
    def loss_fn(logits, labels, cost_embedding):
        lprobs = torch.log_softmax(logits, dim=-1)
        probs_model = torch.softmax(logits, dim=-1)
        target = labels.clamp(min=0).unsqueeze(-1)
        lprobs = torch.nn.functional.softmax(lprobs, dim=-1).log()
        nll_loss = -lprobs.gather(dim=-1, index=target)
        weight_theta_hat = probs_model.gather(dim=-1, index=target)
        pad_mask = labels.eq(-100).unsqueeze(-1)
        nll_loss.masked_fill_(pad_mask, 0.)
        with torch.no_grad():
            weight_theta_hat = (weight_theta_hat.log() - (gamma + (1 - gamma) * weight_theta_hat).log()).exp()
            weight_theta_hat = torch.clamp(weight_theta_hat, min=min_weight, max=1.0)
        tailr_loss = (weight_theta_hat * nll_loss).sum()
        return tailr_loss / (labels != -100).sum()
    return loss_fn


def official_tvd(mixing_ratio):
    def loss_fn(logits, labels, cost_embedding):
        mle_loss = torch.nn.CrossEntropyLoss(reduction='none')(logits, labels)
        with torch.no_grad():
            q = torch.exp(-mle_loss.detach())
        gamma = mixing_ratio
        mle_loss = mixing_ratio * mle_loss + (1.0 - mixing_ratio) * torch.clamp((q / ((1 - gamma) + gamma * q)), min=0.2, max=1.0) * mle_loss
        return masked_mean(mle_loss, labels)
    return loss_fn


cases = [
    {"name": "mle", "objective": "mle", "fn": official_mle},
    {"name": "emo_paper", "objective": "emo", "emo_mode": "paper", "fn": official_emo_paper},
    {"name": "emo_llama", "objective": "emo", "emo_mode": "llama", "fn": official_emo_llama},
    {"name": "mixce_eta0.3", "objective": "mixce", "eta": 0.3, "fn": official_mixce(0.3)},
    {"name": "mixce_eta0.5", "objective": "mixce", "eta": 0.5, "fn": official_mixce(0.5)},
    {"name": "tailr_g0.1_min0.3", "objective": "tailr", "gamma": 0.1, "min_weight": 0.3, "fn": official_tailr(0.1, 0.3)},
    {"name": "tailr_g1e-7_min0.2", "objective": "tailr", "gamma": 1e-7, "min_weight": 0.2, "fn": official_tailr(1e-7, 0.2)},
    {"name": "tailr_mixed_r0.9", "objective": "tailr", "tailr_form": "mixed", "mix": 0.9, "min_weight": 0.2, "fn": official_tvd(0.9)},
    {"name": "tailr_mixed_r0.7", "objective": "tailr", "tailr_form": "mixed", "mix": 0.7, "min_weight": 0.2, "fn": official_tvd(0.7)},
]

out = {
    "N": N, "V": V, "D": D,
    "logits": logits0.flatten().tolist(),
    "labels": labels.tolist(),
    "lm_head": lm_head.flatten().tolist(),
    "cases": [],
}
for case in cases:
    logits = logits0.clone().requires_grad_(True)
    loss = case["fn"](logits, labels, lm_head.clone())
    loss.backward()
    entry = {k: v for k, v in case.items() if k != "fn"}
    entry["loss"] = loss.item()
    entry["grad"] = logits.grad.flatten().tolist()
    out["cases"].append(entry)
    print(f"{case['name']:>20}: loss {loss.item():.10f}  |grad| {logits.grad.norm().item():.6f}")

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "official_reference.json")
with open(path, "w") as f:
    json.dump(out, f)
    f.write("\n")
print("wrote", path, os.path.getsize(path), "bytes")
