#!/usr/bin/env python3
"""PyTorch yardstick for `dph bench`: time one scoring call of an LSWT/DPH model in float32 on the CPU.

The same computation as the workbench's scoreItems, written plainly in PyTorch (the reference implementation's
layers: input projection, pre-norm blocks with rotary attention and a SwiGLU FFN, output norm, the tied output layer
through head_proj, log-softmax at the scored positions, the SwiGLU-BERT pooler and one reward head) with random
weights, since timing does not depend on their values. Every row is run whole, as a plain PyTorch scorer does.

Prints one JSON object: {"torch", "threads", "rows", "seq_len", "scored", "call_ms": [...], "cpu_ms": [...]
(process CPU time per call, all threads), "median_ms"}.
Run by src/cli/bench/medium-score-harness.ts when python3 has torch (Debian: python3-torch, libopenblas0-pthread).
"""
import argparse
import json
import math
import time

import torch


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", type=int, default=50272)
    ap.add_argument("--d-vocab", type=int, default=768)
    ap.add_argument("--d-model", type=int, default=1536)
    ap.add_argument("--d-ffn", type=int, default=4096)
    ap.add_argument("--heads", type=int, default=24)
    ap.add_argument("--layers", type=int, default=18)
    ap.add_argument("--rows", type=int, default=4, help="candidates scored in one call, one row each")
    ap.add_argument("--seq-len", type=int, default=184, help="tokens per row, prompt included")
    ap.add_argument("--scored", type=int, default=128, help="scored positions per row")
    ap.add_argument("--calls", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    d, f, h = a.d_model, a.d_ffn, a.heads
    dh = d // h

    def w(*shape):
        # uniform_ is several times faster than randn for 570 M values; timing does not depend on them.
        return torch.empty(*shape).uniform_(-0.03, 0.03)

    emb = w(a.vocab, a.d_vocab)
    w_in = w(d, a.d_vocab)
    blocks = [
        dict(q=w(d, d), k=w(d, d), v=w(d, d), o=w(d, d), bq=w(d), bk=w(d), bv=w(d), bo=w(d),
             fc1=w(2 * f, d), b1=w(2 * f), fc2=w(d, f), b2=w(d))
        for _ in range(a.layers)
    ]
    head_proj = w(a.d_vocab, d)
    pool1, pool1b, pool2, pool2b = w(2 * f, d), w(2 * f), w(d, f), w(d)
    reward = w(1, d)
    ones, zeros = torch.ones(d), torch.zeros(d)
    L = a.seq_len
    # Reversed rotary positions, as the reference: the last token at position 0.
    pos = torch.arange(L - 1, -1, -1, dtype=torch.float32)
    inv = 1.0 / (500000.0 ** (torch.arange(0, dh, 2, dtype=torch.float32) / dh))
    ang = torch.outer(pos, inv)
    cos = torch.cat([ang.cos(), ang.cos()], -1)
    sin = torch.cat([ang.sin(), ang.sin()], -1)
    mask = torch.full((L, L), float("-inf")).triu(1)
    ids = torch.randint(0, a.vocab, (a.rows, L))
    scored = torch.arange(L - a.scored - 1, L - 1)
    targets = torch.randint(0, a.vocab, (a.rows, a.scored))

    def rope(x):
        x1, x2 = x.chunk(2, -1)
        return x * cos + torch.cat([-x2, x1], -1) * sin

    def ln(x):
        return torch.nn.functional.layer_norm(x, (d,), ones, zeros, 1e-5)

    def swiglu(x):
        a_, g = x.chunk(2, -1)
        return a_ * torch.nn.functional.silu(g)

    lin = torch.nn.functional.linear

    def call():
        B = a.rows
        x = ln(lin(emb[ids], w_in))
        for b in blocks:
            y = ln(x)
            q = rope(lin(y, b["q"], b["bq"]).view(B, L, h, dh).transpose(1, 2))
            k = rope(lin(y, b["k"], b["bk"]).view(B, L, h, dh).transpose(1, 2))
            v = lin(y, b["v"], b["bv"]).view(B, L, h, dh).transpose(1, 2)
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + mask, -1)
            x = x + lin((att @ v).transpose(1, 2).reshape(B, L, d), b["o"], b["bo"])
            x = x + lin(swiglu(lin(ln(x), b["fc1"], b["b1"])), b["fc2"], b["b2"])
        x = ln(x)
        hs = x[:, scored]  # [B, scored, d]
        logp = torch.log_softmax(lin(lin(hs, head_proj), emb), -1)
        lp = logp.gather(-1, targets.unsqueeze(-1)).mean()
        r = lin(torch.tanh(lin(swiglu(lin(x[:, -1], pool1, pool1b)), pool2, pool2b)), reward)
        return float(lp), r.flatten().tolist()

    with torch.no_grad():
        for _ in range(a.warmup):
            call()
        ms = []
        cpu = []
        for _ in range(a.calls):
            t0 = time.perf_counter()
            c0 = time.process_time()
            call()
            ms.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(), "rows": a.rows, "seq_len": L,
        "scored": a.scored, "call_ms": ms, "cpu_ms": cpu, "median_ms": sorted(ms)[(len(ms) - 1) // 2],
    }))


if __name__ == "__main__":
    main()
