#!/usr/bin/env python3
"""PyTorch yardstick for `dph bench --part torch`: one full DPH training step of the LSWT model, timed.

The model and the step are the workbench's (src/lib/dph/model/lswt.ts, train/objective.ts, train/laprop.ts), written
again in PyTorch so the two run the same arithmetic on the same batch shape:
  embedding -> input_proj -> LayerNorm -> N x pre-norm blocks (RoPE with reversed positions, causal softmax
  attention with biased q/k/v/o, SwiGLU FFN) -> LayerNorm -> logits through head_proj and the tied embedding;
  reward = head(swiglu_bert pooler(h[reward index])) with pooler dropout;
  loss = SepDPH(eps_dph) on the rewards + cDPO(beta, eps_dpo) on summed log-probs against a frozen reference
  (forward under no_grad each step, as the workbench does); global-norm clipping; LaProp with decoupled weight decay
  towards the initial weights; a finiteness check of the weights after the update (one host sync, as the workbench).
Random token ids and masks: the timing does not depend on their values.

Prints one JSON object: {"torch": version, "blas": ..., "threads": {"1": {"median_ms": ..., "step_ms": [...]}, ...}}.
Exit status 0 on success; any failure prints a message on stderr and exits non-zero.
"""

import argparse
import json
import math
import re
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:  # the harness checks for torch first; this is for people running the script by hand
    print(f"torch_dph_step.py: PyTorch is not installed ({e}); on Debian: apt-get install python3-torch", file=sys.stderr)
    sys.exit(2)


def rope_tables(seq, d_head, base, reversed_):
    half = d_head // 2
    pos = torch.arange(seq, dtype=torch.float64)
    if reversed_:
        pos = seq - 1 - pos
    inv = base ** (-(2 * torch.arange(half, dtype=torch.float64)) / d_head)
    f = pos[:, None] * inv[None, :]
    f = torch.cat([f, f], dim=-1)
    return f.cos().float(), f.sin().float()


