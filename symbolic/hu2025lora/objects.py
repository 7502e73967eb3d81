"""The paper's objects as it states them (Hu et al., ICLR 2025), generic over float and object arrays.

Losses (1.2)/(2.1)/(3.3)/(A.2), the decomposition of Defs. 3.2-3.6, Lemmas 3.1-3.2, the matrix forms of
C.5/C.6 and App. F.  Where a display needs a row/column convention the function takes ``reading``:
``q_reading`` 'col' (q(W)_j is the j-th column of q, as in the proof of Lemma 3.2 in C.2) or 'row';
``layout`` 'rows' (the vectors p(W)_j are the rows of the matrix p(W)) or 'cols' (Lemma 3.7 says columns).
"""
from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from .tensor_trick import C_block, kron, matmul, vec

Q_READINGS = ("col", "row")
LAYOUTS = ("rows", "cols")


def _exp_scalar(x):
    if isinstance(x, sp.Basic):
        return sp.exp(x)
    return mpmath.exp(x)


def expm(X):
    """Entrywise exp (numpy for floats, SymPy/mpmath for object arrays)."""
    X = np.asarray(X)
    if X.dtype == object:
        return np.vectorize(_exp_scalar, otypes=[object])(X) if X.size else X
    return np.exp(X)


def row_softmax(S):
    """D^{-1} exp(S) with D = diag(exp(S) 1_L) (row max subtracted for float arrays)."""
    S = np.asarray(S)
    if S.dtype != object:
        S = S - S.max(axis=1, keepdims=True)
    U = expm(S)
    return U / U.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------------------------------------- losses


def lora_update(Wstar, B, A, s):
    """Def. 1.1: W = W* + (alpha/r) B A, with s = alpha/r."""
    return Wstar + s * (B @ A)


def loss_def31(XQ, XK, XV, WQs, WKs, WVs, BQ, AQ, BV, AV, Y, s=1, beta=1):
    """Def. 3.1 / (3.1) for one data point: 1/2 ||D^{-1} exp(XQ WQ WK*^T XK^T beta) XV WV - Y||_F^2."""
    WQ, WV = lora_update(WQs, BQ, AQ, s), lora_update(WVs, BV, AV, s)
    F = row_softmax(beta * (XQ @ WQ @ WKs.T @ XK.T))
    R = F @ XV @ WV - Y
    return (R * R).sum() / 2


def constants_S2(XQ, XK, XV, WQs, WKs, WVs, s=1):
    """(S2)/(3.2)-(3.3): C1 = (alpha/r) XQ, C2 = XK WK*, C3 = XV WV*, W-bar = (r/alpha) WQ*."""
    return s * XQ, XK @ WKs, XV @ WVs, WQs / s


def eq3_2_lhs(XQ, XK, WQs, WKs, BQ, AQ, s=1):
    """(3.2) left side: XQ (alpha/r) ((r/alpha) WQ* + BQ AQ) (WK*)^T XK^T."""
    return XQ * s @ (WQs / s + BQ @ AQ) @ WKs.T @ XK.T


def eq3_2_rhs(C1, C2, BQ, AQ):
    """(3.2) right side as written (p. 5): C1 BQ AQ C2^T."""
    return C1 @ BQ @ AQ @ C2.T


def loss_33(C1, C2, C3, Y, Wbar, B, A, beta=1):
    """(3.3) with beta kept: 1/2 ||D^{-1} exp(beta C1 (W-bar + B A) C2^T) C3 - Y||_F^2."""
    F = row_softmax(beta * (C1 @ (Wbar + B @ A) @ C2.T))
    R = F @ C3 - Y
    return (R * R).sum() / 2


def loss_L0(X, W, WV, Y, beta=1):
    """Sec. 2 (p. 4): L0 := ||D^{-1} exp(X W X^T beta) X WV - Y||_F^2, W := WQ WK^T (no factor 1/2)."""
    R = row_softmax(beta * (X @ W @ X.T)) @ X @ WV - Y
    return (R * R).sum()


def eq2_1(X, W, WV, Y):
    """(2.1) as written: sum_j sum_i 1/2 (<D_jj^{-1} exp(A_j vec W), X WV[:, i]> - Y_ji)^2, A := X (x) X,
    D_jj := <exp(A_j vec W), 1_L> (no beta in the display)."""
    L, d = Y.shape
    w, XWV = vec(W), X @ WV
    total = 0
    for j in range(L):
        u = expm(C_block(X, X, j) @ w)
        Djj = u.sum()
        for i in range(d):
            t = (u / Djj) @ XWV[:, i] - Y[j, i]
            total = total + t * t / 2
    return total


