"""The polynomial method for exp on [-R, R] (spec Sec. 2.2): coefficients (Taylor, Chebyshev interpolation,
truncated Chebyshev series), measured relative error, and the feature map of rank C(g + d, d)."""
from __future__ import annotations

from functools import lru_cache

import mpmath
import numpy as np

from symbolic.hu2025lora.bounds import METHODS, delta_bound


def _cheb_T_monomial(g: int) -> list[list[int]]:
    """Integer monomial coefficients of T_0 .. T_g (T_{k+1} = 2x T_k - T_{k-1})."""
    T = [[1], [0, 1]]
    for k in range(1, g):
        nxt = [0] + [2 * c for c in T[k]]
        for i, c in enumerate(T[k - 1]):
            nxt[i] -= c
        T.append(nxt)
    return T[: g + 1]


@lru_cache(maxsize=1024)
def coefficients(method: str, R: float, g: int, dps: int = 50) -> tuple:
    """Monomial coefficients a_0..a_g (mpmath, at ``dps`` digits) of P_g(s) ~ e^s on [-R, R]."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    with mpmath.workdps(dps + 10):
        Rm = mpmath.mpf(R)
        if method == "taylor":
            return tuple(1 / mpmath.factorial(t) for t in range(g + 1))
        if method == "cheb_interp":  # Chebyshev nodes of the first kind on [-1, 1], x = s / R
            n = g + 1
            xs = [mpmath.cos(mpmath.pi * (2 * j + 1) / (2 * n)) for j in range(n)]
            fx = [mpmath.exp(Rm * x) for x in xs]
            c = [(2 if k else 1) * mpmath.fsum(fx[j] * mpmath.cos(k * mpmath.pi * (2 * j + 1) / (2 * n))
                                               for j in range(n)) / n for k in range(n)]
        else:  # truncated Chebyshev series e^{Rx} = I_0(R) + 2 sum_k I_k(R) T_k(x)
            c = [(2 if k else 1) * mpmath.besseli(k, Rm) for k in range(g + 1)]
        T = _cheb_T_monomial(g)
        a = [mpmath.mpf(0)] * (g + 1)
        for k, ck in enumerate(c):
            for t, coef in enumerate(T[k]):
                if coef:
                    a[t] += ck * coef
        return tuple(a[t] / Rm ** t for t in range(g + 1))


def horner(a, s):
    out = 0 * s
    for coef in reversed(a):
        out = out * s + coef
    return out


def measured_rel_error(method: str, R: float, g: int, dps: int = 30, points: int = 400):
    """sup over a grid of [-R, R] (uniform points plus Chebyshev extrema) of |P_g(s) e^{-s} - 1|, in mpmath."""
    with mpmath.workdps(dps + 10):
        a = coefficients(method, R, g, dps + 10)
        Rm = mpmath.mpf(R)
        grid = [-Rm + 2 * Rm * i / (points - 1) for i in range(points)]
        grid += [Rm * mpmath.cos(mpmath.pi * j / max(g + 1, 1)) for j in range(g + 2)]
        return max(abs(horner(a, s) * mpmath.exp(-s) - 1) for s in grid)


def float_coefficients(method: str, R: float, g: int) -> np.ndarray:
    return np.array([float(x) for x in coefficients(method, float(R), g)])


def poly_delta(method: str, R, g: int, dps: int | None = None):
    """Closed-form relative error bound (float, or mpf at ``dps``)."""
    v = delta_bound(method, R, g, 50 if dps is None else dps + 10)
    return float(v) if dps is None else v


@lru_cache(maxsize=256)
def monomial_table(d: int, g: int):
    """Multi-indices m in N^d with |m| <= g, graded; each (but the first) built from a parent by one variable.
    Returns (degree, parent, var, multinomial |m|!/m!) as lists; rank = C(g + d, d)."""
    exps = [(0,) * d]
    degree, parent, var, last = [0], [-1], [-1], [0]
    start = 0
    for t in range(1, g + 1):
        end = len(exps)
        for idx in range(start, end):
            for i in range(last[idx], d):
                e = list(exps[idx])
                e[i] += 1
                exps.append(tuple(e))
                degree.append(t)
                parent.append(idx)
                var.append(i)
                last.append(i)
        start = end
    from math import factorial, prod

    multi = [factorial(sum(e)) // prod(factorial(x) for x in e) for e in exps]
    return degree, parent, var, multi


def _degree_groups(d: int, g: int):
    degree, parent, var, _ = monomial_table(d, g)
    groups, col = [], 1
    for t in range(1, g + 1):
        cols = [c for c in range(col, len(degree)) if degree[c] == t]
        groups.append((cols[0], cols[-1] + 1, np.array([parent[c] for c in cols]), np.array([var[c] for c in cols])))
        col = cols[-1] + 1
    return len(degree), groups


def monomials(X, d: int, g: int):
    """Columns X^m for every multi-index (numpy float/object arrays or torch tensors), one degree at a time
    (each column is its parent column times one variable): O(L k) work, built as k x L rows (contiguous
    gathers) and returned transposed."""
    k, groups = _degree_groups(d, g)
    if hasattr(X, "new_empty"):  # torch
        import torch

        Xt = X.T.contiguous()
        M = X.new_empty((k, X.shape[0]))
        M[0] = 1
        for lo, hi, par, var in groups:
            M[lo:hi] = M[torch.as_tensor(par, device=X.device)] * Xt[torch.as_tensor(var, device=X.device)]
        return M.T
    X = np.asarray(X)
    Xt = np.ascontiguousarray(X.T)
    M = np.empty((k, X.shape[0]), dtype=X.dtype)
    M[0] = 1
    for lo, hi, par, var in groups:
        M[lo:hi] = M[par] * Xt[var]
    return M.T


def feature_map(Qs, Ks, a, g: int):
    """U[i, m] = a_|m| (|m|!/m!) Qs[i]^m and V[j, m] = Ks[j]^m, so (U V^T)_ij = P_g(<Qs_i, Ks_j>) exactly.
    ``a``: float coefficients for float/torch inputs, mpf coefficients for object arrays."""
    d = Qs.shape[1]
    degree, _, _, multi = monomial_table(d, g)
    U = monomials(Qs, d, g)
    if hasattr(U, "new_tensor"):
        w = U.new_tensor([float(a[t]) * m for t, m in zip(degree, multi)])
    elif U.dtype == object:
        w = np.array([a[t] * m for t, m in zip(degree, multi)], dtype=object)
    else:
        w = np.array([float(a[t]) * m for t, m in zip(degree, multi)])
    return U * w[None, :], monomials(Ks, d, g)


def score_range(Qs, Ks):
    """R := max_i ||Qs[i]||_2 max_j ||Ks[j]||_2 >= max |S| (Cauchy-Schwarz), inflated by 1e-12 for rounding."""
    q = np.sqrt((np.asarray(Qs, dtype=float) ** 2).sum(1)).max()
    k = np.sqrt((np.asarray(Ks, dtype=float) ** 2).sum(1)).max()
    return float(q * k * (1 + 1e-12))


def poly_sum_abs(a, R):
    """sum_t |a_t| R^t (the size of the terms summed by the factorised evaluation)."""
    return sum(abs(x) * R ** t for t, x in enumerate(a))
