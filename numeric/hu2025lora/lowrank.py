"""The chain of low-rank approximations (Lemmas 3.3-3.7, Theorem 3.1, App. D), literal and corrected.

``variant='paper'``: the constructions exactly as the proofs state them -- L3.5 U2 = [C3, -C3],
V2 = [U1 V1^T C3, Y]; L3.6 U3 = U1 (/) U2, V3 = V1 (/) V2 ((/) read as the row-wise product, the only reading
that conforms, L1); L3.7 r~_j = U1[j,:] V1^T V2 U2[j,:]^T, U4 = U1, V4 = diag(r~) V1; C.7 G~(A) = B^T C1^T
(U3 V3^T - U4 V4^T) C2 evaluated right to left.  ``variant='ours'``: the project's corrected chain
(p1 = f (.) q^T, so U3 = U1 (/) V2, V3 = V1 (/) U2; r~_j = U1[j,:] V1^T U2 V2[j,:]^T; U4 = diag(r~) U1, V4 = V1).
All functions accept numpy float arrays, numpy object arrays of mpf (high precision) and torch tensors.
U3 = U1 (/) U2 (L x k1 k2) is never materialised: C1^T U3 and V3^T C2 are contracted directly.
"""
from __future__ import annotations

import math

import mpmath
import numpy as np

from symbolic.hu2025lora import bounds as bnd

from .poly import coefficients, feature_map, poly_sum_abs

U64 = 2.0 ** -53


def _torch(x) -> bool:
    return hasattr(x, "new_empty")


def _cat(xs):
    if _torch(xs[0]):
        import torch

        return torch.cat(xs, dim=1)
    return np.concatenate(xs, axis=1)


def _swap12(X):
    return X.permute(0, 2, 1) if _torch(X) else X.transpose(0, 2, 1)


def maxabs(X):
    """||X||_max as a Python float (float/torch) or an mpf (object arrays)."""
    if _torch(X):
        return float(X.abs().max()) if X.numel() else 0.0
    X = np.asarray(X)
    if X.dtype == object:
        return max((abs(v) for v in X.reshape(-1)), default=mpmath.mpf(0))
    return float(np.abs(X).max()) if X.size else 0.0


def _rownorm_max(X):
    if _torch(X):
        return float((X * X).sum(1).sqrt().max())
    X = np.asarray(X)
    if X.dtype == object:
        return max(mpmath.sqrt(mpmath.fsum(v * v for v in row)) for row in X)
    return float(np.sqrt((X * X).sum(1)).max())


def fs_left(C, U, V):
    """C^T (U (/) V) for the row-wise product (/): [a, m k2 + n] = sum_l C[l,a] U[l,m] V[l,n]; O(L d k1 k2)."""
    L, d = C.shape
    k1, k2 = U.shape[1], V.shape[1]
    X = (C[:, :, None] * V[:, None, :]).reshape(L, d * k2)
    return _swap12((X.T @ U).reshape(d, k2, k1)).reshape(d, k1 * k2)


def fs_right(V, U2, C):
    """(V (/) U2)^T C: [m k2 + n, b] = sum_l V[l,m] U2[l,n] C[l,b]."""
    L, d = C.shape
    k1, k2 = V.shape[1], U2.shape[1]
    Y = (U2[:, :, None] * C[:, None, :]).reshape(L, k2 * d)
    return (V.T @ Y).reshape(k1 * k2, d)