def vectorised_score(X, W):
    """Sec. 2 (p. 4): (D (x) I_L)^{-1} exp(A vec W) in R^{L^2}, A := X (x) X."""
    L = X.shape[0]
    e = expm(kron(X, X) @ vec(W))
    D = np.array([e[j * L:(j + 1) * L].sum() for j in range(L)], dtype=e.dtype)
    return e / np.repeat(D, L)


def loss_defA1(XQ, XK, XV, WQs, WKs, WVs, BQ, AQ, BK, AK, BV, AV, Y, s=1, beta=1):
    """Def. A.1 for one data point: 1/2 ||D^{-1} exp(XQ WQ WK^T XK^T beta) XV WV - Y||_F^2, all three adapted."""
    WQ, WK, WV = lora_update(WQs, BQ, AQ, s), lora_update(WKs, BK, AK, s), lora_update(WVs, BV, AV, s)
    R = row_softmax(beta * (XQ @ WQ @ WK.T @ XK.T)) @ XV @ WV - Y
    return (R * R).sum() / 2


def constants_A1(XQ, XK, XV, WQs, WKs, WVs, BQ, AQ, BK, AK, s=1):
    """(A.1) as written: C_K1 = XQ(WQ* + (alpha/r) BQ AQ), C_K2 = XK, C_Q1 = XQ, C_Q2 = XK(WK* + BK AK),
    C3 = XV WV* (alpha/r appears in C_K1 only; the paper sets alpha/r = 1)."""
    return dict(CK1=XQ @ (WQs + s * BQ @ AQ), CK2=XK, CQ1=XQ, CQ2=XK @ (WKs + BK @ AK), C3=XV @ WVs)


# ------------------------------------------------------------------------------ Defs. 3.2-3.5 (tensor trick)


def u_j(C1, C2, w, j):
    """Def. 3.2: u(W)_j := exp(C_j vec W) in R^L."""
    return expm(C_block(C1, C2, j) @ w)


def alpha_norm_j(C1, C2, w, j):
    """Def. 3.3: alpha(W)_j := <exp(C_j vec W), 1_L> (called alpha_norm here)."""
    return u_j(C1, C2, w, j).sum()


def f_j(C1, C2, w, j):
    """Def. 3.4: f(W)_j := alpha(W)_j^{-1} u(W)_j."""
    u = u_j(C1, C2, w, j)
    return u / u.sum()


def f_matrix(C1, C2, W):
    """Def. 3.4: the matrix f(W) whose j-th row is f(W)_j^T (built from the C_j; small sizes only)."""
    w = vec(W)
    return np.stack([f_j(C1, C2, w, j) for j in range(np.shape(C1)[0])])


def c_matrix(f, C3, Y):
    """Def. 3.5: c(W)_{j,i} := <f(W)_j, C3[:, i]> - Y_{j,i}, i.e. c = f C3 - Y."""
    L, d = Y.shape
    return np.array([[f[j] @ C3[:, i] - Y[j, i] for i in range(d)] for j in range(L)], dtype=np.asarray(f).dtype)


def loss_34(c):
    """(3.4): L(W) = 1/2 sum_j sum_i c(W)_{j,i}^2."""
    return (c * c).sum() / 2


# ---------------------------------------------------------------------------------- Lemmas 3.1-3.2, Def 3.6


def grad_vecW_35(C1, C2, C3, f, c):
    """(3.5), Lemma 3.1: dL/dvec(W) = sum_j sum_i c_{j,i} C_j^T (diag(f_j) - f_j f_j^T) C3[:, i]."""
    L, d = c.shape
    out = 0
    for j in range(L):
        Cj, fj = C_block(C1, C2, j), f[j]
        J = np.diag(fj) - np.outer(fj, fj)
        for i in range(d):
            out = out + c[j, i] * (Cj.T @ (J @ C3[:, i]))
    return out


def q_lemma32(C3, c):
    """Lemma 3.2: q(W) := C3 (c(W))^T in R^{L x L}."""
    return C3 @ c.T


def q_appF(c, C3):
    """App. F, Step 3 (p. 39): 'recall that q(W) := c(W) (C3)^T'."""
    return c @ C3.T


def q_j(q, j, q_reading):
    """q(W)_j under a reading: 'col' (the proof of Lemma 3.2 turns sum_i c_{j,i} C3[:, i] into q(W)_j) or 'row'."""
    return q[:, j] if q_reading == "col" else q[j, :]


def p_j_as_written(f, q, j):
    """Lemma 3.2 display: p(W)_j := (diag(f_j) - f_j f_j^T) q(W) (no index j on q): an L x L matrix, not in R^L."""
    fj = f[j]
    return (np.diag(fj) - np.outer(fj, fj)) @ q


