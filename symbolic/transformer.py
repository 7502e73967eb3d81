"""Layer types as data (Definitions 6-9 of Wu et al.; linear self-attention of von Oswald/Ahn et al.).

A layer is data: sparse matrices with exact ``Fraction`` entries, a ``role`` naming what it computes and a
``structure`` dict that fast executors may exploit.  Executors (``numeric.executors``) are functions of this data.

* ``ReluAttention`` (Def 7): h_i <- h_i + (1/n_tok) sum_m sum_s relu(<Q_m h_i, K_m h_s>) V_m h_s.
* ``EWML`` (Def 6, (3.18)): h_i <- h_i + sum_m <Q_m h_i, K_m h_i> V_m h_i   (no relu, no mixing of tokens).
* ``MLP`` (Def 8): h_i <- h_i + W_2 relu(W_1 h_i).
* ``LinearAttention``: h_j <- h_j + scale sum_m sum_{s in keys} <Q_m h_j, K_m h_s> V_m h_s, keys = all tokens or
  all but the last (the query).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Callable

import numpy as np
import sympy as sp


@dataclass
class SparseMatrix:
    """A rows x cols matrix with exact entries {(row, col): Fraction}; zeros are not stored."""

    shape: tuple[int, int]
    entries: dict = field(default_factory=dict)

    def add(self, row: int, col: int, value) -> "SparseMatrix":
        """Accumulate ``value`` at (row, col) (0-based), dropping exact zeros."""
        if not (0 <= row < self.shape[0] and 0 <= col < self.shape[1]):
            raise IndexError(f"({row}, {col}) outside {self.shape}")
        v = self.entries.get((row, col), Fraction(0)) + Fraction(value)
        if v == 0:
            self.entries.pop((row, col), None)
        else:
            self.entries[(row, col)] = v
        return self

    @property
    def nnz(self) -> int:
        return len(self.entries)

    def to_dense(self, dtype=np.float64) -> np.ndarray:
        a = np.zeros(self.shape, dtype=dtype if dtype is not object else object)
        if dtype is object:
            a[:] = Fraction(0)
        for (r, c), v in self.entries.items():
            a[r, c] = v if dtype is object else float(v)
        return a

    def to_sympy(self) -> sp.SparseMatrix:
        return sp.SparseMatrix(self.shape[0], self.shape[1],
                               {k: sp.Rational(v.numerator, v.denominator) for k, v in self.entries.items()})

    def norm1(self) -> Fraction:
        """||A||_1 induced by the vector l1 norm = max absolute column sum (Notation, p. 2)."""
        cols: dict[int, Fraction] = {}
        for (_, c), v in self.entries.items():
            cols[c] = cols.get(c, Fraction(0)) + abs(v)
        return max(cols.values(), default=Fraction(0))

    def rows(self) -> dict[int, list[tuple[int, Fraction]]]:
        out: dict[int, list] = {}
        for (r, c), v in sorted(self.entries.items()):
            out.setdefault(r, []).append((c, v))
        return out


@dataclass
class Head:
    """One head: Q, K, V in R^{D x D} (Definition 7), stored sparse."""

    Q: SparseMatrix
    K: SparseMatrix
    V: SparseMatrix

    def bilinear(self) -> dict[tuple[int, int], Fraction]:
        """Entries of B = Q^T K, so that <Q h, K h'> = h^T B h'."""
        krows = self.K.rows()
        out: dict[tuple[int, int], Fraction] = {}
        for r, qrow in self.Q.rows().items():
            for kc, kv in krows.get(r, ()):
                for qc, qv in qrow:
                    v = out.get((qc, kc), Fraction(0)) + qv * kv
                    if v:
                        out[(qc, kc)] = v
                    else:
                        out.pop((qc, kc), None)
        return out


class _Layer:
    """Common part: ``role`` (what the layer computes), ``structure`` (hints for fast executors)."""

    kind: str = ""

    def describe(self) -> dict:
        return {"kind": self.kind, "role": self.role, "size": self.size, **{k: v for k, v in self.structure.items()
                                                                          if isinstance(v, (int, str, float))}}


@dataclass(eq=False)
class _HeadLayer(_Layer):
    role: str
    build: Callable[[], list[Head]]
    structure: dict = field(default_factory=dict)

    @cached_property
    def heads(self) -> list[Head]:
        return list(self.build())

    @property
    def size(self) -> int:
        return len(self.heads)

    def param_norm(self) -> dict:
        """(B.1) part of this layer: max_m {||Q_m||_1, ||K_m||_1} + sum_m ||V_m||_1; and (3.19) max over all."""
        qk = max((max(h.Q.norm1(), h.K.norm1()) for h in self.heads), default=Fraction(0))
        vsum = sum((h.V.norm1() for h in self.heads), Fraction(0))
        vmax = max((h.V.norm1() for h in self.heads), default=Fraction(0))
        return {"B1": qk + vsum, "max_QK": qk, "sum_V": vsum, "eq3_19": max(qk, vmax)}


@dataclass(eq=False)
class ReluAttention(_HeadLayer):
    kind = "relu_attention"


@dataclass(eq=False)
class EWML(_HeadLayer):
    kind = "ewml"


@dataclass(eq=False)
class LinearAttention(_HeadLayer):
    scale: Fraction = Fraction(1)
    keys: str = "all"  # 'all' or 'context' (every token but the last)
    kind = "linear_attention"


@dataclass(eq=False)
class MLP(_Layer):
    role: str
    W1: SparseMatrix
    W2: SparseMatrix
    structure: dict = field(default_factory=dict)
    kind = "mlp"

    @property
    def size(self) -> int:
        return self.W1.shape[0]

    def param_norm(self) -> dict:
        """(B.1) part of this layer: ||W_1||_1 + ||W_2||_1."""
        n1, n2 = self.W1.norm1(), self.W2.norm1()
        return {"B1": n1 + n2, "W1": n1, "W2": n2}


Layer = ReluAttention | EWML | LinearAttention | MLP


@dataclass
class Block:
    """Layers in application order (Def 9 writes composition right to left; (3.21) left to right, F16)."""

    name: str
    layers: list


@dataclass
class Construction:
    """A whole constructed transformer: token width D, blocks in order, optional metadata."""

    D: int
    blocks: list[Block]
    meta: dict = field(default_factory=dict)

    @property
    def layers(self) -> list:
        return [layer for b in self.blocks for layer in b.layers]