def approx_f(Qs, Ks, method: str, g: int, dps: int | None = None) -> dict:
    """L3.3 made explicit (spec Sec. 2.2): f~ = U1 V1^T with U1 = diag(U V^T 1)^{-1} U, V1 = V, P_g from
    ``method`` on [-R, R], R = max||Qs_i|| max||Ks_j||; eta = 2 delta/(1 - delta), where delta is the
    closed-form polynomial bound plus the rounding allowance gamma_n e^R sum_t |a_t| R^t (n = k + 2g + 2)."""
    R = float(_rownorm_max(Qs) * _rownorm_max(Ks)) * (1 + 1e-12) + 1e-300
    a = coefficients(method, R, g, 50 if dps is None else dps + 10)
    if dps is None:
        a = [float(x) for x in a]
    U, V = feature_map(Qs, Ks, a, g)
    Dt = U @ V.sum(0)
    U1 = U / Dt[:, None]
    k = U.shape[1]
    with mpmath.workdps(50 if dps is None else dps + 10):
        u = mpmath.mpf(U64) if dps is None else mpmath.mpf(10) ** (-(dps + 10))
        n = k + 2 * g + 2
        gam = n * u / (1 - n * u)
        dpoly = bnd.delta_bound(method, R, g, 50 if dps is None else dps + 10)
        a_mp = coefficients(method, R, g, 50 if dps is None else dps + 10)
        dfp = gam * mpmath.exp(R) * poly_sum_abs(a_mp, mpmath.mpf(R))
        delta = dpoly + dfp
        eta = 2 * delta / (1 - delta) if delta < 1 else mpmath.inf
    conv = float if dps is None else (lambda x: x)
    return dict(U1=U1, V1=V, R=R, k=k, g=g, method=method, delta_poly=conv(dpoly), delta_fp=conv(dfp),
                delta=conv(delta), eta=conv(eta), min_Dt=float(Dt.min()) if dps is None else min(Dt))


def chain_partial(m: dict, beta=1.0, method: str = "cheb_trunc", g: int = 8, variant: str = "ours",
                  k2: str = "2d", dps: int | None = None) -> dict:
    """The chain for (3.3) from arrays m = {C1, C2, C3, Y, Wbar, B, A}; returns the factors and G~(A), G~(B)
    (G~(B) is None for the paper's variant: 'vec(C1^T p~ A_Q C2), similarly' does not conform)."""
    C1, C2, C3, Y, Wbar, B, A = (m[k] for k in ("C1", "C2", "C3", "Y", "Wbar", "B", "A"))
    W = Wbar + B @ A
    fa = approx_f(beta * (C1 @ W), C2, method, g, dps)
    U1, V1 = fa["U1"], fa["V1"]
    F3 = U1 @ (V1.T @ C3)                       # f~ C3
    ct = F3 - Y                                 # L3.4 / C.3: c~ = U1 V1^T C3 - Y
    if k2 == "2d":
        U2, V2 = _cat([C3, -C3]), _cat([F3, Y])   # L3.5 / C.4
    else:
        U2, V2 = C3, ct                         # L27: k2 = d
    if variant == "paper":
        C1tU3, V3tC2 = fs_left(C1, U1, U2), fs_right(V1, V2, C2)        # L3.6: U3 = U1 (/) U2, V3 = V1 (/) V2
        rt = ((U1 @ (V1.T @ V2)) * U2).sum(1)                            # (C.1)
        C1tU4, V4tC2 = C1.T @ U1, V1.T @ (rt[:, None] * C2)              # L3.7: U4 = U1, V4 = diag(r~) V1
    elif variant == "ours":
        C1tU3, V3tC2 = fs_left(C1, U1, V2), fs_right(V1, U2, C2)        # p1~ = f~ (.) q~^T
        rt = ((U1 @ (V1.T @ U2)) * V2).sum(1)                            # r~_j = <f~_j, q~[:, j]>
        C1tU4, V4tC2 = (rt[:, None] * C1).T @ U1, V1.T @ C2              # p2~ = diag(r~) f~
    else:
        raise ValueError("variant must be 'paper' or 'ours'")
    P = C1tU3 @ V3tC2 - C1tU4 @ V4tC2            # C1^T p~ C2
    GA = beta * (B.T @ P)                         # C.7 right to left
    GB = beta * (P @ A.T) if variant == "ours" else None
    return dict(fa=fa, U1=U1, V1=V1, ct=ct, U2=U2, V2=V2, rt=rt, GA=GA, GB=GB, P=P, variant=variant, k2=k2)


