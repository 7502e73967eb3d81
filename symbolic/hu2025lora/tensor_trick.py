"""Tensor-trick objects of Hu et al. (ICLR 2025), Sec. 2 and App. C-D: vec, Kronecker, C_j, Lemma 2.1,
the Jacobians of Lemma C.1, the permutation T(m, n) of Lemma D.2 and the products of C.5.

Every function works on numpy arrays of floats and on object arrays (SymPy symbols or mpmath numbers).
Functions named ``*_displayed`` / ``*_as_written`` are the paper's displays taken literally; the row-major
versions are the project's (Def. 2.1 fixes row-major vec).
"""
from __future__ import annotations

import numpy as np
import sympy as sp


class NonConforming(ValueError):
    """A displayed product whose factors do not conform (e.g. (L x L)(r x d))."""

    def __init__(self, where: str, shapes):
        self.where, self.shapes = where, [tuple(int(v) for v in s) for s in shapes]
        super().__init__(f"{where}: non-conforming shapes {self.shapes}")


def matmul(where: str, *mats):
    """Left-to-right product of the displayed factors; raises ``NonConforming`` naming the display."""
    out = mats[0]
    for m in mats[1:]:
        a, b = np.shape(out), np.shape(m)
        if len(a) != 2 or len(b) != 2 or a[1] != b[0]:
            raise NonConforming(where, [np.shape(x) for x in mats])
        out = out @ m
    return out


def vec(X):
    """Def. 2.1: row-major vectorisation, vec(X)[(i-1)n + j] = X[i, j]."""
    return np.asarray(X).reshape(-1)


def vec_col(X):
    """Column-major vectorisation (the reading under which the displays of Lemma C.1 and D.2 are written)."""
    return np.asarray(X).T.reshape(-1)


def mat(x, m: int, n: int):
    """Def. 2.2: mat = vec^{-1} (row-major)."""
    return np.asarray(x).reshape(m, n)


def kron(A, B):
    """Def. 2.3: (A (x) B)[(ia-1)Lb + ib, (ja-1)db + jb] = A[ia, ja] B[ib, jb] (= numpy.kron)."""
    return np.kron(np.asarray(A), np.asarray(B))


def C_block(C1, C2, j: int):
    """Def. 2.4: the j-th L x d^2 sub-block of C = C1 (x) C2, i.e. C1[j, :] (x) C2 (j 0-based)."""
    C1 = np.asarray(C1)
    return np.kron(C1[j:j + 1, :], np.asarray(C2))


def face_split(A, B):
    """Row-wise Kronecker (face-splitting) product: row l is A[l, :] (x) B[l, :]; L x k1 k2."""
    A, B = np.asarray(A), np.asarray(B)
    return (A[:, :, None] * B[:, None, :]).reshape(A.shape[0], A.shape[1] * B.shape[1])


def column_kron_as_written(A, B):
    """C.5 (p. 25) as written: A (/) B := [A[:,1] (x) B[:,1] | ... | A[:,k1] (x) B[:,k1]] for A in R^{L x k1},
    B in R^{L x k2}; it needs k1 = k2 and is L^2 x k1 (the paper says L x k1 k2)."""
    A, B = np.asarray(A), np.asarray(B)
    if A.shape[1] != B.shape[1]:
        raise NonConforming("C.5 column-wise Kronecker A[:,t] (x) B[:,t], t <= k1", [A.shape, B.shape])
    return np.stack([np.kron(A[:, t], B[:, t]) for t in range(A.shape[1])], axis=1)


def J_B_displayed(B, d: int):
    """Lemma C.1 display (p. 23): J_B = blockdiag(B, ..., B) (d blocks) = I_d (x) B (d^2 x rd)."""
    return np.kron(np.eye(d, dtype=np.asarray(B).dtype), np.asarray(B))


