"""The gradient step, ReLU attention at layer 2N+3, (C.16).

Two heads per (j, k): Q h = [+-1], K h = [s(j)[k]], V h = -+ eta (n+1)/(2n) [p(j-1)] written into v_jk.
relu(s) - relu(-s) = s and the 1/(n+1) normalisation give w <- w - (eta/2n) sum_t s_t(j)[k] p_t(j-1); the query
contributes nothing because s_{n+1} = 0 (the gate of Lemma 4).
"""
from __future__ import annotations

from fractions import Fraction

from ..transformer import Head, ReluAttention, SparseMatrix
from .layout import TokenLayout


def gradient_step_layer(layout: TokenLayout, eta: Fraction, n: int) -> ReluAttention:
    """Attn_theta_{2N+3}: w <- w - eta grad_bar L_n(w); 2((N-1)K + d) heads; needs n + 1 tokens."""
    shape, D = layout.shape, layout.D
    one = layout.index("one")
    scale = Fraction(eta) * (n + 1) / (2 * n)

    def build():
        heads = []
        for j in range(1, shape.N + 1):
            for k in range(1, shape.width(j) + 1):
                for sign in (1, -1):
                    Q, K, V = SparseMatrix((D, D)), SparseMatrix((D, D)), SparseMatrix((D, D))
                    Q.add(0, one, sign)
                    K.add(0, layout.index(layout.s(j), k - 1), Fraction(1))
                    for l in range(shape.fan_in(j)):
                        V.add(layout.w(j, k, l), layout.index(layout.p(j - 1), l), -sign * scale)
                    heads.append(Head(Q, K, V))
        return heads

    return ReluAttention("gradient step (C.16)", build,
                         structure={"kind": "gradient_step", "writes": ["w"], "eta": Fraction(eta), "n": n,
                                    "heads": 2 * shape.dim_p})
