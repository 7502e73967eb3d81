"""Ahn, Cheng, Daneshmand, Sra 2023, "Transformers learn to implement preconditioned gradient descent for
in-context learning" (NeurIPS 2023, arXiv 2306.00297).

Conventions (spec 0.1): tokens z_i = (x_i, y_i) in R^{d+1}, the query (x_q, 0) last; one layer is
Z <- Z + (1/n) P Z M (Z^T Q Z) (Section 2, eq. (2)); the prediction is -[Z_L]_{d+1, n+1}; the loss
f = E[(prediction - <w*, x_q>)^2] has no factor 1/2.

* ``pq_layer``: Attn_{P,Q} as a ``LinearAttention`` head: Q_head = Q, K_head = I, V = P, scale 1/n, keys = context.
* ``sparse8``: the parametrisation (8) (family (11) is run in torch only, ``numeric.linear_icl.ahn``).
* ``pgd_tokens``: Lemma 1, the L-step preconditioned GD that the (8)-stack computes (with A_l^T; spec A4).
* ``theorem1_block`` / ``optimal_gamma`` / ``gamma_loss``: Theorem 1 and its general-prior form (spec 2.2).
* ``g_moments`` / ``full_loss``: the exact population loss of one full (P, Q) layer (proof of Theorem 1).
* ``wishart_trace_moment`` / ``shat_moments``: exact E tr(W^k) by Wick pairings (spec 2.3).
* ``s_optimum``: Theorem 3's critical point in S, the Hankel / Christoffel-Darboux polynomial (spec 2.3).
* ``theorem5_scale``: the ReLU-attention scalar of Theorem 5 (reconstructed; derived exactly here).
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from itertools import product

import numpy as np
import sympy as sp

from .errors import require_int
from .transformer import Head, LinearAttention, SparseMatrix

n_sym, d_sym = sp.symbols("n d", positive=True, integer=True)


# ----------------------------------------------------------------------------------------------------------
# Layers as data

def _sparse(M) -> SparseMatrix:
    rows, cols = len(M), len(M[0])
    S = SparseMatrix((rows, cols))
    for r in range(rows):
        for c in range(cols):
            v = M[r][c]
            S.add(r, c, Fraction(int(v.p), int(v.q)) if isinstance(v, sp.Rational) else Fraction(v))
    return S


def pq_layer(P, Q, n: int, role: str = "Attn_{P,Q}") -> LinearAttention:
    """z_j <- z_j + (1/n) sum_{i<=n} P z_i <z_i, Q z_j> (eq. (2)): Q_head = Q, K_head = I, V = P, scale 1/n."""
    require_int("--context", n, 1)
    D = len(P)
    eye = SparseMatrix((D, D))
    for i in range(D):
        eye.add(i, i, 1)
    return LinearAttention(role=role, build=lambda: [Head(Q=_sparse(Q), K=eye, V=_sparse(P))],
                           scale=Fraction(1, n), keys="context", structure={"paper": "ahn2023"})


def sparse8(A, u=None):
    """(8): P = [[0, 0], [u^T, 1]] (u = 0 in Ahn et al.; Gatmiry et al.'s looped u), Q = -[[A, 0], [0, 0]]."""
    d = len(A)
    P = [[Fraction(0)] * (d + 1) for _ in range(d + 1)]
    P[d][d] = Fraction(1)
    if u is not None:
        P[d][:d] = [Fraction(v) for v in u]
    Q = [[-Fraction(A[r][c]) if r < d and c < d else Fraction(0) for c in range(d + 1)] for r in range(d + 1)]
    return P, Q


def prompt_tokens(X, y, xq):
    """Z_0 as rows: (x_i, y_i) for i <= n, then (x_q, 0)."""
    return [list(x) + [v] for x, v in zip(X, y)] + [list(xq) + [0 * xq[0]]]


def pgd_tokens(X, y, xq, As, transpose: bool = True, u=None):
    """Lemma 1 under (8): context (x_i, y_i - <w_L, x_i>), query (x_q, -<w_L, x_q>), w_0 = 0,
    w_{l+1} = w_l - A_l^T grad R(w_l - u), R(w) = (1/2n) sum (<w, x_i> - y_i)^2 (u = 0: Lemma 1; ``transpose``
    False gives the summary's A_l, which differs for non-symmetric A_l)."""
    n, d = len(X), len(X[0])
    zero = 0 * X[0][0]
    w = [zero] * d
    shift = [zero] * d if u is None else list(u)
    for A in As:
        res = [sum((a - s) * b for a, s, b in zip(w, shift, x)) - v for x, v in zip(X, y)]
        grad = [sum(res[i] * X[i][c] for i in range(n)) / n for c in range(d)]
        M = [[A[c][r] for c in range(d)] for r in range(d)] if transpose else A
        w = [w[r] - sum(M[r][c] * grad[c] for c in range(d)) for r in range(d)]
    ctx = [list(x) + [v - sum(a * b for a, b in zip(w, x))] for x, v in zip(X, y)]
    return ctx + [list(xq) + [-sum(a * b for a, b in zip(w, xq))]]


# ----------------------------------------------------------------------------------------------------------
# Theorem 1 and its general-prior form (spec 2.2)

def theorem1_block(Sigma: sp.Matrix, n) -> sp.Matrix:
    """Theorem 1: Q_0's top-left block = -(((n+1)/n) Sigma + (tr Sigma / n) I)^{-1}, P_0 = [[0,0],[0,1]]."""
    d = Sigma.shape[0]
    return -(((n + 1) / sp.sympify(n)) * Sigma + (Sigma.trace() / sp.sympify(n)) * sp.eye(d)).inv()


def theorem1_eigen_block(lambdas, U: sp.Matrix, n) -> sp.Matrix:
    """Theorem 1 as printed: -U diag(1 / (((n+1)/n) lambda_i + (1/n) sum_k lambda_k)) U^T."""
    n = sp.sympify(n)
    tr = sum(lambdas)
    return -U * sp.diag(*[1 / ((n + 1) / n * lam + tr / n) for lam in lambdas]) * U.T


def B_matrix(Sigma: sp.Matrix, Omega: sp.Matrix, n) -> sp.Matrix:
    """B = E[S_hat Omega S_hat] = ((n+1)/n) Sigma Omega Sigma + (tr(Omega Sigma)/n) Sigma (x ~ N(0, Sigma))."""
    n = sp.sympify(n)
    return (n + 1) / n * Sigma * Omega * Sigma + (Omega * Sigma).trace() / n * Sigma


def gamma_loss(Gamma: sp.Matrix, Sigma: sp.Matrix, Omega: sp.Matrix, n) -> sp.Expr:
    """L(Gamma) = E[(x_q^T Gamma S_hat w* - x_q^T w*)^2] = tr(Gamma B Gamma^T Sigma) - 2 tr(Gamma Sigma Omega Sigma)
    + tr(Omega Sigma) for the prediction x_q^T Gamma S_hat w*, w* ~ N(0, Omega)."""
    B = B_matrix(Sigma, Omega, n)
    return (Gamma * B * Gamma.T * Sigma).trace() - 2 * (Gamma * Sigma * Omega * Sigma).trace() + (Omega * Sigma).trace()


def optimal_gamma(Sigma: sp.Matrix, Omega: sp.Matrix, n) -> sp.Matrix:
    """Gamma* = Omega Sigma B^{-1}: the zero of grad L = 2 Sigma Gamma B - 2 Sigma Omega Sigma (spec 2.2)."""
    return sp.simplify(Omega * Sigma * B_matrix(Sigma, Omega, n).inv())


def cayley_rotation(skew_entries) -> sp.Matrix:
    """An exactly rational orthogonal matrix (I - S)(I + S)^{-1} from the strict upper triangle of a skew S."""
    k = len(skew_entries)
    d = int(round((1 + (1 + 8 * k) ** 0.5) / 2))
    S = sp.zeros(d, d)
    it = iter(skew_entries)
    for i in range(d):
        for j in range(i + 1, d):
            v = sp.Rational(next(it))
            S[i, j], S[j, i] = v, -v
    return (sp.eye(d) - S) * (sp.eye(d) + S).inv()


# ----------------------------------------------------------------------------------------------------------
# The exact population loss of one full (P, Q) layer (proof of Theorem 1; spec A-3)

_GH = ((-1, sp.Rational(1, 6)), (0, sp.Rational(2, 3)), (1, sp.Rational(1, 6)))  # nodes sqrt(3)*(-1, 0, 1)


def g_moments(Sigma, Omega, n, exact: bool = True):
    """(E[G (x) G], E[w_j G], E[w w^T]) for G = (1/n) sum_i z_i z_i^T, z = (x, <w, x>), x ~ N(0, Sigma),
    w ~ N(0, Omega).  Given w, z ~ N(0, C_w) with C_w = [[Sigma, Sigma w], [w^T Sigma, w^T Sigma w]], so
    E[G_ab G_ce | w] = C_ab C_ce + (C_ac C_be + C_ae C_bc)/n (Isserlis); the average over w is an exact product
    Gauss-Hermite rule (3 nodes per coordinate integrate every polynomial of degree <= 5 exactly).
    ``exact``: SymPy matrices in, object arrays out; else float64 arrays."""
    if exact:
        Sigma, Omega = sp.Matrix(Sigma), sp.Matrix(Omega)
        Lc = Omega.cholesky(hermitian=False)
        root3, dtype, n = sp.sqrt(3), object, sp.sympify(n)
    else:
        Sigma, Omega = np.asarray(Sigma, float), np.asarray(Omega, float)
        Lc = np.linalg.cholesky(Omega)
        root3, dtype, n = 3 ** 0.5, float, float(n)
    d = Sigma.shape[0]
    D = d + 1
    EGG = np.zeros((D,) * 4, dtype=dtype)          # object zeros are Python ints: exact with SymPy
    EwG = np.zeros((d, D, D), dtype=dtype)
    Eww = np.zeros((d, d), dtype=dtype)
    Sig = np.array(Sigma.tolist(), dtype=object) if exact else Sigma
    L = np.array(Lc.tolist(), dtype=object) if exact else Lc
    for nodes in product(_GH, repeat=d):
        u = np.array([k * root3 for k, _ in nodes], dtype=dtype)
        wt = sp.Mul(*[v for _, v in nodes])
        wt = wt if exact else float(wt)
        w = L.dot(u)
        Sw = Sig.dot(w)
        C = np.empty((D, D), dtype=dtype)
        C[:d, :d] = Sig
        C[:d, d] = Sw
        C[d, :d] = Sw
        C[d, d] = w.dot(Sw)
        EGG += wt * (np.einsum("ab,ce->abce", C, C)
                     + (np.einsum("ac,be->abce", C, C) + np.einsum("ae,bc->abce", C, C)) / n)
        EwG += wt * np.einsum("j,ab->jab", w, C)
        Eww += wt * np.outer(w, w)
    if exact:
        simp = np.vectorize(lambda e: sp.simplify(sp.expand(e)), otypes=[object])
        EGG, EwG, Eww = simp(EGG), simp(EwG), simp(Eww)
    return EGG, EwG, Eww


def full_loss(P, Q, Sigma, moments) -> object:
    """f(P, Q) = E[(b^T G A x_q + w^T x_q)^2] = sum_jk Sigma_jk E[v_j v_k], v = A^T G b + w, with b the last row of
    P and A = Q[:, :d] (one layer; the query's y-entry is 0 so only these enter)."""
    EGG, EwG, Eww = moments
    P, Q = np.asarray(P), np.asarray(Q)
    Sigma = np.asarray(Sigma, dtype=P.dtype if P.dtype == object else float)
    d = Q.shape[0] - 1
    b, A = P[d, :], Q[:, :d]
    Evv = (np.einsum("aj,b,ck,e,abce->jk", A, b, A, b, EGG)
           + np.einsum("aj,b,kab->jk", A, b, EwG) + np.einsum("ck,e,jce->jk", A, b, EwG) + Eww)
    return np.sum(Sigma * Evv)


def relaxation_gradient(X, j: int, moments):
    """grad_X E[(<G, X> + w_j)^2] / 2 = E[G <G, X>] + E[w_j G]: the convex quadratic f_j of the proof of Thm 1."""
    EGG, EwG, _ = moments
    return np.einsum("abce,ce->ab", EGG, np.asarray(X)) + EwG[j]


# ----------------------------------------------------------------------------------------------------------
# Exact Wishart moments (spec 2.3, A-6)

def _pairings(m: int) -> np.ndarray:
    """All perfect matchings of range(m) as partner arrays (rows), (m-1)!! of them."""
    P = np.full((1, m), -1, dtype=np.int8)
    R = np.arange(m, dtype=np.int8)[None, :]
    while R.shape[1]:
        first = R[:, 0]
        parts_P, parts_R = [], []
        rows = np.arange(P.shape[0])
        for j in range(1, R.shape[1]):
            Pj = P.copy()
            Pj[rows, first] = R[:, j]
            Pj[rows, R[:, j]] = first
            parts_P.append(Pj)
            parts_R.append(np.delete(R, [0, j], axis=1))
        P, R = np.concatenate(parts_P), np.concatenate(parts_R)
    return P


def _cycles(sigma: np.ndarray) -> np.ndarray:
    """Number of cycles of each row permutation (label propagation with pointer doubling)."""
    m = sigma.shape[1]
    label = np.broadcast_to(np.arange(m), sigma.shape).copy()
    s = sigma.astype(np.int64)
    for _ in range(int(np.ceil(np.log2(max(m, 2)))) + 1):
        label = np.minimum(label, np.take_along_axis(label, s, axis=1))
        s = np.take_along_axis(s, s, axis=1)
    return (label == np.arange(m)).sum(axis=1)


@lru_cache(maxsize=None)
def wishart_trace_moment_wick(k: int) -> sp.Expr:
    """E tr((X^T X)^k), X n x d with i.i.d. N(0, 1) entries, by Wick's theorem over the 2k entries
    X_{i_m j_m} X_{i_m j_{m+1}}: a pairing pi contributes n^{cyc(alpha_i pi)/2} d^{cyc(alpha_j pi)/2}
    ((2k-1)!! pairings: the independent check of ``wishart_trace_moment``; k = 8 takes ~20 s)."""
    require_int("k", k, 0, 9)
    if k == 0:
        return d_sym
    m = 2 * k
    pi = _pairings(m).astype(np.int64)
    e = np.arange(m)
    alpha_i = e ^ 1                                          # (0 1)(2 3)...: entries sharing i_m
    alpha_j = np.where(e % 2 == 1, (e + 1) % m, (e - 1) % m)  # (1 2)(3 4)...(2k-1 0): entries sharing j_{m+1}
    ci = _cycles(alpha_i[pi]) // 2
    cj = _cycles(alpha_j[pi]) // 2
    counts = np.bincount(ci * (m + 1) + cj)
    poly = sp.Integer(0)
    for key in np.nonzero(counts)[0]:
        poly += int(counts[key]) * n_sym ** int(key // (m + 1)) * d_sym ** int(key % (m + 1))
    return sp.expand(poly)


@lru_cache(maxsize=None)
def _multi_trace(parts: tuple) -> sp.Expr:
    """E prod_i tr(W^{parts_i}), W = X^T X, by Stein's identity E[X_ij h] = E[dh/dX_ij] applied to
    tr(W^k) = sum_ij X_ij (X W^{k-1})_ij:  E[tr W^k G] = (n + k - 1) E[tr W^{k-1} G]
    + sum_{a=0}^{k-2} E[tr W^{a+1} tr W^{k-2-a} G] + sum_{tr W^m in G} 2m E[tr W^{k+m-1} G / tr W^m]."""
    parts = tuple(sorted((p for p in parts if p), reverse=True))
    if not parts:
        return sp.Integer(1)
    k, rest = parts[0], parts[1:]
    out = (n_sym + k - 1) * _multi_trace((k - 1,) + rest) if k > 1 else n_sym * d_sym * _multi_trace(rest)
    for a in range(k - 1):
        inner = (a + 1, k - 2 - a)
        factor = d_sym if inner[1] == 0 else 1
        out += factor * _multi_trace(tuple(v for v in inner if v) + rest)
    for i, m in enumerate(rest):
        out += 2 * m * _multi_trace((k + m - 1,) + rest[:i] + rest[i + 1:])
    return sp.expand(out)


def wishart_trace_moment(k: int) -> sp.Expr:
    """E tr((X^T X)^k) for X n x d with i.i.d. N(0, 1) entries, as a polynomial in (n, d) (spec 2.3, A-6);
    exact, by the Stein recursion ``_multi_trace`` (tr W^0 = d)."""
    require_int("k", k, 0, 20)
    return d_sym if k == 0 else _multi_trace((k,))


def shat_moments(n: int, d: int, kmax: int) -> list[sp.Rational]:
    """m_k = E tr(S_hat^k)/d for k = 0..kmax, S_hat = W/n, W ~ Wishart_d(n, I) (exact rationals)."""
    return [sp.Rational(wishart_trace_moment(k).subs({n_sym: n, d_sym: d})) / (sp.Integer(n) ** k * d)
            for k in range(kmax + 1)]


# ----------------------------------------------------------------------------------------------------------
# Theorem 3's critical point inside S (spec 2.3)

def s_loss_poly(coeffs, m) -> sp.Expr:
    """f = d E[p(lambda)^2] / d = sum_jk p_j p_k m_{j+k}, p(lambda) = sum_k coeffs[k] lambda^k (per dimension)."""
    return sum(coeffs[j] * coeffs[k] * m[j + k] for j in range(len(coeffs)) for k in range(len(coeffs)))


def s_optimum(n: int, d: int, L: int) -> dict:
    """min over A_l = a_l Sigma^{-1} of f = d E prod_l (1 - a_l lambda)^2: the Hankel system
    sum_{k=1..L} m_{j+k} p_k = -m_j (j = 1..L), p_0 = 1; a_l = 1/roots of p (exact CRootOf), min f rational."""
    require_int("--steps", L, 1, 4)
    m = shat_moments(n, d, 2 * L)
    H = sp.Matrix(L, L, lambda i, j: m[i + j + 2])
    rhs = sp.Matrix(L, 1, lambda i, _: -m[i + 1])
    p = [sp.Integer(1)] + list(H.LUsolve(rhs))
    lam = sp.Symbol("lambda")
    poly = sp.Poly(sum(c * lam**k for k, c in enumerate(p)), lam)
    roots = poly.real_roots()
    steps = sorted((1 / r for r in roots), key=lambda e: float(e))
    fmin = d * sp.Rational(s_loss_poly(p, m))
    return {"p": p, "poly": poly, "steps": steps, "min_loss": fmin, "moments": m, "n_real_roots": len(roots)}


def s_loss_gradient(a, n: int, d: int, dps: int = 50):
    """d f / d a_i at A_l = a_l Sigma^{-1}: -2 d E[lambda (1 - a_i lambda) prod_{l != i} (1 - a_l lambda)^2]
    (mpmath at ``dps`` digits); by rotation invariance the full-matrix gradient is (1/d) (df/da_i) Sigma (Thm 3 proof)."""
    import mpmath

    with mpmath.workdps(dps):
        a = [mpmath.mpf(sp.N(v, dps + 10)) if isinstance(v, sp.Basic) else mpmath.mpf(v) for v in a]
        m = [mpmath.mpf(sp.N(v, dps + 10)) for v in shat_moments(n, d, 2 * len(a))]
        out = []
        for i in range(len(a)):
            roots = [a[i]] + [a[l] for l in range(len(a)) if l != i for _ in (0, 1)]
            coeffs = [mpmath.mpf(1)]                 # prod over roots of (1 - a lambda), ascending powers
            for r in roots:
                coeffs = [(coeffs[j] if j < len(coeffs) else 0) - (r * coeffs[j - 1] if j else 0)
                          for j in range(len(coeffs) + 1)]
            out.append(-2 * d * mpmath.fsum(c * m[k + 1] for k, c in enumerate(coeffs)))  # E[lambda poly]
        return out


def theorem5_scale(n, d) -> sp.Expr:
    """Theorem 5 (reconstructed from garbled text): A = -(2n / ((n-1) + 2(d+2))) I with P's last row e_{d+1}."""
    n, d = sp.sympify(n), sp.sympify(d)
    return 2 * n / ((n - 1) + 2 * (d + 2))


def theorem5_scale_derived(n, d) -> sp.Expr:
    """Ours: c* = E[y_q yhat_1] / E[yhat_1^2] for yhat_1 = (1/n) sum y_i relu(x_i^T x_q), x, w* ~ N(0, I):
    E[y_q yhat_1] = E[t relu(t)] = d/2 (t = x^T x_q); E[yhat_1^2] = E||x||^4/(2n) + ((n-1)/n) ||E[x relu(x^T x_q)]||^2
    = d(d+2)/(2n) + (n-1) d/(4n)."""
    n, d = sp.sympify(n), sp.sympify(d)
    return sp.simplify((d / 2) / (d * (d + 2) / (2 * n) + (n - 1) * d / (4 * n)))
