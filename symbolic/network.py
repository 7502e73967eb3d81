"""The N-layer network of Definition 1 (and Definition 10), the parameter ordering (3.2), and Lemma 1.

The gradient of Lemma 1 / Definition 3 is written once, over an array namespace ``xp``, so that the same code
runs on NumPy object arrays of SymPy expressions (exact, symbolic), of mpmath numbers or Fractions (any
precision), and on torch tensors (``numeric.backends``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from .errors import require_int


@dataclass(frozen=True)
class NetworkShape:
    """Sizes of Definition 1 (d_in = d_out = d) or Definition 10 (d_x, d_y): N layers of width K."""

    d_in: int
    d_out: int
    K: int
    N: int

    def __post_init__(self):
        require_int("--depth", self.N, 2)
        require_int("--width", self.K, 1)
        require_int("--dim-in" if self.d_in != self.d_out else "--dim", self.d_in, 1)
        require_int("--dim-out" if self.d_in != self.d_out else "--dim", self.d_out, 1)

    @classmethod
    def square(cls, d: int, K: int, N: int) -> "NetworkShape":
        """Definition 1: x_i, y_i in R^d."""
        return cls(d, d, K, N)

    def width(self, j: int) -> int:
        """K_j: number of units of layer j (1-based): K for j <= N-1, d_out for j = N."""
        self._check_layer(j)
        return self.K if j < self.N else self.d_out

    def fan_in(self, j: int) -> int:
        """in_j: input dimension of layer j: d_in for j = 1, K otherwise."""
        self._check_layer(j)
        return self.d_in if j == 1 else self.K

    def D(self, j: int) -> int:
        """D_j of p.4: number of parameters in the first j layers (D_0 = 0)."""
        return sum(self.width(i) * self.fan_in(i) for i in range(1, j + 1))

    @property
    def num_params(self) -> int:
        """D_N = 2dK + (N-2)K^2 (Definition 1), (d_x + d_y)K + (N-2)K^2 (Definition 10)."""
        return self.D(self.N)

    @property
    def dim_p(self) -> int:
        """dimP = (N-1)K + d_out: size of p = [p(1); ...; p(N)], of r' and of s (F2: not (N-2)K + d)."""
        return (self.N - 1) * self.K + self.d_out

    def layer_slice(self, j: int) -> slice:
        """0-based slice of w holding layer j's parameters v_{j1}, ..., v_{jK_j} (row-major V_j, (3.2))."""
        return slice(self.D(j - 1), self.D(j))

    def vector_slice(self, j: int, k: int) -> slice:
        """0-based slice of w holding v_{jk} (k is 1-based, as in the paper)."""
        if not 1 <= k <= self.width(j):
            raise IndexError(f"k={k} out of range for layer {j}")
        start = self.D(j - 1) + (k - 1) * self.fan_in(j)
        return slice(start, start + self.fan_in(j))

    def matrices(self, w) -> list:
        """[V_1, ..., V_N] from the flat parameter vector w (shape (K_j, in_j) each)."""
        if len(w) != self.num_params:
            raise ValueError(f"w has {len(w)} entries, the network has D_N = {self.num_params}")
        return [w[self.layer_slice(j)].reshape(self.width(j), self.fan_in(j)) for j in range(1, self.N + 1)]

    def _check_layer(self, j: int) -> None:
        if not 1 <= j <= self.N:
            raise IndexError(f"layer {j} out of range 1..{self.N}")


@dataclass
class Lemma1Terms:
    """Every intermediate of Definition 2/3 for a batch of tokens (rows).

    p[j] = p_i(j) (p[0] = x), z[j] = V_j p(j-1) (z[0] unused), rp[j] = r'_i(j) for j = 0..N-1,
    u = u(p(N), y) (times the context mask), s[j] = s_i(j) for j = 1..N (s[0] unused), A[j] = s(j) (x) p(j-1),
    grad = (1/2n) sum_i mask_i [A_i(1); ...; A_i(N)] (Lemma 1, (3.5)).
    """

    p: list
    z: list
    rp: list
    u: Any
    s: list
    A: list
    grad: Any


