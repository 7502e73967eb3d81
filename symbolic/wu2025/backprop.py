"""Lemma 5: the backprop vectors s(j) by N element-wise multiplication layers, (3.20), (C.15).

j = N: d heads, <Q h, K h> = g[k] (Q reads g[k], K reads 1), V h = r'(N-1)[k] e_{s(N)[k]}.
j <= N-1: K heads, Q h = [v_{j+1,1}[k]; ...; v_{j+1,K_{j+1}}[k]] (the k-th entry of every v_{j+1,l}), K h =
[s(j+1)], so <Q h, K h> = (V_{j+1}^T s(j+1))[k]; V h = r'(j-1)[k] e_{s(j)[k]}.  Def 6: no relu, same token
(the proof's rewrite with relu and cross-token keys, p. 26, is not used [F9]).
"""
from __future__ import annotations

from fractions import Fraction

from ..transformer import EWML, Head, SparseMatrix
from .layout import TokenLayout


def backprop_layer(layout: TokenLayout, j: int) -> EWML:
    """EWML_theta_{2N+3-j}: writes s(j)."""
    shape, D = layout.shape, layout.D
    one = layout.index("one")

    def build():
        heads = []
        for k in range(shape.width(j)):
            Q, K, V = SparseMatrix((D, D)), SparseMatrix((D, D)), SparseMatrix((D, D))
            if j == shape.N:
                Q.add(0, layout.index("g", k), Fraction(1))
                K.add(0, one, Fraction(1))
            else:
                for l in range(shape.width(j + 1)):
                    Q.add(l, layout.w(j + 1, l + 1, k), Fraction(1))
                    K.add(l, layout.index(layout.s(j + 1), l), Fraction(1))
            V.add(layout.index(layout.s(j), k), layout.index(layout.rp(j - 1), k), Fraction(1))
            heads.append(Head(Q, K, V))
        return heads

    return EWML(f"lemma5: s({j})", build,
                structure={"kind": "backprop_product", "lemma": "Lemma 5", "layers": [j], "writes": [layout.s(j)]})
