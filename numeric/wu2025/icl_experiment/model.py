"""A GPT-2-style transformer for in-context regression (Garg et al. 2022, as App F uses), with softmax attention
or the paper's ReLU attention: weights relu(q.k / sqrt(d_h)) / (number of attended tokens) (Def 7's 1/n
normalisation under a causal mask; App F does not say how it normalises, F18).

Pre-LayerNorm blocks, GELU MLP, learned absolute position embeddings (untrained beyond the training length, as
in GPT-2).  Encodings: 'interleaved' (Garg: x_1, y_1, x_2, y_2, ...; y in the first coordinate of a d-vector;
the prediction of y_i is read at x_i's token) and 'paired' (ours: context tokens [x_i; y_i; 1] under a causal
mask, and query tokens [x; 0; 0] at position k that attend to the first k context tokens and themselves; in
training every x_j is such a query with k = j - 1).  Either way the prediction of y_j sees x_1, y_1, ...,
x_{j-1}, y_{j-1} and x_j only.  The paired form keeps (x_i, y_i) in one token, which a small model trained for
minutes picks up; the interleaved form stays in a mean-predicting plateau far longer (measured: R^2 ~ 0 after
1000 CPU steps).
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

KINDS = ("softmax", "relu")


class Attention(nn.Module):
    def __init__(self, width: int, heads: int, kind: str):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"attention kind must be one of {KINDS}")
        self.heads, self.kind = heads, kind
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        B, T, W = h.shape
        q, k, v = self.qkv(h).view(B, T, 3, self.heads, W // self.heads).permute(2, 0, 3, 1, 4)
        if self.kind == "softmax":
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        else:
            s = q @ k.transpose(-1, -2) / math.sqrt(W // self.heads)
            a = torch.relu(s) * mask / mask.sum(-1, keepdim=True)
            out = a @ v
        return self.proj(out.transpose(1, 2).reshape(B, T, W))


class Block(nn.Module):
    def __init__(self, width: int, heads: int, mlp: int, kind: str):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attn = Attention(width, heads, kind)
        self.mlp = nn.Sequential(nn.Linear(width, mlp), nn.GELU(), nn.Linear(mlp, width))

    def forward(self, h, mask):
        h = h + self.attn(self.ln1(h), mask)
        return h + self.mlp(self.ln2(h))


class ICLTransformer(nn.Module):
    def __init__(self, d: int, width: int, layers: int, heads: int, mlp: int, kind: str, max_len: int,
                 encoding: str = "paired"):
        super().__init__()
        if encoding not in ("paired", "interleaved"):
            raise ValueError("encoding must be 'paired' or 'interleaved'")
        self.d, self.kind, self.encoding = d, kind, encoding
        self.embed = nn.Linear(d + 2 if encoding == "paired" else d, width)
        self.pos = nn.Embedding(max_len, width)
        self.blocks = nn.ModuleList([Block(width, heads, mlp, kind) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, 1)

    def forward(self, tokens: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.embed(tokens) + self.pos(positions)[None]
        for b in self.blocks:
            h = b(h, mask)
        return self.head(self.ln(h))[..., 0]

    # ------------------------------------------------------------------ sequences

    def _run(self, x, y, xq, ks):
        """Predictions for queries xq[:, j] (P, R, d) that see the first ks[j] context examples (and themselves)."""
        P, n, d = x.shape
        R = xq.shape[1]
        dev = x.device
        ks = torch.as_tensor(ks, device=dev)
        if self.encoding == "paired":
            ctx = torch.cat([x, y[..., None], torch.ones(P, n, 1, device=dev)], -1)
            qt = torch.cat([xq, torch.zeros(P, R, 2, device=dev)], -1)
            ctx_pos, q_pos, vis = torch.arange(n, device=dev), ks, ks
        else:
            ytok = torch.zeros(P, n, d, device=dev)
            ytok[..., 0] = y
            ctx = torch.stack([x, ytok], 2).reshape(P, 2 * n, d)
            qt, ctx_pos, q_pos, vis = xq, torch.arange(2 * n, device=dev), 2 * ks, 2 * ks
        T0 = ctx.shape[1]
        T = T0 + R
        cols = torch.arange(T, device=dev)
        mask = torch.zeros(T, T, dtype=torch.bool, device=dev)
        mask[:T0, :T0] = torch.ones(T0, T0, dtype=torch.bool, device=dev).tril()
        mask[T0:] = (cols[None, :] < vis[:, None]) | (cols[None, :] == (T0 + torch.arange(R, device=dev))[:, None])
        return self(torch.cat([ctx, qt], 1), torch.cat([ctx_pos, q_pos]), mask)[:, T0:]

    def predict_context(self, x, y) -> torch.Tensor:
        """Prediction of y_j from (x_1, y_1, ..., x_{j-1}, y_{j-1}; x_j) for every j: (P, n)."""
        n = x.shape[1]
        if self.encoding == "interleaved":   # Garg et al.: one causal pass, read at the x tokens
            P, _, d = x.shape
            ytok = torch.zeros(P, n, d, device=x.device)
            ytok[..., 0] = y
            tok = torch.stack([x, ytok], 2).reshape(P, 2 * n, d)
            mask = torch.ones(2 * n, 2 * n, dtype=torch.bool, device=x.device).tril()
            return self(tok, torch.arange(2 * n, device=x.device), mask)[:, 0::2]
        return self._run(x, y, x, torch.arange(n, device=x.device))

    def predict_queries(self, x, y, xq, ks) -> torch.Tensor:
        """Predictions for every held-out query xq (P, Q, d) after k context examples, k in ks: (P, len(ks), Q)."""
        P, Q, d = xq.shape
        kk = torch.as_tensor(list(ks), device=x.device).repeat_interleave(Q)
        out = self._run(x, y, xq.repeat(1, len(ks), 1), kk)
        return out.reshape(P, len(ks), Q)


def max_len(encoding: str, test_points: int) -> int:
    return test_points + 1 if encoding == "paired" else 2 * test_points + 1