def _q_rows(q, q_reading):
    """The matrix whose j-th row is q(W)_j under the reading."""
    return q.T if q_reading == "col" else q


def _layout(M, layout):
    return M if layout == "rows" else M.T


def p_matrix(f, q, q_reading="col", layout="rows"):
    """Lemma 3.2: p(W)_j := (diag(f_j) - f_j f_j^T) q(W)_j (computed as f_j (.) q_j - f_j (f_j^T q_j)), stacked
    as the rows or the columns of p(W)."""
    Qr = _q_rows(q, q_reading)
    return _layout(f * Qr - f * (f * Qr).sum(1)[:, None], layout)


def p1_matrix(f, q, q_reading="col", layout="rows"):
    """Def. 3.6: p1(W)_j := diag(f(W)_j) q(W)_j."""
    return _layout(f * _q_rows(q, q_reading), layout)


def p2_matrix(f, q, q_reading="col", layout="rows"):
    """Def. 3.6: p2(W)_j := f(W)_j f(W)_j^T q(W)_j."""
    Qr = _q_rows(q, q_reading)
    return _layout(f * (f * Qr).sum(1)[:, None], layout)


def p1_C5(f, q):
    """C.5 (p. 25): p1(W) = f(W) (.) q(W)."""
    return f * q


def r_C6(f, q, q_reading="col"):
    """C.6 (p. 26): r(W)_j := f(W)_j^T q(W)_j."""
    return (f * _q_rows(q, q_reading)).sum(1)


def p2_C6(f, r):
    """C.6 (p. 26): p2(W) = f(W) diag(r(W))."""
    return f * r[None, :]


def grad_A_36(BQ, C1, p, C2):
    """(3.6), Lemma 3.2: dL/dA_Q = vec(B_Q^T (C1)^T p(W) C2) (r x d before vec)."""
    return matmul("(3.6) B_Q^T C1^T p(W) C2", BQ.T, C1.T, p, C2)


def grad_B_36(C1, p, AQ, C2):
    """(3.6), Lemma 3.2: dL/dB_Q = vec((C1)^T p(W) A_Q C2) -- evaluated as written."""
    return matmul("(3.6) C1^T p(W) A_Q C2", C1.T, p, AQ, C2)


def grad_C1(J, g_vecW):
    """Lemma C.1: dL/dA_Q = J_B^T dL/dvec(W) and dL/dB_Q = J_A^T dL/dvec(W) (with (3.5) for dL/dvec(W))."""
    return J.T @ g_vecW


# ------------------------------------------------------------------------------------------ App. D (full)


def grad_D3_K(T, J, g_vecWKt):
    """Lemma D.3 (p. 31) K part: dL/dA_K = sum_j sum_i (T(d^2,d^2) J_{B_K})^T c_K ... = (T J)^T dL/dvec(W_K^T);
    raises NonConforming when T and J do not conform (as written, T is d^4 x d^4 and J is d^2 x rd)."""
    TJ = matmul("Lemma D.3: T(d^2, d^2) J_{B_K}", T, J)
    return TJ.T @ g_vecWKt


def grad_D3_K_proof(T, J, g_vecWKt):
    """Lemma D.3 proof (p. 31): dL/dA_K = T(d^2, d^2) J_{B_K} dL/dvec(W_K^T) (no transposes)."""
    return vec(matmul("Lemma D.3 proof: T J_{B_K} dL/dvec(W_K^T)", T, J, np.asarray(g_vecWKt).reshape(-1, 1)))


def grad_D4_K_A(T, BK, CK1, pK, CK2):
    """Lemma D.4 (p. 32): dL/dA_K = T(d^2, d^2)^T vec(B_K^T (C_K1)^T p_K(W_K^T) C_K2)."""
    inner = vec(matmul("Lemma D.4: B_K^T C_K1^T p_K C_K2", BK.T, CK1.T, pK, CK2))
    return vec(matmul("Lemma D.4: T(d^2, d^2)^T vec(.)", T.T, inner.reshape(-1, 1)))


def grad_D4_K_B(T, CK1, pK, AK, CK2):
    """Lemma D.4 (p. 32): dL/dB_K = T(d^2, d^2)^T vec((C_K1)^T p_K(W_K^T) A_K C_K2)."""
    inner = vec(matmul("Lemma D.4: C_K1^T p_K A_K C_K2", CK1.T, pK, AK, CK2))
    return vec(matmul("Lemma D.4: T(d^2, d^2)^T vec(.)", T.T, inner.reshape(-1, 1)))


