"""The hardness side, illustrated where it can be (spec Sec. 3): the Theorem 4.1 / App. E reduction,
epsilon-ranks of the attention matrix by SVD, the degree and rank the polynomial method needs as Gamma
crosses sqrt(log L), and the rank exponent ln C(g* + d, d) / ln L."""
from __future__ import annotations

import math

import mpmath
import numpy as np

from symbolic.hu2025lora import corrected, objects
from symbolic.hu2025lora import bounds as BD
from symbolic.hu2025lora.bounds import g_star, rank

from . import exact as EX
from .instances import arrays


def reduction_instance(L: int, r: int, d: int, Bnorm: float, lam: float | None = None, seed: int = 0) -> dict:
    """An AAttLGC(L, r) instance (Def. E.1 / Lemma E.1): A1, A2, A3 in [-B, B], E = 0, X = lam I_r
    (or X ~ N(0, 1/r) rescaled so that ||A1 X||_max <= B when lam is None)."""
    rng = np.random.default_rng(seed)
    A1, A2, A3 = (rng.uniform(-Bnorm, Bnorm, (L, r)) for _ in range(3))
    if lam is None:
        X = rng.normal(0, 1 / math.sqrt(r), (r, r))
        X *= min(1.0, Bnorm / np.abs(A1 @ X).max())
    else:
        X = lam * np.eye(r)
    return {"kind": "reduction", "L": L, "r": r, "d": d, "B": Bnorm, "lam": lam, "seed": seed,
            "A1": A1.tolist(), "A2": A2.tolist(), "A3": A3.tolist(), "X": X.tolist()}


def reduction_map(a: dict):
    """App. E (p. 37): C1 B_Q = A1 (C1 = [A1, 0], B_Q = [I_r; 0]), A_Q = [X, 0], C2 = [A2, 0]/r,
    C3 = [A3, 0], Y = 0, W-bar = 0 (left implicit by the paper)."""
    A1, A2, A3, X = a["A1"], a["A2"], a["A3"], a["X"]
    L, r = A1.shape
    d = int(a["d"])
    zeroL, one = 0 * A1[:, :1], A1[0, 0] * 0 + 1
    pad = lambda M: np.concatenate([M] + [zeroL] * (d - r), axis=1)  # noqa: E731
    C1, C2, C3 = pad(A1), pad(A2) / r, pad(A3)
    BQ = np.concatenate([np.eye(r, dtype=A1.dtype) * one, np.zeros((d - r, r), dtype=A1.dtype) * one], axis=0)
    AQ = np.concatenate([X, np.zeros((r, d - r), dtype=A1.dtype) * one], axis=1)
    return dict(C1=C1, C2=C2, C3=C3, Y=0 * C3, Wbar=np.zeros((d, d), dtype=A1.dtype) * one, B=BQ, A=AQ)


def aattlgc_grad_generic(A1, A2, A3, E, X):
    """Def. E.1 gradient by the chain rule (float or object arrays): dL/dX = A1^T dS A2 / r."""
    r = X.shape[0]
    F = objects.row_softmax(A1 @ X @ A2.T / r)
    c = F @ A3 - E
    return dict(loss=(c * c).sum() / 2, dX=A1.T @ corrected.dS_exact(F, c, A3) @ A2 / r)


