"""Gatmiry, Saunshi, Reddi, Jegelka, Kumar 2024, "Can looped transformers learn to implement multi-step gradient
descent for in-context learning?" (ICML 2024, arXiv 2410.08292).

Only the abstract and introduction were available (spec 0, seed 003).  The model below is the spec's
reconstruction [S]/[M]: one layer of Ahn et al.'s (8) with P = [[0, 0], [u^T, 1]], Q = -[[A, 0], [0, 0]], applied
L times with shared weights (``looped_layers``); x ~ N(0, Sigma), w* ~ N(0, Sigma^{-1}), no label noise.

* ``looped_loss_poly``: with u = 0 and A = c Sigma^{-1}, the loss is g(c) = E tr (I - c S_hat)^{2L}, a degree-2L
  polynomial in c with exact rational coefficients (whitened; spec 3.3, ours).
* ``c_star``: its exact global minimiser (a real root of g', as a SymPy ``CRootOf`` or a Rational).
* ``theorem32_c``: the reconstructed Theorem 3.2 constant c = 8 delta d^{1/(2L)}, delta = (8 L d / sqrt n)^{1/(2L)} [S].
* ``ray_gradient_sq``: ||grad_A L(A, 0)||_F^2 on the ray A = c I (Sigma = I), = g'(c)^2 / d (ours).
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from .ahn2023 import pq_layer, shat_moments, sparse8
from .errors import require_int

c_sym = sp.Symbol("c", real=True)


def looped_layers(A, n: int, L: int, u=None) -> list:
    """The looped linear transformer: the same (8)-layer (with P's last row (u^T, 1)) applied L times."""
    require_int("--steps", L, 1)
    P, Q = sparse8(A, u)
    layer = pq_layer(P, Q, n, role="looped Attn_{P,Q}")
    return [layer] * L


@lru_cache(maxsize=None)
def looped_loss_poly(n: int, d: int, L: int) -> sp.Poly:
    """g(c) = E tr (I - c S_hat)^{2L} = sum_k C(2L, k) (-c)^k E tr S_hat^k (exact rationals)."""
    require_int("--context", n, 1)
    require_int("--dim", d, 1)
    require_int("--steps", L, 1, 10)
    m = shat_moments(n, d, 2 * L)
    return sp.Poly(sum(sp.binomial(2 * L, k) * (-c_sym) ** k * d * m[k] for k in range(2 * L + 1)), c_sym)


@lru_cache(maxsize=None)
def c_star(n: int, d: int, L: int) -> dict:
    """argmin_c g(c): compare g at every real root of g' (at 60 digits; g has even degree and a positive leading
    coefficient, so its global minimum is at a critical point).  Returns c*, g(c*) (exact), and g's data."""
    g = looped_loss_poly(n, d, L)
    dg = g.diff(c_sym)
    crit = dg.real_roots()
    best = min(crit, key=lambda r: sp.N(g.as_expr().subs(c_sym, r), 60))
    exact_val = g.as_expr().subs(c_sym, best)
    return {"c": best, "loss": exact_val, "g": g, "dg": dg, "critical_points": crit}


def theorem32_c(n, d, L) -> sp.Expr:
    """Reconstructed [S] Theorem 3.2: (1 - c) Sigma^{-1} <= A_opt <= (1 + c) Sigma^{-1}, c = 8 delta d^{1/(2L)},
    delta = (8 L d / sqrt(n))^{1/(2L)}."""
    n, d, L = sp.sympify(n), sp.sympify(d), sp.sympify(L)
    delta = (8 * L * d / sp.sqrt(n)) ** (1 / (2 * L))
    return 8 * delta * d ** (1 / (2 * L))


def ray_gradient_sq(c, n: int, d: int, L: int) -> sp.Expr:
    """||grad_A L(A, 0)||_F^2 at A = c I, Sigma = I: the gradient is (g'(c)/d) I (rotation invariance), so g'(c)^2/d."""
    dg = looped_loss_poly(n, d, L).diff(c_sym)
    return dg.as_expr().subs(c_sym, c) ** 2 / d


def infinite_n_ratio(L) -> sp.Expr:
    """n -> oo on the ray: f = d (1-c)^{2L}, ||grad||^2 = 4 L^2 d (1-c)^{4L-2}; returns
    ||grad||^2 / f^{(2L-1)/L} simplified (spec 3.2: 4 L^2 d^{(1-L)/L})."""
    d, t = sp.symbols("d t", positive=True)  # t = 1 - c > 0
    L = sp.sympify(L)
    f = d * t ** (2 * L)
    grad_sq = (sp.diff(f, t)) ** 2 / d
    return sp.simplify(sp.powsimp(sp.expand_power_base(grad_sq / f ** ((2 * L - 1) / L), force=True), force=True))


def cstar_leading_coefficient(L: int, d=None) -> sp.Expr:
    """a_L(d) with 1 - c*(n, d, L) = a_L(d)/n + O(1/n^2): substitute c = 1 - a eps, n = 1/eps into g'(c) and solve the
    lowest-order coefficient in eps for a (ours; e.g. a_1 = d + 1, a_2(5) = 62/9)."""
    from .ahn2023 import d_sym, n_sym, wishart_trace_moment

    eps, a = sp.symbols("epsilon a", positive=True)
    d = d_sym if d is None else sp.sympify(d)
    g = sum(sp.binomial(2 * L, k) * (-c_sym) ** k * wishart_trace_moment(k).subs({d_sym: d, n_sym: 1 / eps})
            * eps**k for k in range(2 * L + 1))
    lead = sp.Poly(sp.expand(sp.diff(g, c_sym).subs(c_sym, 1 - a * eps)), eps).terms()
    low = min(lead, key=lambda t: t[0][0])[1]
    sol = sp.solve(low, a)
    return sp.factor(sol[0]) if len(sol) == 1 else sp.nan


# ----------------------------------------------------------------------------------------------------------
# d = 2: the exact looped loss for ANY 2x2 preconditioner (not only the ray), from Wishart mixed moments

_s = sp.symbols("s1 s2 s3")
_w = sp.symbols("w11 w12 w22")


@lru_cache(maxsize=None)
def wishart2_moments(n: int, deg: int) -> dict:
    """E[w11^a w12^b w22^c] (a + b + c <= deg) for W ~ Wishart_2(n, I), exactly: the moment generating function is
    E exp(s1 w11 + s2 w12 + s3 w22) = ((1 - 2 s1)(1 - 2 s3) - s2^2)^{-n/2} = sum_k C(n/2 + k - 1, k) u^k with
    u = 2 s1 + 2 s3 - 4 s1 s3 + s2^2, and the moment is a! b! c! times the coefficient of s1^a s2^b s3^c."""
    s1, s2, s3 = _s
    u = 2 * s1 + 2 * s3 - 4 * s1 * s3 + s2**2
    series = sum(sp.binomial(sp.Rational(n, 2) + k - 1, k) * u**k for k in range(deg + 1))
    out = {}
    for (a, b, c), coef in sp.Poly(sp.expand(series), s1, s2, s3).terms():
        if a + b + c <= deg:
            out[(a, b, c)] = coef * sp.factorial(a) * sp.factorial(b) * sp.factorial(c)
    return out


def looped_loss_2x2(B: sp.Matrix, n: int, L: int) -> sp.Expr:
    """L(A, 0) = E ||(I - B S_hat)^L||_F^2 exactly for d = 2, S_hat = W/n, B = Sigma^{1/2} A^T Sigma^{1/2} any 2x2 matrix
    (entries numbers or symbols): expand in the entries of W and replace monomials by ``wishart2_moments``."""
    w11, w12, w22 = _w
    W = sp.Matrix([[w11, w12], [w12, w22]])
    M = (sp.eye(2) - B * W / n) ** L
    poly = sp.Poly(sp.expand((M * M.T).trace()), w11, w12, w22)
    mom = wishart2_moments(n, 2 * L)
    return sp.expand(sum(coef * mom.get(m, 0) for m, coef in poly.terms()))


@lru_cache(maxsize=None)
def rotation_scaling_loss(n: int, L: int) -> sp.Expr:
    """f(c, s) = L(A, 0) for d = 2 and B = c I + s J, J = [[0, -1], [1, 0]] (B acts like the complex number c + i s);
    s = 0 is the ray g(c)."""
    c, s = sp.symbols("c s", real=True)
    return looped_loss_2x2(sp.Matrix([[c, -s], [s, c]]), n, L)
