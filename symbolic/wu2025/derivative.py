"""Lemma 3: all derivatives r'(j-1) = r'(v_jk^T p(j-1)) in one ReLU-attention layer, (C.11)-(C.12).

One head per (j, m, k): the Lemma-2 query/key pattern with the approximant of r', written to r'(j-1)[k]
(the paper's e2_{j,k} points at r'(j); the correct target is r'(j-1) [F17]).
"""
from __future__ import annotations

from ..sum_of_relu import SumOfRelu
from ..transformer import ReluAttention
from .forward import scalar_relu_heads
from .layout import TokenLayout


def derivative_layer(layout: TokenLayout, approx_rp: SumOfRelu) -> ReluAttention:
    """Attn_theta_{N+1}: M2 ((N-1)K + d) heads writing r_bar'(j-1)[k] for every j in [N], k in [K_j]."""
    shape = layout.shape

    def build():
        heads = []
        for j in range(1, shape.N + 1):
            for k in range(1, shape.width(j) + 1):
                heads += scalar_relu_heads(layout, j, k, approx_rp, layout.index(layout.rp(j - 1), k - 1))
        return heads

    return ReluAttention("lemma3: r'(0..N-1)", build,
                         structure={"kind": "scalar_sum_of_relu", "lemma": "Lemma 3",
                                    "layers": list(range(1, shape.N + 1)),
                                    "writes": [layout.rp(j) for j in range(shape.N)], "approximant": approx_rp,
                                    "heads": shape.dim_p * approx_rp.H})