def reduction_check(inst: dict, dps: int | None = None) -> dict:
    """Theorem 4.1's reduction: the first r columns of dL/dA_Q equal dL/dX, the others vanish, the losses
    agree, and the norm bookkeeping ||C2||_max, ||C1 B_Q A_Q||_max <= Gamma = B holds."""
    a = arrays(inst, dps)
    r = int(inst["r"])
    m = reduction_map(a)
    E = 0 * a["A3"]
    if dps is None:
        lo = EX.torch_partial(m, 1.0, device="cpu")
        ref = EX.torch_aattlgc(a["A1"], a["A2"], a["A3"], E, a["X"], device="cpu")
        dA, dX, l1, l2 = lo["dA"], ref["dX"], lo["loss"], ref["loss"]
    else:
        with mpmath.workdps(dps + 10):
            lo = EX.mp_partial(m, mpmath.mpf(1), dps)
            ref = aattlgc_grad_generic(a["A1"], a["A2"], a["A3"], E, a["X"])
        dA, dX, l1, l2 = lo["dA"], ref["dX"], lo["loss"], ref["loss"]
    absmax = lambda M: max((abs(v) for v in np.asarray(M).reshape(-1)), default=0)  # noqa: E731
    diff = max(absmax(dA[:, :r] - dX), absmax(dA[:, r:]) if dA.shape[1] > r else 0, abs(l1 - l2))
    Bn = inst["B"]
    norms = {"||C2||_max": float(absmax(m["C2"])), "||C1 B_Q A_Q||_max": float(absmax(m["C1"] @ m["B"] @ m["A"])),
             "Gamma=B": Bn}
    return dict(observed=diff, bound=1e-12, details=dict(norms=norms, bookkeeping_ok=bool(
        norms["||C2||_max"] <= Bn * (1 + 1e-12) and norms["||C1 B_Q A_Q||_max"] <= Bn * (1 + 1e-12)),
        max_abs_dX=float(absmax(dX))))


def rebalanced_check(inst: dict, dps: int | None = None) -> dict:
    """The reduction instance with C1 -> C1 / sqrt(r), C2 -> sqrt(r) C2: the scores and dL/dA_Q are unchanged,
    and ||C1 W||_max, ||C2||_max <= B / sqrt(r).  With r = Theta(log L) and B = O(sqrt(log L) kappa(L)) this is
    O(kappa(L)), i.e. o(sqrt(log L)) for kappa = o(sqrt(log L)): inside the norm hypotheses of Theorem 3.1."""
    a = arrays(inst, dps)
    r = int(inst["r"])
    m = reduction_map(a)
    t = (1 / math.sqrt(r)) if dps is None else 1 / mpmath.sqrt(r)
    m["C1"], m["C2"] = m["C1"] * t, m["C2"] / t
    E = 0 * a["A3"]
    if dps is None:
        dA = EX.torch_partial(m, 1.0, device="cpu")["dA"]
        dX = EX.torch_aattlgc(a["A1"], a["A2"], a["A3"], E, a["X"], device="cpu")["dX"]
    else:
        with mpmath.workdps(dps + 10):
            dA = EX.mp_partial(m, mpmath.mpf(1), dps)["dA"]
            dX = aattlgc_grad_generic(a["A1"], a["A2"], a["A3"], E, a["X"])["dX"]
    absmax = lambda M: max((abs(v) for v in np.asarray(M).reshape(-1)), default=0)  # noqa: E731
    W = m["Wbar"] + m["B"] @ m["A"]
    n1, n2 = float(absmax(m["C1"] @ W)), float(absmax(m["C2"]))
    G31 = inst["B"] / math.sqrt(r)
    diff = max(absmax(dA[:, :r] - dX), absmax(dA[:, r:]) if dA.shape[1] > r else 0)
    return dict(observed=diff, bound=1e-12, details=dict(
        norms={"||C1 W||_max": n1, "||C2||_max": n2, "Gamma_3.1 = B/sqrt(r)": G31},
        within_thm31_norms=bool(n1 <= G31 * (1 + 1e-12) and n2 <= G31 * (1 + 1e-12)),
        max_score=float(absmax(m["C1"] @ W @ m["C2"].T))))


# ------------------------------------------------------------------------------------------- epsilon-rank


