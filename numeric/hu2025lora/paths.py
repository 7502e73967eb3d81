"""Independent references for three corrected formulas of ours (so that each is compared with a computation that
does not share its algebra):

* ``softmax_paths``: the two parts of dL/dS through f = D^{-1} exp(S) (S = beta C1 W C2^T, L = 1/2 ||f C3 - Y||_F^2):
  p1 = dL/dS with the normaliser D held fixed (the numerator path), p2 = -dL/dS with exp(S) held fixed in the
  numerator (the denominator path), so p1 - p2 = dL/dS.  Def. 3.6's p1(W)_j := diag(f_j) q(W)_j and
  p2(W)_j := f_j f_j^T q(W)_j are exactly these two parts (q(W)_j, the j-th column of q = C3 c^T, is dL/df_j).
  Float64: torch autograd on the two detached graphs.  At ``dps`` digits: central finite differences of the loss
  along each path at dps + 20 working digits (no chain rule at all).
* ``eq2_1_corrected``: (2.1) evaluated literally through the tensor trick (A = X (x) X, its blocks A_j, row-major
  vec W, D_jj = <exp(beta A_j vec W), 1_L>, the double sum of squared inner products), without the 1/2 and with
  beta; compared with L0 := ||D^{-1} exp(X W X^T beta) X W_V - Y||_F^2 computed in matrix form (torch in float64,
  mpmath at ``dps`` digits).

Each check returns the ``numeric.hu2025lora.checks.result`` dict of the formula checks.
"""
from __future__ import annotations

import mpmath
import numpy as np
import torch

from symbolic.hu2025lora import corrected as ours
from symbolic.hu2025lora import objects as P
from symbolic.hu2025lora.tensor_trick import C_block, vec

from .checks import PRIMARY, _partial, _raw, rel, result

_F64 = torch.float64


def _t(x):
    return torch.as_tensor(np.asarray(x, dtype=float), dtype=_F64)


# ------------------------------------------------------------------------------------------- softmax paths


def _torch_paths(a: dict, beta: float) -> dict:
    C1, C2, C3, Y, Wbar, B, A = (_t(a[k]) for k in ("C1", "C2", "C3", "Y", "Wbar", "B", "A"))
    S0 = beta * (C1 @ (Wbar + B @ A) @ C2.T)
    out = {}
    for path in ("numerator", "denominator"):
        S = S0.clone().requires_grad_()
        E = torch.exp(S - S.max(dim=1, keepdim=True).values.detach())
        D = E.sum(dim=1, keepdim=True)
        f = E / D.detach() if path == "numerator" else E.detach() / D
        c = f @ C3 - Y
        (0.5 * (c * c).sum()).backward()
        out[path] = S.grad.numpy()
    return {"p1": out["numerator"], "p2": -out["denominator"]}


def _row_term(e, D, C3, Yj):
    r = (e / D) @ C3 - Yj
    return (r * r).sum() / 2


