"""The project's corrected formulas (labelled 'ours' in the audit), each next to the display it replaces.

Row-major vec throughout (Def. 2.1).  q(W) = C3 c^T as in Lemma 3.2, whose j-th COLUMN is
sum_i c_{j,i} C3[:, i]; the rows of p(W) are the vectors p(W)_j, so p(W) = dL/dS (S = C1 W C2^T, beta = 1).
"""
from __future__ import annotations

from .objects import row_softmax


def p1_ours(f, q):
    """Replaces C.5's p1 = f (.) q: with q_j the j-th column of q, p1(W) = f (.) q^T."""
    return f * q.T


def r_ours(f, q):
    """Replaces C.6's r: r(W)_j = f_j^T q[:, j] = rowsum(f (.) q^T)."""
    return (f * q.T).sum(axis=1)


def p2_ours(f, r):
    """Replaces C.6's p2 = f diag(r): p2(W) = diag(r) f (row j is r_j f_j^T)."""
    return r[:, None] * f


def grad_B_ours(C1, p, AQ, C2):
    """Replaces (3.6)'s dL/dB_Q = vec(C1^T p A_Q C2) (non-conforming): dL/dB_Q = C1^T p(W) C2 A_Q^T."""
    return C1.T @ p @ C2 @ AQ.T


def T_rowmajor(m: int, n: int, dtype=float):
    """Replaces Lemma D.2 under row-major vec: vec(W^T) = T(m, n)^T vec(W) = T(n, m) vec(W)."""
    from .tensor_trick import T_matrix

    return T_matrix(m, n, dtype).T


def grads_K_ours(BK, AK, CK1, pK, CK2):
    """Replaces Lemma D.4's K part: with G := C_K1^T p_K C_K2 = dL/d(W_K^T) (beta = 1),
    dL/dA_K = B_K^T G^T and dL/dB_K = G^T A_K^T."""
    G = CK1.T @ pK @ CK2
    return BK.T @ G.T, G.T @ AK.T


def grad_WV_ours(XV, F, c):
    """V path (not analysed in the paper): dL/dW_V = X_V^T F^T c, c = F X_V W_V - Y."""
    return XV.T @ F.T @ c


def eq2_1_ours(X, W, WV, Y, beta=1):
    """Replaces (2.1): L0 = sum_j sum_i (<D_jj^{-1} exp(beta A_j vec W), X WV[:, i]> - Y_ji)^2 (no 1/2, beta kept)."""
    R = row_softmax(beta * (X @ W @ X.T)) @ X @ WV - Y
    return (R * R).sum()


def eq3_2_rhs_ours(C1, C2, Wbar, BQ, AQ):
    """Replaces (3.2)'s right side: C1 (W-bar + B_Q A_Q) C2^T (the paper drops W-bar)."""
    return C1 @ (Wbar + BQ @ AQ) @ C2.T


def dS_exact(f, c, C3):
    """dL/dS for L = 1/2 ||softmax(S) C3 - Y||^2 (softmax backward): f (.) (G - rowsum(f (.) G)), G = c C3^T."""
    G = c @ C3.T
    return f * (G - (f * G).sum(axis=1, keepdims=True))


def grads_partial_exact(C1, C2, C3, Y, Wbar, B, A, beta=1):
    """Exact (3.3) gradients by the chain rule, generic over float/object arrays: loss, dW, dA, dB, dS, f, c."""
    W = Wbar + B @ A
    f = row_softmax(beta * (C1 @ W @ C2.T))
    c = f @ C3 - Y
    dS = dS_exact(f, c, C3)
    dW = beta * (C1.T @ dS @ C2)
    return dict(loss=(c * c).sum() / 2, dW=dW, dA=B.T @ dW, dB=dW @ A.T, dS=dS, f=f, c=c)