def attention_instance(L: int, d: int, Gamma: float, seed: int = 0, extremal: bool = False):
    """Q = C1 W and K = C2 with entries in [-Gamma, Gamma] (max norm exactly Gamma); ``extremal``: random signs
    +-Gamma (the choice that maximises max |S| = d Gamma^2 for aligned rows)."""
    rng = np.random.default_rng(seed)
    if extremal:
        Q, K = Gamma * rng.choice([-1.0, 1.0], (L, d)), Gamma * rng.choice([-1.0, 1.0], (L, d))
    else:
        Q, K = rng.uniform(-Gamma, Gamma, (L, d)), rng.uniform(-Gamma, Gamma, (L, d))
        Q[0, 0], K[0, 0] = Gamma, Gamma
    return Q, K


def singular_values(M: np.ndarray) -> np.ndarray:
    """Singular values (float64; torch.linalg.svdvals on the configured threads, numpy for small matrices)."""
    if M.shape[0] <= 256:
        return np.linalg.svd(M, compute_uv=False)
    import torch

    return torch.linalg.svdvals(torch.as_tensor(M, dtype=torch.float64)).numpy()


def eps_rank(sv: np.ndarray, tau: float) -> int:
    """k_F(tau) := min{k : (sum_{i > k} sigma_i^2)^{1/2} <= tau}."""
    tail = np.sqrt(np.concatenate([np.cumsum((sv ** 2)[::-1])[::-1], [0.0]]))
    return int(np.argmax(tail <= tau))


def rank_sandwich(Q, K, eps_max: float, method: str = "cheb_trunc") -> dict:
    """Lower bound k_F(L eps_max) from the SVD of exp(S - max S) vs the polynomial-method rank C(g* + d, d)
    (g* for relative error eps_max on [-R, R], R = max|S|): any rank-k M~ with ||M - M~||_max <= eps_max has
    ||M - M~||_F <= L eps_max, so k_F(L eps_max) <= C(g* + d, d)."""
    L, d = Q.shape
    S = Q @ K.T
    sv = singular_values(np.exp(S - S.max()))
    R = float(np.abs(S).max()) * (1 + 1e-12)
    gs = g_star(method, R, eps_max)
    return dict(lower=eps_rank(sv, L * eps_max), upper=rank(gs, d), g_star=gs, R=R,
                eps_rank_1e3=eps_rank(sv, 1e-3 * np.linalg.norm(sv)), eps_rank_1e6=eps_rank(sv, 1e-6 * np.linalg.norm(sv)))


def degree_vs_gamma(L: int, d: int, gammas, delta: float | None = None, method: str = "cheb_interp") -> list[dict]:
    """g* and rank C(g* + d, d) for the worst-case range R = d Gamma^2 (||C1 W||, ||C2|| <= Gamma), delta = 1/L^2
    by default ((CI) or (T) bound in closed form, so huge R stay cheap); 'useful' when the rank is below L."""
    delta = delta or L ** -2.0
    out = []
    for G in gammas:
        R = d * G * G
        gs = BD.g_star_log(method, R, math.log(delta))
        k = rank(gs, d)
        out.append(dict(Gamma=G, Gamma_over_sqrt_lnL=G / math.sqrt(math.log(L)), R=R, g_star=gs, rank=k,
                        rank_over_L=k / L))
    return out


def rank_exponent(m_values, d_rule, R_rule, delta_pow: int = 2, method: str = "cheb_trunc") -> list[dict]:
    """e(L) = ln C(g*(R, L^-p) + d, d) / ln L for L = 2^m (computed with mpmath for huge L)."""
    rows = []
    for mexp in m_values:
        lnL = mexp * math.log(2)
        d = d_rule(lnL)
        R = R_rule(lnL)
        delta = float(mpmath.exp(-delta_pow * lnL)) or 1e-300
        gs = g_star(method, R, delta, gmax=4000)
        k = mpmath.binomial(gs + d, d)
        rows.append(dict(m=mexp, d=d, R=R, g_star=gs, log_rank=float(mpmath.log(k)), e=float(mpmath.log(k) / lnL)))
    return rows
