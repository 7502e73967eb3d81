"""Batched torch executor: the heads of a layer are processed together through sparse gathers.

Score of head m between tokens i and s: sum_b coef[m,b] H[i, qidx[m,b]] H[s, kidx[m,b]]; value of head m at
token s: sum_v vval[m,v] H[s, vcol[m,v]] e_{vrow[m,v]}.  Heads are processed in chunks so that the (heads x
tokens x tokens) score tensor stays within ``max_scores`` entries.  float32 or float64, CPU or CUDA.  A leading
batch dimension (H of shape (B, n_tok, D)) runs each prompt in turn.  Packed tensors are kept in a side table
(``LayerCache``), not on the layer.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from symbolic.transformer import EWML, MLP, LinearAttention, ReluAttention

from . import LayerCache, run_layers
from .compiled import compile_heads

_CACHE = LayerCache("batched")


@dataclass
class _Packed:
    qidx: torch.Tensor
    kidx: torch.Tensor
    coef: torch.Tensor
    vrow: torch.Tensor
    vcol: torch.Tensor
    vval: torch.Tensor


def _pad(lists, width, fill_idx=0):
    return [lst + [(fill_idx, fill_idx, 0.0)] * (width - len(lst)) for lst in lists]


def pack(layer, dtype: torch.dtype, device: torch.device) -> _Packed:
    """Padded index/value tensors of every head (cached per dtype/device beside the layer)."""
    return _CACHE.get(layer, ("packed", dtype, str(device)), lambda: _pack(layer, dtype, device))


def _pack(layer, dtype, device) -> _Packed:
    comp = compile_heads(layer)
    nb = max((len(s) for s in comp.score), default=0) or 1
    nv = max((len(v) for v in comp.value), default=0) or 1
    s = _pad([[(q, k, float(c)) for q, k, c in t] for t in comp.score], nb)
    v = _pad([[(r, c, float(x)) for r, c, x in t] for t in comp.value], nv)
    li = lambda rows, j: torch.tensor([[e[j] for e in r] for r in rows], dtype=torch.long, device=device)  # noqa
    lf = lambda rows, j: torch.tensor([[e[j] for e in r] for r in rows], dtype=dtype, device=device)  # noqa
    return _Packed(li(s, 0), li(s, 1), lf(s, 2), li(v, 0), li(v, 1), lf(v, 2))


def _mlp_dense(layer: MLP, dtype, device):
    def make():
        W1 = torch.zeros(layer.W1.shape, dtype=dtype, device=device)
        W2 = torch.zeros(layer.W2.shape, dtype=dtype, device=device)
        for (r, c), x in layer.W1.entries.items():
            W1[r, c] = float(x)
        for (r, c), x in layer.W2.entries.items():
            W2[r, c] = float(x)
        return W1, W2

    return _CACHE.get(layer, ("dense", dtype, str(device)), make)


def apply_batched(layer, H: torch.Tensor, max_scores: int = 2**24) -> torch.Tensor:
    """One layer on H of shape (n_tok, D), or (*batch, n_tok, D) (each prompt in turn)."""
    if H.dim() > 2:
        flat = H.reshape(-1, *H.shape[-2:])
        return torch.stack([apply_batched(layer, h, max_scores) for h in flat]).reshape(H.shape)
    n_tok, D = H.shape
    if isinstance(layer, MLP):
        W1, W2 = _mlp_dense(layer, H.dtype, H.device)
        return H + torch.relu(H @ W1.T) @ W2.T
    P = pack(layer, H.dtype, H.device)
    M = P.qidx.shape[0]
    out = H.clone()
    keys = n_tok - 1 if isinstance(layer, LinearAttention) and layer.keys == "context" else n_tok
    chunk = max(1, max_scores // max(1, n_tok * n_tok))
    for m0 in range(0, M, chunk):
        sl = slice(m0, m0 + chunk)
        Hq = H[:, P.qidx[sl]] * P.coef[sl]          # (n, m, nb)
        Hk = H[:, P.kidx[sl]]                       # (n, m, nb)
        Hv = H[:, P.vcol[sl]] * P.vval[sl]          # (n, m, nv)
        if isinstance(layer, EWML):
            S = (Hq * Hk).sum(-1)                   # (n, m)
            contrib = S[:, :, None] * Hv            # (n, m, nv)
        else:
            S = torch.einsum("imb,smb->mis", Hq, Hk[:keys])
            if isinstance(layer, ReluAttention):
                S = torch.relu(S) / n_tok
            else:
                S = S * float(layer.scale)
            contrib = torch.einsum("mis,smv->imv", S, Hv[:keys])
        out.index_add_(1, P.vrow[sl].reshape(-1), contrib.reshape(n_tok, -1))
    return out


def run_batched(layers, H: torch.Tensor, record: bool = True, progress=None):
    return run_layers(layers, H, apply_batched, record, progress)