class ObjectArrays:
    """Array namespace over NumPy object arrays: exact/symbolic/high-precision scalars."""

    name = "object"

    @staticmethod
    def asarray(x):
        return np.asarray(x, dtype=object)

    @staticmethod
    def concat(arrays: Sequence):
        return np.concatenate(list(arrays), axis=-1)

    @staticmethod
    def apply(fn: Callable, a):
        out = np.empty(a.shape, dtype=object)
        flat_in, flat_out = a.reshape(-1), out.reshape(-1)
        for i, v in enumerate(flat_in):
            flat_out[i] = fn(v)
        return out

    @staticmethod
    def apply2(fn: Callable, a, b):
        out = np.empty(a.shape, dtype=object)
        fo, fa, fb = out.reshape(-1), a.reshape(-1), b.reshape(-1)
        for i in range(fa.size):
            fo[i] = fn(fa[i], fb[i])
        return out


def forward(shape: NetworkShape, w, X, r: Callable, xp=ObjectArrays):
    """Definition 1: p(0) = x, z(j) = V_j p(j-1), p(j) = r(z(j)); returns (p, z) lists, tokens as rows."""
    Vs = shape.matrices(w)
    p, z = [X], [None]
    for V in Vs:
        zj = p[-1] @ V.T
        z.append(zj)
        p.append(xp.apply(r, zj))
    return p, z


def lemma1_terms(shape: NetworkShape, w, X, Y, r: Callable, rprime: Callable, u: Callable,
                 mask=None, xp=ObjectArrays) -> Lemma1Terms:
    """Lemma 1 / Definition 3: explicit gradient of L_n(w) = (1/2n) sum_i l(f(w, x_i), y_i).

    ``r`` and ``rprime`` map a scalar pre-activation to r(t) and r'(t) (or to their approximants), ``u`` maps
    (t_k, y_k) to u(t, y)[k] (residual-type losses).  ``mask`` (1 for in-context tokens, 0 for the query)
    multiplies u; n = sum(mask).  Recursion (3.6): s(N) = r'(N-1) (.) u, s(j) = r'(j-1) (.) (V_{j+1}^T s(j+1));
    blocks (3.7): A(j) = s(j) (x) p(j-1).
    """
    N = shape.N
    Vs = shape.matrices(w)
    p, z = forward(shape, w, X, r, xp)
    rp = [xp.apply(rprime, z[j + 1]) for j in range(N)]
    uu = xp.apply2(u, p[N], Y)
    if mask is not None:
        uu = uu * mask[:, None]
    s = [None] * (N + 1)
    s[N] = rp[N - 1] * uu
    for j in range(N - 1, 0, -1):
        s[j] = rp[j - 1] * (s[j + 1] @ Vs[j])  # row form of V_{j+1}^T s(j+1); Vs is 0-based
    n_tok = X.shape[0]
    A = [None] + [(s[j][:, :, None] * p[j - 1][:, None, :]).reshape(n_tok, -1) for j in range(1, N + 1)]
    n = n_tok if mask is None else mask.sum()
    grad = xp.concat([A[j].sum(0) for j in range(1, N + 1)]) / (2 * n)
    return Lemma1Terms(p=p, z=z, rp=rp, u=uu, s=s, A=A, grad=grad)


def empirical_risk(shape: NetworkShape, w, X, Y, r: Callable, phi: Callable, xp=ObjectArrays):
    """(2.2): L_n(w) = (1/(2n)) sum_i l(f(w, x_i), y_i) with l(t, y) = sum_k phi(t_k - y_k)."""
    p, _ = forward(shape, w, X, r, xp)
    resid = p[shape.N] - Y
    return xp.apply(phi, resid).sum() / (2 * X.shape[0])