def chain_partial_streamed(m: dict, beta=1.0, method: str = "cheb_trunc", g: int = 8, chunk: int = 4096) -> dict:
    """The corrected chain with k2 = d (U2 = C3, V2 = c~), streamed over row chunks: two passes, O(chunk k)
    memory, the same arithmetic as ``chain_partial(..., 'ours', 'd')`` (every contraction is a sum over rows of
    row-local products).  Float/torch inputs only."""
    from .poly import feature_map, monomials

    C1, C2, C3, Y, Wbar, B, A = (m[k] for k in ("C1", "C2", "C3", "Y", "Wbar", "B", "A"))
    L, d = C1.shape
    Qs = beta * (C1 @ (Wbar + B @ A))
    R = float(_rownorm_max(Qs) * _rownorm_max(C2)) * (1 + 1e-12) + 1e-300
    a = [float(x) for x in coefficients(method, R, g, 50)]
    acc = {}
    for j0 in range(0, L, chunk):                         # pass 1: the V side (sums over rows)
        j1 = min(L, j0 + chunk)
        V = monomials(C2[j0:j1], d, g)
        parts = {"Vt1": V.sum(0), "VtC3": V.T @ C3[j0:j1], "VtC2": V.T @ C2[j0:j1],
                 "V3tC2": fs_right(V, C3[j0:j1], C2[j0:j1])}
        for k, v in parts.items():
            acc[k] = v if k not in acc else acc[k] + v
    cts, rts = [], []
    for j0 in range(0, L, chunk):                         # pass 2: the U side
        j1 = min(L, j0 + chunk)
        U, _ = feature_map(Qs[j0:j1], Qs[j0:j0 + 1], a, g)
        U1 = U / (U @ acc["Vt1"])[:, None]
        F3 = U1 @ acc["VtC3"]
        ct = F3 - Y[j0:j1]
        rt = (F3 * ct).sum(1)
        parts = {"C1tU3": fs_left(C1[j0:j1], U1, ct), "C1tU4": (rt[:, None] * C1[j0:j1]).T @ U1}
        for k, v in parts.items():
            acc[k] = v if k not in acc else acc[k] + v
        cts.append(ct)
        rts.append(rt)
    P = acc["C1tU3"] @ acc["V3tC2"] - acc["C1tU4"] @ acc["VtC2"]
    return dict(GA=beta * (B.T @ P), GB=beta * (P @ A.T), P=P, ct=_cat0(cts), rt=_cat0(rts), R=R)


def _cat0(xs):
    if _torch(xs[0]):
        import torch

        return torch.cat(xs)
    return np.concatenate(xs)


def materialise(ch: dict) -> dict:
    """Small L only: f~, q~ and the approximations p1~, r~, p2~ the chain stands for (L x L)."""
    from symbolic.hu2025lora.tensor_trick import face_split

    U1, V1, U2, V2, rt = ch["U1"], ch["V1"], ch["U2"], ch["V2"], ch["rt"]
    if ch["variant"] == "paper":
        P1 = face_split(U1, U2) @ face_split(V1, V2).T
        P2 = U1 @ (rt[:, None] * V1).T
    else:
        P1 = face_split(U1, V2) @ face_split(V1, U2).T
        P2 = (rt[:, None] * U1) @ V1.T
    return dict(f=U1 @ V1.T, q=U2 @ V2.T, p1=P1, r=rt, p2=P2, c=ch["ct"])