class LSWT(torch.nn.Module):
    def __init__(self, a):
        super().__init__()
        d, dv, ff = a.d_model, a.d_vocab, a.d_ffn
        self.a = a
        self.emb = torch.nn.Embedding(a.vocab, dv)
        self.input_proj = torch.nn.Linear(dv, d, bias=False)
        self.input_norm = torch.nn.LayerNorm(d)
        self.blocks = torch.nn.ModuleList()
        for _ in range(a.layers):
            b = torch.nn.Module()
            b.att_norm = torch.nn.LayerNorm(d)
            b.q, b.k, b.v, b.o = (torch.nn.Linear(d, d) for _ in range(4))
            b.ffn_norm = torch.nn.LayerNorm(d)
            b.fc1 = torch.nn.Linear(d, 2 * ff)
            b.fc2 = torch.nn.Linear(ff, d)
            self.blocks.append(b)
        self.output_norm = torch.nn.LayerNorm(d)
        self.head_proj = torch.nn.Linear(d, dv, bias=False)
        self.pool1 = torch.nn.Linear(d, 2 * ff)
        self.pool2 = torch.nn.Linear(ff, d)
        self.reward = torch.nn.Linear(d, 1, bias=False)
        for p in self.parameters():
            if p.dim() > 1:
                torch.nn.init.normal_(p, std=a.init_std)

    @staticmethod
    def swiglu(x):
        v, g = x.chunk(2, dim=-1)
        return v * F.silu(g)

    def attention(self, b, h, cos, sin, mask):
        B, S, D = h.shape
        H = self.a.heads
        Dh = D // H

        def heads(x):
            return x.view(B, S, H, Dh).transpose(1, 2)

        def rope(x):
            x1, x2 = x.chunk(2, dim=-1)
            return x * cos + torch.cat([-x2, x1], dim=-1) * sin

        q, k, v = rope(heads(b.q(h))), rope(heads(b.k(h))), heads(b.v(h))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(Dh) + mask, dim=-1)
        return b.o((att @ v).transpose(1, 2).reshape(B, S, D))

    def hidden(self, ids):
        S = ids.shape[1]
        cos, sin = rope_tables(S, self.a.d_model // self.a.heads, self.a.rope_base, True)
        mask = torch.full((S, S), -1e9).triu(1)
        x = self.input_norm(self.input_proj(self.emb(ids)))
        for b in self.blocks:
            x = x + self.attention(b, b.att_norm(x), cos, sin, mask)
            x = x + b.fc2(self.swiglu(b.fc1(b.ffn_norm(x))))
        return self.output_norm(x)

    def logits(self, h):
        return self.head_proj(h) @ self.emb.weight.t()

    def rewards(self, h, idx):
        x = h[torch.arange(h.shape[0]), idx]
        x = torch.tanh(self.pool2(self.swiglu(self.pool1(x))))
        return self.reward(F.dropout(x, self.a.dropout, self.training)).squeeze(-1)


def seq_logprob_sum(lg, targets, mask):
    logp = torch.log_softmax(lg, dim=-1).gather(-1, targets[..., None]).squeeze(-1)
    return (logp * mask).sum(-1)


def smoothed(x, eps):  # -(1-eps) log sigma(x) - eps log sigma(-x)
    return -(1 - eps) * F.logsigmoid(x) - eps * F.logsigmoid(-x)


class LaProp:
    """The workbench's LaProp (train/laprop.ts): lr folded into the momentum, eps before the bias correction."""

    def __init__(self, params, beta1, beta2, eps, wd):
        self.params = list(params)
        self.b1, self.b2, self.eps, self.wd = beta1, beta2, eps, wd
        self.state = [None] * len(self.params)

    @torch.no_grad()
    def step(self, lr):
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            st = self.state[i]
            if st is None:
                st = self.state[i] = {"t": 0, "lr": 0.0, "m": torch.zeros_like(p), "v": torch.zeros_like(p), "p0": p.clone()}
            st["t"] += 1
            st["lr"] = st["lr"] * self.b1 + (1 - self.b1) * lr
            bc1 = st["lr"] / lr if lr else 1.0
            g = p.grad
            st["v"].mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            u = g / (st["v"].sqrt() + self.eps) * math.sqrt(1 - self.b2 ** st["t"])
            st["m"].mul_(self.b1).add_(u, alpha=(1 - self.b1) * lr)
            if self.wd:
                p.sub_(p - st["p0"], alpha=self.wd * lr)
            p.sub_(st["m"] / bc1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vocab", type=int, default=103)
    ap.add_argument("--d-vocab", type=int, default=128)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--d-ffn", type=int, default=512)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--pairs", type=int, default=16)
    ap.add_argument("--seq", type=int, default=32)
    ap.add_argument("--steps", type=int, default=10, help="timed steps per thread count (after 2 warm-up steps)")
    ap.add_argument("--threads", default="1,2", help="comma-separated intra-op thread counts")
    ap.add_argument("--rope-base", type=float, default=500000.0)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--init-std", type=float, default=0.1)
    a = ap.parse_args()
    if a.d_model % a.heads or (a.d_model // a.heads) % 2:
        ap.error("d_model must be divisible by heads, with an even head size")

    torch.manual_seed(1)
    policy = LSWT(a)
    ref = LSWT(a)
    ref.load_state_dict(policy.state_dict())
    ref.eval()
    for p in ref.parameters():
        p.requires_grad_(False)
    rows, S = 2 * a.pairs, a.seq
    ids = torch.randint(0, a.vocab, (rows, S))
    targets = torch.randint(0, a.vocab, (rows, S))
    train_mask = torch.zeros(rows, S)
    train_mask[:, S // 2 :] = 1
    reward_index = torch.full((rows,), S - 1, dtype=torch.long)
    opt = LaProp(policy.parameters(), 0.9, 0.95, 1e-8, 0.1)
    beta, eps_dpo, eps_dph = 0.6, 0.25, 0.1

    def step():
        policy.train()
        with torch.no_grad():
            ref_sum = seq_logprob_sum(ref.logits(ref.hidden(ids)), targets, train_mask)
        h = policy.hidden(ids)
        r = policy.rewards(h, reward_index)
        rw, rl = r[: a.pairs], r[a.pairs :]
        dph = (smoothed(rw, eps_dph) + smoothed(-rl, eps_dph)).mean()
        z = beta * (seq_logprob_sum(policy.logits(h), targets, train_mask) - ref_sum)
        dpo = smoothed(z[: a.pairs] - z[a.pairs :], eps_dpo).mean()
        loss = dph + dpo
        policy.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        opt.step(1e-3)
        with torch.no_grad():
            norm = torch.sqrt(sum((p * p).sum() for p in policy.parameters()))
        if not math.isfinite(float(norm)) or not math.isfinite(float(loss)):
            raise RuntimeError("non-finite loss or weights")

    out = {
        "torch": torch.__version__,
        "blas": (re.findall(r"BLAS_INFO=([^,\s]+)", torch.__config__.show()) or [None])[0],
        "shape": {"rows": rows, "seq": S, "vocab": a.vocab, "d_model": a.d_model, "layers": a.layers},
        "parameters": sum(p.numel() for p in policy.parameters()),
        "threads": {},
    }
    for n in [int(s) for s in a.threads.split(",") if s.strip()]:
        torch.set_num_threads(n)
        for _ in range(2):
            step()
        times, cpu = [], []
        for _ in range(a.steps):
            t0, c0 = time.perf_counter(), time.process_time()
            step()
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        out["threads"][str(n)] = {
            "median_ms": statistics.median(times),
            "step_ms": [round(t, 2) for t in times],
            # CPU time of the process (all its threads): on a loaded machine closer to the unloaded wall time.
            "median_cpu_ms": statistics.median(cpu),
            "step_cpu_ms": [round(t, 2) for t in cpu],
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
