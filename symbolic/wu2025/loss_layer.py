"""Lemma 4: g = 1{t = 1} u(p(N), y) by one MLP layer, (C.13)-(C.14).

Row m of W_1 for output coordinate k: a_m[t] p(N)[k] + a_m[y] y[k] + a_m[1] - R3 (1 - t); W_2[g[k], m] = c_m.
For the query (t = 0) every pre-activation is shifted by -R3, so g_{n+1} = 0 when ||a_m||_1 <= 1 and the
entries of [p(N); y; 1] are at most R3 in absolute value: the query gate that makes s_{n+1} = 0 [F3].
"""
from __future__ import annotations

from fractions import Fraction

from ..sum_of_relu import SumOfRelu
from ..transformer import MLP, SparseMatrix
from .layout import TokenLayout


def loss_layer(layout: TokenLayout, u_approx: SumOfRelu, R3: Fraction) -> MLP:
    """MLP_theta_{N+2}: units of ``u_approx`` (a over [t; y; 1]) for every k in [d], gated by -R3 (1 - t)."""
    shape = layout.shape
    d = shape.d_out
    H = d * u_approx.H
    W1, W2 = SparseMatrix((H, layout.D)), SparseMatrix((layout.D, H))
    one, t = layout.index("one"), layout.index("t")
    m = 0
    for k in range(d):
        for unit in u_approx.units:
            a_t, a_y, a_1 = unit.a
            W1.add(m, layout.index(layout.p(shape.N), k), a_t)
            W1.add(m, layout.index("y", k), a_y)
            W1.add(m, one, a_1 - R3)
            W1.add(m, t, R3)
            W2.add(layout.index("g", k), m, unit.c)
            m += 1
    return MLP("lemma4: g = u(p(N), y)", W1, W2,
               structure={"kind": "gated_loss_mlp", "lemma": "Lemma 4", "writes": ["g"], "R3": R3,
                          "approximant": u_approx, "max_a_l1": u_approx.max_a_l1})