def step_errors(m: dict, ch: dict, beta=1.0, blk: int | None = None, sample_blocks: int | None = None,
                seed: int = 0) -> dict:
    """Measured errors of the chain's steps against the exact quantities (p1 = f (.) q^T, r = rowsum(p1),
    p2 = diag(r) f: the objects for which p1 - p2 = dL/dS), by row blocks (O(blk L) memory), together with
    the exact dL/dW accumulated over ALL rows in the same pass.  ``sample_blocks``: compute the step errors
    (which need f~ = U1 V1^T, O(L k) per row) on that many random row blocks only; the gradient errors
    are always exact over all rows."""
    C1, C2, C3, Y, Wbar, B, A = (m[k] for k in ("C1", "C2", "C3", "Y", "Wbar", "B", "A"))
    L = C1.shape[0]
    obj = not _torch(C1) and np.asarray(C1).dtype == object
    blk = blk or max(1, min(L, 2 ** 21 // max(L, 1)))
    starts = list(range(0, L, blk))
    chosen = set(starts) if not sample_blocks or sample_blocks >= len(starts) else set(
        np.random.default_rng(seed).choice(starts, sample_blocks, replace=False).tolist())
    U1, V1, U2, V2, rt, ct = ch["U1"], ch["V1"], ch["U2"], ch["V2"], ch["rt"], ch["ct"]
    Q = beta * (C1 @ (Wbar + B @ A))
    zero = mpmath.mpf(0) if obj else 0.0
    e = dict(f_rel=zero, f_row=zero, f=zero, c=zero, q=zero, p1=zero, p1_row=zero, r=zero, p2=zero, p2_row=zero)
    gW = None
    from symbolic.hu2025lora.objects import row_softmax

    for j0 in starts:
        j1 = min(L, j0 + blk)
        F = row_softmax(Q[j0:j1] @ C2.T) if not _torch(C1) else __import__("torch").softmax(Q[j0:j1] @ C2.T, 1)
        c = F @ C3 - Y[j0:j1]
        qT = c @ C3.T                               # rows j of q^T, q = C3 c^T
        p1 = F * qT
        r = p1.sum(1)
        p2 = r[:, None] * F
        g = C1[j0:j1].T @ ((p1 - p2) @ C2)
        gW = g if gW is None else gW + g
        if j0 not in chosen:
            continue
        Ft = U1[j0:j1] @ V1.T
        qTt = V2[j0:j1] @ U2.T                      # rows j of q~^T
        if ch["variant"] == "ours":
            p1t, p2t = Ft * qTt, rt[j0:j1, None] * Ft
        else:                                       # the paper's p1~ = f~ (.) q~ and p2~ = f~ diag(r~)
            p1t, p2t = Ft * (U2[j0:j1] @ V2.T), Ft * rt[None, :]
        D = abs(Ft - F)
        e["f_rel"] = max(e["f_rel"], maxabs(D / F))
        e["f_row"] = max(e["f_row"], maxabs(D.sum(1)))
        e["f"] = max(e["f"], maxabs(D))
        e["c"] = max(e["c"], maxabs(ct[j0:j1] - c))
        e["q"] = max(e["q"], maxabs(qTt - qT))
        e["p1"] = max(e["p1"], maxabs(p1t - p1))
        e["p1_row"] = max(e["p1_row"], maxabs(abs(p1t - p1).sum(1)))
        e["r"] = max(e["r"], maxabs(rt[j0:j1] - r))
        e["p2"] = max(e["p2"], maxabs(p2t - p2))
        e["p2_row"] = max(e["p2_row"], maxabs(abs(p2t - p2).sum(1)))
    gW = beta * gW
    e["GA"] = maxabs(ch["GA"] - B.T @ gW)
    if ch["GB"] is not None:
        e["GB"] = maxabs(ch["GB"] - gW @ A.T)
    e["exact"] = dict(gW=gW, gA=B.T @ gW, gB=gW @ A.T)
    e["rows_checked"] = sum(min(L, j0 + blk) - j0 for j0 in chosen)
    return e


def bound_values(m: dict, ch: dict, beta=1.0, dps: int | None = None) -> dict:
    """Sec. 2.4 bounds at this instance (SymPy expressions of symbolic.hu2025lora.bounds, evaluated)."""
    C1, C2, C3, Y, B, A = (m[k] for k in ("C1", "C2", "C3", "Y", "B", "A"))
    L, d = C1.shape
    fa = ch["fa"]
    vals = dict(eta=fa["eta"], M3=maxabs(C3), MY=maxabs(Y), d=d, L=L, N1=maxabs(C1 @ B), M2=maxabs(C2),
                M1=maxabs(C1), N2=maxabs(C2 @ A.T), beta=beta, MB=maxabs(B), MA=maxabs(A),
                u=U64 if dps is None else mpmath.mpf(10) ** (-(dps + 10)), n=L + fa["k"] + 4 * d,
                MX=0, s=1, MBV=0, MAV=0)
    if not math.isfinite(float(vals["eta"])):
        return {k: math.inf for k in bnd.CHAIN} | {"values": vals}
    out = bnd.chain(vals, dps)
    out["values"] = vals
    return out


# ------------------------------------------------------------------------------------------------ full case


def sandwich(X, Y, U1, V1, C3, ct, rt):
    """X^T dS~ Y for dS~ = f~ (.) (c~ C3^T) - diag(r~) f~, f~ = U1 V1^T, without forming L x L objects."""
    return fs_left(X, U1, ct) @ fs_right(V1, C3, Y) - ((rt[:, None] * X).T @ U1) @ (V1.T @ Y)


def chain_full(m: dict, s=1.0, beta=1.0, method: str = "cheb_trunc", g: int = 8, dps: int | None = None) -> dict:
    """Corrected low-rank gradients of Def. A.1 (all six adapters) with one shared f~ (f_Q = f_K, L27);
    also f~ built from the K-side factors (C_K1 W_K^T, C_K2) to report whether the two per-mu chains coincide."""
    W = {mu: m[f"W{mu}s"] + s * (m["B" + mu] @ m["A" + mu]) for mu in "QKV"}
    XQW, XKW = m["XQ"] @ W["Q"], m["XK"] @ W["K"]
    fa = approx_f(beta * XQW, XKW, method, g, dps)
    U1, V1 = fa["U1"], fa["V1"]
    C3 = m["XV"] @ W["V"]
    ct = U1 @ (V1.T @ C3) - m["Y"]
    rt = ((U1 @ (V1.T @ C3)) * ct).sum(1)
    dW = {"Q": beta * sandwich(m["XQ"], XKW, U1, V1, C3, ct, rt),
          "K": beta * sandwich(XQW, m["XK"], U1, V1, C3, ct, rt).T,
          "V": m["XV"].T @ (V1 @ (U1.T @ ct))}
    out = dict(fa=fa, U1=U1, V1=V1, ct=ct, rt=rt, C3=C3, W=W)
    for mu in "QKV":
        out["dW" + mu] = dW[mu]
        out["dA" + mu] = s * (m["B" + mu].T @ dW[mu])
        out["dB" + mu] = s * (dW[mu] @ m["A" + mu].T)
    return out


def full_bounds(m: dict, ch: dict, s=1.0, beta=1.0, dps: int | None = None) -> dict:
    """Per-adapter bounds for chain_full: the sandwich bound s beta L ||X||_max ||Y||_max (E_p1 + E_p2)
    (+ rounding allowance) for Q and K; step 10 for V."""
    L, d = m["XQ"].shape
    W, fa = ch["W"], ch["fa"]
    XQW, XKW = m["XQ"] @ W["Q"], m["XK"] @ W["K"]
    base = dict(eta=fa["eta"], M3=maxabs(ch["C3"]), MY=maxabs(m["Y"]), d=d, L=L, beta=beta, M1=0, N2=0,
                u=U64 if dps is None else mpmath.mpf(10) ** (-(dps + 10)), n=L + fa["k"] + 4 * d)
    sides = {"AQ": (m["XQ"] @ m["BQ"], XKW), "BQ": (m["XQ"], XKW @ m["AQ"].T),
             "AK": (m["XK"] @ m["BK"], XQW), "BK": (m["XK"], XQW @ m["AK"].T)}
    mag = {"XQ": maxabs(m["XQ"]), "XK": maxabs(m["XK"]), "XQW": d * maxabs(m["XQ"]) * maxabs(W["Q"]),
           "XKW": d * maxabs(m["XK"]) * maxabs(W["K"])}
    fp_sides = {"AQ": (d * mag["XQ"] * maxabs(m["BQ"]), mag["XKW"]), "BQ": (mag["XQ"], d * mag["XKW"] * maxabs(m["AQ"])),
                "AK": (d * mag["XK"] * maxabs(m["BK"]), mag["XQW"]), "BK": (mag["XK"], d * mag["XQW"] * maxabs(m["AK"]))}
    out = {}
    for k, (X, Yf) in sides.items():
        v = dict(base, N1=maxabs(X), M2=maxabs(Yf))
        fx, fy = fp_sides[k]
        vfp = dict(base, M1=fx / d, MB=1, M2=fy)
        out["d" + k] = s * (bnd.evaluate("E_GA", v, dps) + 2 * bnd.evaluate("FP_GA", vfp, dps))
    v = dict(base, MX=1, s=s, MBV=0, MAV=0)
    efc = bnd.evaluate("E_fc", v, dps)
    n_fp = 4 * bnd.evaluate("FP_GA", dict(base, M1=mpmath.mpf(1) / d if dps else 1 / d, MB=1, M2=1), dps) / max(L, 1)
    out["dAV"] = s * L * maxabs(m["XV"] @ m["BV"]) * (efc + n_fp)
    out["dBV"] = s * L * d * maxabs(m["XV"]) * maxabs(m["AV"]) * (efc + n_fp)
    return out
