"""Lemma 2: the forward pass p(j) by N ReLU-attention layers, (C.7)-(C.8).

Head (m, k) of layer j: Q h_i = [a_m[1] p(j-1); a_m[2]; 0], K h_s = [v_jk; 1; 0], V h_s = c_m e_{p(j)[k]}, so
<Q h_i, K h_s> = a_m[1] v_jk^T p(j-1) + a_m[2] for every key s and the 1/(n+1) normalisation cancels.
"""
from __future__ import annotations

from fractions import Fraction

from ..sum_of_relu import SumOfRelu
from ..transformer import Head, ReluAttention, SparseMatrix
from .layout import TokenLayout


def scalar_relu_heads(layout: TokenLayout, j: int, k: int, approx: SumOfRelu, out_index: int) -> list[Head]:
    """Heads computing approx(v_jk^T p(j-1)) into token entry ``out_index`` (shared by Lemmas 2 and 3)."""
    D, fan_in = layout.D, layout.shape.fan_in(j)
    one = layout.index("one")
    heads = []
    for unit in approx.units:
        a1, a2 = unit.a
        Q, K, V = SparseMatrix((D, D)), SparseMatrix((D, D)), SparseMatrix((D, D))
        for l in range(fan_in):
            Q.add(l, layout.index(layout.p(j - 1), l), a1)
            K.add(l, layout.w(j, k, l), Fraction(1))
        Q.add(fan_in, one, a2)
        K.add(fan_in, one, Fraction(1))
        V.add(out_index, one, unit.c)
        heads.append(Head(Q, K, V))
    return heads


def forward_layer(layout: TokenLayout, j: int, approx: SumOfRelu, role: str | None = None) -> ReluAttention:
    """Attn_theta_j of Lemma 2: writes p(j)[k] = r_bar(v_jk^T p(j-1)) for k in [K_j] (K_N = d)."""
    width = layout.shape.width(j)

    def build():
        heads = []
        for k in range(1, width + 1):
            heads += scalar_relu_heads(layout, j, k, approx, layout.index(layout.p(j), k - 1))
        return heads

    return ReluAttention(role or f"lemma2: p({j})", build,
                         structure={"kind": "scalar_sum_of_relu", "lemma": "Lemma 2", "layers": [j],
                                    "writes": [layout.p(j)], "approximant": approx,
                                    "heads": width * approx.H})
