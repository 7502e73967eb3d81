"""Dense reference executor: every head as dense D x D float64 matrices, literally Definitions 6-8."""
from __future__ import annotations

import numpy as np

from symbolic.transformer import EWML, MLP, LinearAttention, ReluAttention

from . import run_layers


def _relu(a):
    return np.maximum(a, 0.0)


def apply_dense(layer, H: np.ndarray, rows=None) -> np.ndarray:
    """One layer on H (tokens as rows, shape (n_tok, D)) in float64.

    ``rows`` (indices or a slice): return only those tokens' new states, shape (len(rows), D); the keys are still
    every token, so this is the same per-head computation for a subset of queries (the reference at large n_tok,
    where the n_tok x n_tok score matrices of all tokens would not fit)."""
    n_tok = H.shape[0]
    Hq = H if rows is None else H[rows]
    if isinstance(layer, MLP):
        W1, W2 = layer.W1.to_dense(), layer.W2.to_dense()
        return Hq + _relu(Hq @ W1.T) @ W2.T
    out = Hq.copy()
    for head in layer.heads:
        Q, K, V = head.Q.to_dense(), head.K.to_dense(), head.V.to_dense()
        QH = Hq @ Q.T
        if isinstance(layer, ReluAttention):
            out += _relu(QH @ (H @ K.T).T) @ (H @ V.T) / n_tok
        elif isinstance(layer, EWML):
            out += np.sum(QH * (Hq @ K.T), axis=1, keepdims=True) * (Hq @ V.T)
        elif isinstance(layer, LinearAttention):
            keys = n_tok if layer.keys == "all" else n_tok - 1
            out += float(layer.scale) * (QH @ (H[:keys] @ K.T).T) @ (H[:keys] @ V.T)
        else:  # pragma: no cover
            raise TypeError(type(layer))
    return out


def run_dense(layers, H, record: bool = True, progress=None):
    return run_layers(layers, np.asarray(H, dtype=np.float64), apply_dense, record, progress)