def _mp_paths(a: dict, beta, dps: int) -> dict:
    """Central differences of each row's share of the loss (row j of f depends on row j of S only)."""
    with mpmath.workdps(dps + 20):
        C1, C2, C3, Y, Wbar, B, A = (a[k] for k in ("C1", "C2", "C3", "Y", "Wbar", "B", "A"))
        S = beta * (C1 @ (Wbar + B @ A) @ C2.T)
        L = S.shape[0]
        h = mpmath.mpf(10) ** (-(dps // 2 + 5))
        p1 = np.empty((L, L), dtype=object)
        p2 = np.empty((L, L), dtype=object)
        for j in range(L):
            e = np.array([mpmath.exp(s) for s in S[j]], dtype=object)
            D = mpmath.fsum(e)
            for k in range(L):
                ep, em = e.copy(), e.copy()
                ep[k], em[k] = mpmath.exp(S[j, k] + h), mpmath.exp(S[j, k] - h)
                # numerator path: D held at its value at S
                p1[j, k] = (_row_term(ep, D, C3, Y[j]) - _row_term(em, D, C3, Y[j])) / (2 * h)
                # denominator path: exp(S) held in the numerator, D moves
                Dp, Dm = D + (ep[k] - e[k]), D + (em[k] - e[k])
                p2[j, k] = -(_row_term(e, Dp, C3, Y[j]) - _row_term(e, Dm, C3, Y[j])) / (2 * h)
    return {"p1": p1, "p2": p2}


def softmax_paths(a: dict, beta, dps: int | None = None) -> dict:
    """p1 (numerator path) and p2 (minus the denominator path) of dL/dS: torch autograd (float64) or central finite
    differences at ``dps`` + 20 digits."""
    return _torch_paths(a, float(beta)) if dps is None else _mp_paths(a, beta, dps)


def C5_p1_vs_paths(inst: dict, dps: int | None = None) -> dict:
    """Ours: C.5's corrected matrix form p1(W) = f (.) q^T (f, c of Defs. 3.4-3.5, q of Lemma 3.2) against the
    numerator path of dL/dS (autograd / finite differences); also recorded: the paper's f (.) q against it."""
    a, beta, ex = _partial(inst, dps)
    f, q = ex["f"], P.q_lemma32(a["C3"], ex["c"])
    ref = softmax_paths(a, beta, dps)
    return result({PRIMARY: rel(ours.p1_ours(f, q), ref["p1"])},
                  paper_form_f_had_q_vs_numerator_path=rel(P.p1_C5(f, q), ref["p1"]))


def C6_p2_vs_paths(inst: dict, dps: int | None = None) -> dict:
    """Ours: C.6's corrected p2(W) = diag(r) f with r_j = f_j^T q[:, j] against minus the denominator path of dL/dS
    (autograd / finite differences); also recorded: the paper's f diag(r) against it."""
    a, beta, ex = _partial(inst, dps)
    f, q = ex["f"], P.q_lemma32(a["C3"], ex["c"])
    ref = softmax_paths(a, beta, dps)
    return result({PRIMARY: rel(ours.p2_ours(f, ours.r_ours(f, q)), ref["p2"])},
                  paper_form_f_diag_r_vs_denominator_path=rel(P.p2_C6(f, P.r_C6(f, q)), ref["p2"]))


# ------------------------------------------------------------------------------------------------- (2.1)


def eq2_1_corrected(X, W, WV, Y, beta=1):
    """(2.1) corrected and evaluated literally: sum_j sum_i (<D_jj^{-1} exp(beta A_j vec W), X W_V[:, i]> - Y_ji)^2
    with A := X (x) X, A_j its j-th L x d^2 block (Def. 2.4), D_jj := <exp(beta A_j vec W), 1_L> (no 1/2)."""
    L, d = Y.shape
    w, XWV = vec(W), X @ WV
    total = 0
    for j in range(L):
        u = P.expm(beta * (C_block(X, X, j) @ w))
        Djj = u.sum()
        for i in range(d):
            t = (u / Djj) @ XWV[:, i] - Y[j, i]
            total = total + t * t
    return total


def _L0_matrix(X, W, WV, Y, beta, dps):
    """L0 of Sec. 2 (p. 4) in matrix form: torch float64, or mpmath (objects.loss_L0) at ``dps`` digits."""
    if dps is None:
        Xt, Wt, WVt, Yt = (_t(m) for m in (X, W, WV, Y))
        R = torch.softmax(beta * (Xt @ Wt @ Xt.T), dim=1) @ Xt @ WVt - Yt
        return float((R * R).sum())
    with mpmath.workdps(dps + 10):
        return P.loss_L0(X, W, WV, Y, beta)


def eq2_1_vs_L0(inst: dict, dps: int | None = None) -> dict:
    """Ours: the corrected (2.1) (tensor-trick form, no 1/2, beta kept) against L0 computed in matrix form."""
    a, s, beta = _raw(inst, dps)
    W = a["WQs"] @ a["WKs"].T
    L0 = _L0_matrix(a["XQ"], W, a["WVs"], a["Y"], beta, dps)
    lit = eq2_1_corrected(a["XQ"], W, a["WVs"], a["Y"], beta)
    return result({"corrected (2.1) vs L0": abs(lit - L0) / abs(L0)}, primary="corrected (2.1) vs L0",
                  beta=beta, L0=L0)
