"""Layer 2N+4: Proj_W onto a box plus erasure of the scratch slots (ours: the paper assumes Proj_W = MLP and
never constructs the erasure), and the readout copy of our prediction extension (the paper has no readout, F12).

Box clipping is exact: clip(w) - w = -relu(w - b) + relu(-w - b); erasing z: -relu(z) + relu(-z) = -z.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from ..transformer import MLP, SparseMatrix
from .layout import TokenLayout


def _erase(W1: SparseMatrix, W2: SparseMatrix, m: int, index: int) -> int:
    W1.add(m, index, Fraction(1))
    W2.add(index, m, Fraction(-1))
    W1.add(m + 1, index, Fraction(-1))
    W2.add(index, m + 1, Fraction(1))
    return m + 2


def projection_layer(layout: TokenLayout, box: Sequence[Fraction]) -> MLP:
    """MLP_theta_{2N+4}: w <- clip(w, -b, b) coordinatewise (b = ``box``), scratch <- 0."""
    shape = layout.shape
    if len(box) != shape.num_params:
        raise ValueError("box needs one bound per parameter")
    scratch = [layout.index(name, k) for name in layout.scratch for k in range(layout.size(name))]
    H = 2 * shape.num_params + 2 * len(scratch)
    W1, W2 = SparseMatrix((H, layout.D)), SparseMatrix((layout.D, H))
    one = layout.index("one")
    m = 0
    for q, b in enumerate(box):
        wq = layout.index("w", q)
        W1.add(m, wq, Fraction(1))
        W1.add(m, one, -b)
        W2.add(wq, m, Fraction(-1))
        W1.add(m + 1, wq, Fraction(-1))
        W1.add(m + 1, one, -b)
        W2.add(wq, m + 1, Fraction(1))
        m += 2
    for idx in scratch:
        m = _erase(W1, W2, m, idx)
    return MLP("projection onto W + erase scratch (ours)", W1, W2,
               structure={"kind": "projection", "writes": ["w"] + layout.scratch, "origin": "ours"})


def readout_layer(layout: TokenLayout, R: Fraction) -> MLP:
    """Our readout: y_{n+1} <- p(N)_{n+1} for the query only (t = 0), p slots erased.

    y <- y + relu(p(N) - R t) - relu(-p(N) - R t): exact when |p(N)| <= R."""
    shape = layout.shape
    p_slots = [layout.index(layout.p(j), k) for j in range(1, shape.N + 1) for k in range(shape.width(j))]
    H = 2 * shape.d_out + 2 * len(p_slots)
    W1, W2 = SparseMatrix((H, layout.D)), SparseMatrix((layout.D, H))
    t = layout.index("t")
    m = 0
    for k in range(shape.d_out):
        pk, yk = layout.index(layout.p(shape.N), k), layout.index("y", k)
        W1.add(m, pk, Fraction(1))
        W1.add(m, t, -R)
        W2.add(yk, m, Fraction(1))
        W1.add(m + 1, pk, Fraction(-1))
        W1.add(m + 1, t, -R)
        W2.add(yk, m + 1, Fraction(-1))
        m += 2
    for idx in p_slots:
        m = _erase(W1, W2, m, idx)
    return MLP("readout: y_{n+1} <- p(N) (ours)", W1, W2,
               structure={"kind": "readout", "writes": ["y"], "R": R, "origin": "ours"})
