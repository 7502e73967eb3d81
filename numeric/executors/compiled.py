"""Sparse compiled form of a layer shared by the batched and high-precision executors.

A head is reduced to its bilinear terms (q_col, k_col, coef) with <Q h, K h'> = sum coef h[q_col] h'[k_col]
(B = Q^T K) and its value terms (row, col, val) with V h = sum val h[col] e_row.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from symbolic.transformer import MLP

from . import LayerCache

_CACHE = LayerCache("compiled")


@dataclass
class CompiledHeads:
    score: list[list[tuple[int, int, Fraction]]]   # per head
    value: list[list[tuple[int, int, Fraction]]]   # per head


def compile_heads(layer) -> CompiledHeads:
    """Bilinear and value terms of every head of an attention/EWML layer (cached beside the layer)."""
    def make():
        score, value = [], []
        for h in layer.heads:
            score.append([(qc, kc, v) for (qc, kc), v in sorted(h.bilinear().items())])
            value.append([(r, c, v) for (r, c), v in sorted(h.V.entries.items())])
        return CompiledHeads(score, value)

    return _CACHE.get(layer, "heads", make)


def mlp_terms(layer: MLP):
    """(W1 rows, W2 entries) as sparse lists."""
    return layer.W1.rows(), sorted(layer.W2.entries.items())
