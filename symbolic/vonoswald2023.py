"""von Oswald et al. 2023, "Transformers learn in-context by gradient descent" (ICML 2023, arXiv 2212.07677).

Tokens are rows e_j = (x_j, y_j) in R^{N_x + N_y}; the query is e_{N+1} = (x_q, -W_0 x_q) (App. A.1).

* ``gd_layer``: Proposition 1 / App. A.1, W_K = W_Q = [[I_x, 0], [0, 0]], W_V = [[0, 0], [W_0, -I_y]], P = (eta/N) I,
  as a ``LinearAttention`` head (Q = W_Q, K = W_K, V = W_V, scale eta/N, keys = the N context tokens).
* ``gd_construction``: K stacked layers = K GD steps (tied: one eta; untied: a schedule eta_1..eta_K).
* ``gdpp_layer``: GD++ (App. A.10), W_V = [[I_x, 0], [W_0, -I_y]], P = diag(-gamma I_x, (eta/N) I_y).
* ``gd_tokens`` / ``gdpp_tokens``: what the paper says the layers output, computed by explicit GD on the data
  in any exact or high-precision scalar type (Fraction, mpmath, SymPy).
* ``optimal_gd_rate``: the closed-form optimal one-step rate and loss for (C)'s data (spec 1.5, ours).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import sympy as sp

from .errors import ConfigError, require_int
from .transformer import Block, Construction, Head, LinearAttention, SparseMatrix


def _frac(v) -> Fraction:
    """Exact Fraction of an int / Fraction / float / decimal string."""
    if isinstance(v, sp.Rational):
        return Fraction(int(v.p), int(v.q))
    return Fraction(v) if not isinstance(v, str) else Fraction(v)


def _check_W0(W0, nx: int, ny: int) -> list[list[Fraction]]:
    if W0 is None:
        return [[Fraction(0)] * nx for _ in range(ny)]
    if len(W0) != ny or any(len(r) != nx for r in W0):
        raise ConfigError("W0", f"must be {ny} x {nx}")
    return [[_frac(v) for v in r] for r in W0]


def key_query_matrix(nx: int, ny: int) -> SparseMatrix:
    """W_K = W_Q = [[I_x, 0], [0, 0]] (App. A.1)."""
    D = nx + ny
    M = SparseMatrix((D, D))
    for i in range(nx):
        M.add(i, i, 1)
    return M


def value_matrix(nx: int, ny: int, W0=None, x_block: Fraction | int = 0) -> SparseMatrix:
    """W_V = [[x_block I_x, 0], [W_0, -I_y]]: x_block 0 for GD (App. A.1), 1 for GD++ (App. A.10)."""
    D = nx + ny
    W0 = _check_W0(W0, nx, ny)
    V = SparseMatrix((D, D))
    for i in range(nx):
        V.add(i, i, x_block)
    for r in range(ny):
        for c in range(nx):
            V.add(nx + r, c, W0[r][c])
        V.add(nx + r, nx + r, -1)
    return V


def gd_layer(nx: int, ny: int, n_ctx: int, eta, W0=None) -> LinearAttention:
    """One LSA layer = one GD step of rate eta on L(W) = (1/2N) sum ||W x_i - y_i||^2 (Prop. 1)."""
    require_int("N_x", nx, 1)
    require_int("N_y", ny, 1)
    require_int("N", n_ctx, 1)
    eta = _frac(eta)
    W0 = _check_W0(W0, nx, ny)
    return LinearAttention(
        role=f"GD step (eta={eta})",
        build=lambda: [Head(Q=key_query_matrix(nx, ny), K=key_query_matrix(nx, ny), V=value_matrix(nx, ny, W0))],
        scale=eta / n_ctx, keys="context", structure={"paper": "vonoswald2023", "eta": str(eta)})


def gd_construction(nx: int, ny: int, n_ctx: int, etas: Sequence, W0=None) -> Construction:
    """K = len(etas) layers = K GD steps; every layer keeps W_0 in W_V (tied when all eta_k are equal)."""
    etas = [_frac(e) for e in etas]
    if not etas:
        raise ConfigError("--steps", "must be >= 1")
    if len(set(etas)) == 1:
        layer = gd_layer(nx, ny, n_ctx, etas[0], W0)
        layers = [layer] * len(etas)  # weight tying: the same layer object, applied K times
    else:
        layers = [gd_layer(nx, ny, n_ctx, e, W0) for e in etas]
    return Construction(nx + ny, [Block("gd", layers)], {"paper": "vonoswald2023", "etas": [str(e) for e in etas]})


def gdpp_layer(nx: int, ny: int, n_ctx: int, eta, gamma, W0=None) -> LinearAttention:
    """GD++ layer (App. A.10): V = P W_V with P = diag(-gamma I_x, (eta/N) I_y), W_V = [[I_x,0],[W_0,-I_y]]."""
    eta, gamma = _frac(eta), _frac(gamma)
    W0 = _check_W0(W0, nx, ny)

    def build():
        V = SparseMatrix((nx + ny, nx + ny))
        for (r, c), v in value_matrix(nx, ny, W0, x_block=1).entries.items():
            V.add(r, c, v * (-gamma if r < nx else eta / n_ctx))
        return [Head(Q=key_query_matrix(nx, ny), K=key_query_matrix(nx, ny), V=V)]

    return LinearAttention(role=f"GD++ step (eta={eta}, gamma={gamma})", build=build, scale=Fraction(1),
                           keys="context", structure={"paper": "vonoswald2023", "eta": str(eta), "gamma": str(gamma)})


# ----------------------------------------------------------------------------------------------------------
# What the paper says the layers compute: explicit GD on the in-context data, in any scalar type.

def _mv(M, v):
    return [sum((a * b for a, b in zip(row, v)), 0 * v[0]) for row in M]


def tokens(X, Y, xq, W0):
    """H_0: rows (x_i, y_i) for the N context points, then the query (x_q, -W_0 x_q) (App. A.1)."""
    return [list(x) + list(y) for x, y in zip(X, Y)] + [list(xq) + [-v for v in _mv(W0, xq)]]


def gd_step(W, X, Y, eta):
    """W - eta grad L(W), L(W) = (1/2N) sum_i ||W x_i - y_i||^2 (Section 2, eq. (3))."""
    N = len(X)
    res = [[a - b for a, b in zip(_mv(W, x), y)] for x, y in zip(X, Y)]
    return [[W[r][c] - eta * sum(res[i][r] * X[i][c] for i in range(N)) / N for c in range(len(W[0]))]
            for r in range(len(W))]


def gd_tokens(X, Y, xq, W0, etas):
    """Prop. 1 iterated: context (x_j, y_j - (W_K - W_0) x_j), query (x_q, -W_K x_q), W_K after K GD steps."""
    W = [row[:] for row in W0]
    for eta in etas:
        W = gd_step(W, X, Y, eta)
    dW = [[a - b for a, b in zip(r1, r0)] for r1, r0 in zip(W, W0)]
    ctx = [list(x) + [a - b for a, b in zip(y, _mv(dW, x))] for x, y in zip(X, Y)]
    return ctx + [list(xq) + [-v for v in _mv(W, xq)]]


def gdpp_map(H, n_ctx: int, nx: int, eta, gamma, W0):
    """One GD++ layer (App. A.10) on every token: ((I - gamma X X^T) x_j, y_j - Delta W x_j), with
    X X^T = sum_{i<=N} x_i x_i^T un-normalised and Delta W = -(eta/N) sum_i (W_0 x_i - y_i) x_i^T, both from the
    pre-update context tokens (which hold the current residuals in their y-part)."""
    X = [h[:nx] for h in H[:n_ctx]]
    Y = [h[nx:] for h in H[:n_ctx]]
    XXt = [[sum(x[a] * x[b] for x in X) for b in range(nx)] for a in range(nx)]
    dW = [[a - b for a, b in zip(r1, r0)] for r1, r0 in zip(gd_step(W0, X, Y, eta), W0)]
    out = []
    for h in H:
        x, y = h[:nx], h[nx:]
        out.append([a - gamma * b for a, b in zip(x, _mv(XXt, x))] + [a - b for a, b in zip(y, _mv(dW, x))])
    return out


def gdpp_tokens(X, Y, xq, W0, eta, gamma, layers: int = 1):
    """``layers`` tied GD++ layers applied to H_0 (the paper's 'iterating gives GD++')."""
    H = tokens(X, Y, xq, W0)
    for _ in range(layers):
        H = gdpp_map(H, len(X), len(X[0]), eta, gamma, W0)
    return H


def gdpp_hessian(H: sp.Matrix, gamma) -> sp.Matrix:
    """H++ = (I - gamma H) H (I - gamma H): the Hessian X X^T of the GD++-transformed data (App. A.10)."""
    I = sp.eye(H.shape[0])
    return (I - gamma * H) * H * (I - gamma * H)


# ----------------------------------------------------------------------------------------------------------
# Closed forms for (C)'s data (spec 1.5; ours)

def uniform_moments(a) -> tuple[sp.Expr, sp.Expr]:
    """(s^2, mu_4) of U(-a, a): a^2/3 and a^4/5."""
    a = sp.sympify(a)
    return a**2 / 3, a**4 / 5


def gaussian_moments() -> tuple[sp.Expr, sp.Expr]:
    """(s^2, mu_4) of N(0, 1): 1 and 3."""
    return sp.Integer(1), sp.Integer(3)


def optimal_gd_rate(d, N, s2, mu4) -> dict:
    """One GD step from W_0 = 0, w ~ N(0, I), i.i.d. coordinates: half-loss(eta) = s^2 (d - 2 eta m1 + eta^2 m2)/2,
    m1 = d s^2, m2 = E||x||^4/N + (N-1) d s^4/N; eta* = m1/m2, half-loss* = s^2 (d - m1^2/m2)/2 (spec 1.5)."""
    d, N, s2, mu4 = (sp.sympify(v) for v in (d, N, s2, mu4))
    m1 = d * s2
    m2 = (d * mu4 + d * (d - 1) * s2**2) / N + (N - 1) * d * s2**2 / N
    eta = sp.Symbol("eta")
    half_loss = s2 * (d - 2 * eta * m1 + eta**2 * m2) / 2
    return {"eta_star": sp.simplify(m1 / m2), "half_loss_star": sp.simplify(s2 * (d - m1**2 / m2) / 2),
            "half_loss": half_loss, "eta": eta, "m1": m1, "m2": sp.simplify(m2)}
