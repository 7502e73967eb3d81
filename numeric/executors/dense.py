"""Dense reference executor: every head as dense D x D float64 matrices, literally Definitions 6-8."""
from __future__ import annotations

import numpy as np

from symbolic.transformer import EWML, MLP, LinearAttention, ReluAttention

from . import run_layers


def _relu(a):
    return np.maximum(a, 0.0)


def apply_dense(layer, H: np.ndarray) -> np.ndarray:
    """One layer on H (tokens as rows, shape (n_tok, D)) in float64."""
    n_tok = H.shape[0]
    if isinstance(layer, MLP):
        W1, W2 = layer.W1.to_dense(), layer.W2.to_dense()
        return H + _relu(H @ W1.T) @ W2.T
    out = H.copy()
    for head in layer.heads:
        Q, K, V = head.Q.to_dense(), head.K.to_dense(), head.V.to_dense()
        QH, KH, VH = H @ Q.T, H @ K.T, H @ V.T
        if isinstance(layer, ReluAttention):
            out += _relu(QH @ KH.T) @ VH / n_tok
        elif isinstance(layer, EWML):
            out += np.sum(QH * KH, axis=1, keepdims=True) * VH
        elif isinstance(layer, LinearAttention):
            keys = n_tok if layer.keys == "all" else n_tok - 1
            out += float(layer.scale) * (QH @ KH[:keys].T) @ VH[:keys]
        else:  # pragma: no cover
            raise TypeError(type(layer))
    return out


def run_dense(layers, H, record: bool = True, progress=None):
    return run_layers(layers, np.asarray(H, dtype=np.float64), apply_dense, record, progress)