def J_A_displayed(A, d: int):
    """Lemma C.1 display: J_A = [diag_d(A[k, i])]_{i in [d], k in [r]} (block row i, block column k)."""
    A = np.asarray(A)
    r = A.shape[0]
    J = np.zeros((d * d, r * d), dtype=A.dtype)
    for i in range(d):
        for k in range(r):
            for a in range(d):
                J[i * d + a, k * d + a] = A[k, i]
    return J


def J_B_rowmajor(B, d: int):
    """Project (row-major, Lemma 2.1): vec(BA) = (B (x) I_d) vec(A), so J_B = B (x) I_d."""
    B = np.asarray(B)
    return np.kron(B, np.eye(d, dtype=B.dtype))


def J_A_rowmajor(A, d: int):
    """Project (row-major, Lemma 2.1): vec(BA) = (I_d (x) A^T) vec(B), so J_A = I_d (x) A^T."""
    A = np.asarray(A)
    return np.kron(np.eye(d, dtype=A.dtype), A.T)


def T_matrix(m: int, n: int, dtype=float):
    """Lemma D.2 (p. 30) as stated: for i = (p-1)n + k, T(m,n)[i, j] = 1 iff j = (k-1)m + p."""
    T = np.zeros((m * n, m * n), dtype=dtype)
    for p in range(1, m + 1):
        for k in range(1, n + 1):
            T[(p - 1) * n + k - 1, (k - 1) * m + p - 1] = 1
    return T


# ----------------------------------------------------------------------------------------------------------
# exact (SymPy) identities of Sec. 2 and C.5; each returns the residual matrix (zero when the identity holds)


def _sym(name: str, m: int, n: int):
    return np.array(sp.Matrix(m, n, lambda i, j: sp.Symbol(f"{name}{i}_{j}", real=True)).tolist(), dtype=object)


def lemma2_1_residual(La: int, da: int, Lb: int, db: int, order: str = "row") -> sp.Matrix:
    """Lemma 2.1: vec(A X B^T) - (A (x) B) vec(X) with symbolic A, X, B; ``order`` 'row' (Def. 2.1) or 'col'."""
    A, X, B = _sym("a", La, da), _sym("x", da, db), _sym("b", Lb, db)
    v = vec if order == "row" else vec_col
    lhs = v(A @ X @ B.T)
    rhs = kron(A, B) @ v(X)
    return sp.Matrix([sp.expand(x) for x in lhs - rhs])


def cj_residual(L: int, d: int) -> sp.Matrix:
    """Def. 2.4 / 3.2: C_j vec(W) - (C1 W C2^T)[j, :]^T for every j (symbolic, row-major)."""
    C1, C2, W = _sym("c", L, d), _sym("k", L, d), _sym("w", d, d)
    S = C1 @ W @ C2.T
    res = [sp.expand(x) for j in range(L) for x in C_block(C1, C2, j) @ vec(W) - S[j, :]]
    return sp.Matrix(res)


def face_splitting_residual(L: int, k1: int, k2: int) -> sp.Matrix:
    """C.5's identity (A (/) B)(C (/) D)^T = (A C^T) (.) (B D^T) for the row-wise product (symbolic)."""
    A, C = _sym("a", L, k1), _sym("c", L, k1)
    B, D = _sym("b", L, k2), _sym("e", L, k2)
    lhs = face_split(A, B) @ face_split(C, D).T
    rhs = (A @ C.T) * (B @ D.T)
    return sp.Matrix(L, L, [sp.expand(x) for x in (lhs - rhs).reshape(-1)])


def hockey_stick_residual(g, d) -> sp.Expr:
    """Feature-map rank: sum_{t<=g} C(t+d-1, d-1) - C(g+d, d) (zero for all integers g, d >= 0)."""
    t = sp.Symbol("t", integer=True, nonnegative=True)
    return sp.simplify(sp.summation(sp.binomial(t + d - 1, d - 1), (t, 0, g)) - sp.binomial(g + d, d))
