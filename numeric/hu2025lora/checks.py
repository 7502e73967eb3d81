"""The formula checks: each paper display evaluated literally (every reading where one is needed) against
the exact quantity, in float64 (torch autograd reference) or at ``dps`` digits (mpmath chain rule checked by
finite differences).  Every check returns ``{readings, observed, bound, primary, rule, details}``:
``observed`` is the relative error under the primary reading (rule 'primary') or the smallest relative error
over all readings (rule 'all': the display fails whatever the reading); a reading whose products do not
conform is recorded as a string and counts as an infinite error.
"""
from __future__ import annotations

import math

import mpmath
import numpy as np

from symbolic.hu2025lora import corrected as ours
from symbolic.hu2025lora import objects as P
from symbolic.hu2025lora import tensor_trick as TT

from . import exact as EX
from . import lowrank as LR
from .instances import arrays, scalar

TOL = 1e-10
READINGS = [(qr, lay) for qr in P.Q_READINGS for lay in P.LAYOUTS]
PRIMARY = "q_j=col j, p_j=rows"


def rname(qr, lay):
    return f"q_j={qr} j, p_j={lay}"


def rel(lit, ex):
    """||lit - ex||_max / ||ex||_max (mpf for object arrays)."""
    lit, ex = np.asarray(lit), np.asarray(ex)
    if lit.shape != ex.shape:
        if lit.size == ex.size:
            lit = lit.reshape(ex.shape)
        else:
            raise TT.NonConforming("comparison with the exact quantity", [lit.shape, ex.shape])
    num, den = LR.maxabs(lit - ex), LR.maxabs(ex)
    return num / den if den else num


def _try(fn):
    try:
        return fn()
    except TT.NonConforming as exc:
        return f"non-conforming: {exc}"


def _num(v):
    return math.inf if isinstance(v, str) else v


def result(readings: dict, rule: str = "primary", primary: str = PRIMARY, bound=TOL, **details) -> dict:
    vals = {k: _num(v) for k, v in readings.items()}
    observed = vals[primary] if rule == "primary" else min(vals.values(), key=float)
    return dict(readings=readings, observed=observed, bound=bound, primary=primary if rule == "primary" else None,
                rule=rule, details=details)


# ------------------------------------------------------------------------------------------ exact quantities


def exact_partial(a: dict, beta, dps):
    if dps is None:
        return EX.torch_partial(a, float(beta), device="cpu")
    return EX.mp_partial(a, beta, dps)


def exact_full(a: dict, s, beta, dps):
    if dps is None:
        return EX.torch_full(a, float(s), float(beta), device="cpu")
    return EX.mp_full(a, s, beta, dps)


def _partial(inst, dps):
    a = arrays(inst, dps)
    beta = scalar(inst, "beta", dps)
    return a, beta, exact_partial(a, beta, dps)


def _defs(a):
    """f by Def. 3.4 (through the C_j), c by Def. 3.5, q by Lemma 3.2."""
    W = a["Wbar"] + a["B"] @ a["A"]
    f = P.f_matrix(a["C1"], a["C2"], W)
    c = P.c_matrix(f, a["C3"], a["Y"])
    return W, f, c, P.q_lemma32(a["C3"], c)


# ------------------------------------------------------------------------------- Sec. 3 (partial adaptation)


def lemma3_1(inst, dps=None):
    """(3.5) vs autograd dL/dvec(W) (row-major, Def. 2.1) and under a column-major reading."""
    a, beta, ex = _partial(inst, dps)
    W, f, c, q = _defs(a)
    g = P.grad_vecW_35(a["C1"], a["C2"], a["C3"], f, c)
    return result({"row-major vec": rel(g, TT.vec(ex["dW"])), "column-major vec": rel(g, TT.vec_col(ex["dW"]))},
                  primary="row-major vec", f_def34_vs_softmax=rel(f, ex["f"]))


def eq3_4(inst, dps=None):
    """(3.4): 1/2 sum c_{j,i}^2 with c from Defs. 3.2-3.5 vs the loss (3.3)."""
    a, beta, ex = _partial(inst, dps)
    W, f, c, q = _defs(a)
    lit, exl = P.loss_34(c), ex["loss"]
    return result({"(3.4)": abs(lit - exl) / abs(exl)}, primary="(3.4)")


def _lemmaC1(a, ex, JB, JA, g):
    out = {}
    for name, J, tgt in (("A_Q", JB, ex["dA"]), ("B_Q", JA, ex["dB"])):
        lit = P.grad_C1(J, g)
        out[f"{name}, row-major"] = rel(lit, TT.vec(tgt))
        out[f"{name}, column-major"] = rel(lit, TT.vec_col(tgt))
    return out


def lemmaC_1(inst, dps=None):
    """Lemma C.1: dL/dA_Q = J_B^T (3.5), dL/dB_Q = J_A^T (3.5), J_B and J_A as displayed (I (x) B, A^T (x) I)."""
    a, beta, ex = _partial(inst, dps)
    W, f, c, q = _defs(a)
    g = P.grad_vecW_35(a["C1"], a["C2"], a["C3"], f, c)
    d = W.shape[0]
    r = _lemmaC1(a, ex, TT.J_B_displayed(a["B"], d), TT.J_A_displayed(a["A"], d), g)
    worst = max(min(r["A_Q, row-major"], r["A_Q, column-major"], key=float),
                min(r["B_Q, row-major"], r["B_Q, column-major"], key=float), key=float)
    return dict(readings=r, observed=worst, bound=TOL, primary=None, rule="worst part, best reading", details={})


def lemmaC_1_ours(inst, dps=None):
    """Ours: J_B = B (x) I_d, J_A = I_d (x) A^T (row-major)."""
    a, beta, ex = _partial(inst, dps)
    W, f, c, q = _defs(a)
    g = P.grad_vecW_35(a["C1"], a["C2"], a["C3"], f, c)
    d = W.shape[0]
    r = _lemmaC1(a, ex, TT.J_B_rowmajor(a["B"], d), TT.J_A_rowmajor(a["A"], d), g)
    worst = max(r["A_Q, row-major"], r["B_Q, row-major"], key=float)
    return dict(readings=r, observed=worst, bound=TOL, primary="row-major", rule="primary", details={})


def _fq(a, ex):
    f, c = ex["f"], ex["c"]
    return f, c, P.q_lemma32(a["C3"], c)


def lemma3_2_A(inst, dps=None):
    """(3.6) dL/dA_Q = vec(B_Q^T C1^T p(W) C2) with p(W) of Lemma 3.2 under every reading."""
    a, beta, ex = _partial(inst, dps)
    f, c, q = _fq(a, ex)
    rd = {rname(qr, lay): _try(lambda: rel(P.grad_A_36(a["B"], a["C1"], P.p_matrix(f, q, qr, lay), a["C2"]),
                                           ex["dA"])) for qr, lay in READINGS}
    pj = P.p_j_as_written(f, q, 0)
    rd["as written (q without index j)"] = (f"not evaluable: p(W)_j := (diag f_j - f_j f_j^T) q(W) is {pj.shape}, "
                                           f"declared in R^L = ({pj.shape[0]},)")
    return result(rd)


def lemma3_2_B(inst, dps=None):
    """(3.6) dL/dB_Q = vec(C1^T p(W) A_Q C2) under every reading of p(W)."""
    a, beta, ex = _partial(inst, dps)
    f, c, q = _fq(a, ex)
    rd = {rname(qr, lay): _try(lambda: rel(P.grad_B_36(a["C1"], P.p_matrix(f, q, qr, lay), a["A"], a["C2"]),
                                           ex["dB"])) for qr, lay in READINGS}
    return result(rd, rule="all")


def lemma3_2_B_ours(inst, dps=None):
    """Ours: dL/dB_Q = C1^T p(W) C2 A_Q^T (p(W) with rows p(W)_j, q(W)_j the j-th column of q)."""
    a, beta, ex = _partial(inst, dps)
    f, c, q = _fq(a, ex)
    return result({PRIMARY: rel(ours.grad_B_ours(a["C1"], P.p_matrix(f, q), a["A"], a["C2"]), ex["dB"])})


def def3_6(inst, dps=None):
    """Def. 3.6: p1 - p2 (under every reading) against the exact dL/dS (beta = 1); also p = p1 - p2."""
    a, beta, ex = _partial(inst, dps)
    f, c, q = _fq(a, ex)
    rd = {rname(qr, lay): rel(P.p1_matrix(f, q, qr, lay) - P.p2_matrix(f, q, qr, lay), ex["dS"])
          for qr, lay in READINGS}
    ident = max(rel(P.p1_matrix(f, q, qr, lay) - P.p2_matrix(f, q, qr, lay), P.p_matrix(f, q, qr, lay))
                for qr, lay in READINGS)
    return result(rd, p_equals_p1_minus_p2=ident)


def C5_p1(inst, dps=None):
    """C.5's matrix form p1(W) = f(W) (.) q(W) against Def. 3.6's p1 evaluated entrywise, every reading; also
    with App. F's q := c C3^T in place of Lemma 3.2's q."""
    a, beta, ex = _partial(inst, dps)
    f, c, q = _fq(a, ex)
    lit = P.p1_C5(f, q)
    rd = {rname(qr, lay): rel(lit, P.p1_matrix(f, q, qr, lay)) for qr, lay in READINGS}
    return result(rd, with_appF_q=rel(P.p1_C5(f, P.q_appF(c, a["C3"])), P.p1_matrix(f, q)))


def C5_p1_ours(inst, dps=None):
    """Ours: p1(W) = f (.) q^T."""
    a, beta, ex = _partial(inst, dps)
    f, c, q = _fq(a, ex)
    return result({PRIMARY: rel(ours.p1_ours(f, q), P.p1_matrix(f, q))})


def C6_p2(inst, dps=None):
    """C.6's p2(W) = f(W) diag(r(W)), r(W)_j := f_j^T q_j, against Def. 3.6's p2, every reading."""
    a, beta, ex = _partial(inst, dps)
    f, c, q = _fq(a, ex)
    rd = {rname(qr, lay): rel(P.p2_C6(f, P.r_C6(f, q, qr)), P.p2_matrix(f, q, qr, lay)) for qr, lay in READINGS}
    return result(rd, rule="all")


def C6_p2_ours(inst, dps=None):
    """Ours: p2(W) = diag(r) f with r = rowsum(f (.) q^T)."""
    a, beta, ex = _partial(inst, dps)
    f, c, q = _fq(a, ex)
    return result({PRIMARY: rel(ours.p2_ours(f, ours.r_ours(f, q)), P.p2_matrix(f, q))})


def appF_q(inst, dps=None):
    """App. F Step 3 'recall that q(W) := c(W) C3^T' against Lemma 3.2's q(W) := C3 c(W)^T."""
    a, beta, ex = _partial(inst, dps)
    f, c, q = _fq(a, ex)
    return result({"App. F q vs Lemma 3.2 q": rel(P.q_appF(c, a["C3"]), q)}, primary="App. F q vs Lemma 3.2 q")


# ----------------------------------------------------------------------- the chain as the paper states it


def literal_chain(inst, dps=None, method="cheb_trunc", eta_target=1e-11):
    """The paper's chain at the degree g giving eta <= eta_target (so its bounds are tiny)."""
    a, beta, ex = _partial(inst, dps)
    for g in range(2, 60):
        ch = LR.chain_partial(a, beta, method, g, "paper", "2d", dps)
        if float(ch["fa"]["eta"]) <= eta_target:
            break
    return a, beta, ex, ch


def lemma3_6(inst, dps=None):
    """L3.6 / C.5: U3 V3^T (U3 = U1 (/) U2, V3 = V1 (/) V2) against Def. 3.6's p1 (every reading); bound E_p1."""
    a, beta, ex, ch = literal_chain(inst, dps)
    f, c, q = _fq(a, ex)
    m = LR.materialise(ch)
    b = LR.bound_values(a, ch, beta, dps)
    rd = {rname(qr, lay): LR.maxabs(m["p1"] - P.p1_matrix(f, q, qr, lay)) for qr, lay in READINGS}
    rd["(/) as written (column-wise)"] = _try(lambda: TT.column_kron_as_written(ch["U1"], ch["U2"]) and "")
    return result(rd, bound=b["E_p1"], g=ch["fa"]["g"], eta=ch["fa"]["eta"], k1=ch["fa"]["k"])


def lemma3_7(inst, dps=None):
    """L3.7 / C.6: U4 V4^T (U4 = U1, V4 = diag(r~) V1, r~ by (C.1)) against Def. 3.6's p2; bound E_p2."""
    a, beta, ex, ch = literal_chain(inst, dps)
    f, c, q = _fq(a, ex)
    m = LR.materialise(ch)
    b = LR.bound_values(a, ch, beta, dps)
    rd = {rname(qr, lay): LR.maxabs(m["p2"] - P.p2_matrix(f, q, qr, lay)) for qr, lay in READINGS}
    return result(rd, rule="all", bound=b["E_p2"], g=ch["fa"]["g"], eta=ch["fa"]["eta"])


def C4_display(inst, dps=None):
    """C.4 (p. 24): ||q~ - q||_max = ||C3 (U1 V1^T C3 - Y)^T - C3 Y^T||_max (the displayed equality)."""
    a, beta, ex, ch = literal_chain(inst, dps)
    f, c, q = _fq(a, ex)
    F3 = ch["U1"] @ (ch["V1"].T @ a["C3"])
    lhs = LR.maxabs(ch["U2"] @ ch["V2"].T - q)
    rhs = LR.maxabs(a["C3"] @ (F3 - a["Y"]).T - a["C3"] @ a["Y"].T)
    den = max(lhs, rhs)
    return result({"equality": abs(lhs - rhs) / den if den else 0 * den}, primary="equality", lhs=lhs, rhs=rhs)


def theorem3_1(inst, dps=None):
    """C.7: G~(A) = B^T C1^T (U3 V3^T - U4 V4^T) C2 from the paper's chain vs autograd dL/dA_Q; bound: the
    project's E_GA (+ rounding allowance) at the chain's eta.  G~(B) 'similarly' is recorded (non-conforming)."""
    a, beta, ex, ch = literal_chain(inst, dps)
    b = LR.bound_values(a, ch, beta, dps)
    err = LR.maxabs(ch["GA"] - ex["dA"])
    gb = _try(lambda: P.grad_B_36(a["C1"], LR.materialise(ch)["p1"], a["A"], a["C2"]))
    return result({"G~(A) max error": err}, primary="G~(A) max error", bound=b["E_GA"] + b["FP_GA"],
                  G_B=gb if isinstance(gb, str) else "conforms", g=ch["fa"]["g"], eta=ch["fa"]["eta"],
                  max_abs_gradient=LR.maxabs(ex["dA"]))


# --------------------------------------------------------------------------------- Sec. 2 and (3.2)-(3.3)


def _raw(inst, dps):
    a = arrays(inst, dps)
    return a, scalar(inst, "s", dps), scalar(inst, "beta", dps)


def eq2_1(inst, dps=None):
    """(2.1) as written against L0 (p. 4) at beta = 1, X = X^(Q), W = W_Q* W_K*^T."""
    a, s, beta = _raw(inst, dps)
    W = a["WQs"] @ a["WKs"].T
    L0 = P.loss_L0(a["XQ"], W, a["WVs"], a["Y"], 1)
    lit = P.eq2_1(a["XQ"], W, a["WVs"], a["Y"])
    return result({"(2.1) vs L0": abs(lit - L0) / abs(L0)}, primary="(2.1) vs L0", ratio_21_to_L0=lit / L0)


def eq2_1_ours(inst, dps=None):
    """Ours: (2.1) without the 1/2 and with beta (instance beta)."""
    a, s, beta = _raw(inst, dps)
    W = a["WQs"] @ a["WKs"].T
    L0 = P.loss_L0(a["XQ"], W, a["WVs"], a["Y"], beta)
    return result({"ours vs L0": abs(ours.eq2_1_ours(a["XQ"], W, a["WVs"], a["Y"], beta) - L0) / abs(L0)},
                  primary="ours vs L0")


def vectorised_score(inst, dps=None):
    """Sec. 2: (D (x) I_L)^{-1} exp(A vec W) = vec(D^{-1} exp(X W X^T)) (row-major)."""
    a, s, beta = _raw(inst, dps)
    W = a["WQs"] @ a["WKs"].T
    X = a["XQ"]
    return result({"row-major": rel(P.vectorised_score(X, W), TT.vec(P.row_softmax(X @ W @ X.T)))},
                  primary="row-major")


def eq3_2(inst, dps=None):
    """(3.2) as written: X^(Q)(a/r)((r/a)W_Q* + B_Q A_Q)(W_K*)^T X^(K)T = C1 B_Q A_Q C2^T."""
    a, s, beta = _raw(inst, dps)
    C1, C2, C3, Wbar = P.constants_S2(a["XQ"], a["XK"], a["XV"], a["WQs"], a["WKs"], a["WVs"], s)
    lhs = P.eq3_2_lhs(a["XQ"], a["XK"], a["WQs"], a["WKs"], a["BQ"], a["AQ"], s)
    return result({"(3.2)": rel(P.eq3_2_rhs(C1, C2, a["BQ"], a["AQ"]), lhs)}, primary="(3.2)")


def eq3_2_ours(inst, dps=None):
    """Ours: right side C1 (W-bar + B_Q A_Q) C2^T."""
    a, s, beta = _raw(inst, dps)
    C1, C2, C3, Wbar = P.constants_S2(a["XQ"], a["XK"], a["XV"], a["WQs"], a["WKs"], a["WVs"], s)
    lhs = P.eq3_2_lhs(a["XQ"], a["XK"], a["WQs"], a["WKs"], a["BQ"], a["AQ"], s)
    return result({"ours": rel(ours.eq3_2_rhs_ours(C1, C2, Wbar, a["BQ"], a["AQ"]), lhs)}, primary="ours")


def eq3_3(inst, dps=None):
    """(3.3) (with the constants of (S2), beta = 1) against Def. 3.1's loss with W_V fixed (S1)."""
    a, s, beta = _raw(inst, dps)
    C1, C2, C3, Wbar = P.constants_S2(a["XQ"], a["XK"], a["XV"], a["WQs"], a["WKs"], a["WVs"], s)
    z = 0 * a["BV"]
    ref = P.loss_def31(a["XQ"], a["XK"], a["XV"], a["WQs"], a["WKs"], a["WVs"], a["BQ"], a["AQ"], z, a["AV"],
                       a["Y"], s, 1)
    lit = P.loss_33(C1, C2, C3, a["Y"], Wbar, a["BQ"], a["AQ"], 1)
    return result({"(3.3)": abs(lit - ref) / abs(ref)}, primary="(3.3)")


# ------------------------------------------------------------------------------------ App. D (full case)


def _full(inst, dps, fix_V: bool = True):
    """Full-case objects; ``fix_V``: W_V held at W_V* (S1, as (A.2) writes C3 = X^(V) W_V*), i.e. B_V = 0."""
    a, s, beta = _raw(inst, dps)
    if fix_V:
        a["BV"] = 0 * a["BV"]
    ex = exact_full(a, s, beta, dps)
    K = P.constants_A1(a["XQ"], a["XK"], a["XV"], a["WQs"], a["WKs"], a["WVs"], a["BQ"], a["AQ"], a["BK"],
                       a["AK"], s)
    F, c = ex["F"], ex["c"]
    q = P.q_lemma32(K["C3"], c)
    return a, s, beta, ex, K, F, c, q


def lemmaD_1(inst, dps=None):
    """Lemma D.1: (3.5) with C^Q = C_Q1 (x) C_Q2 against dL/dvec(W_Q), and with C^K = C_K1 (x) C_K2 against
    dL/dvec(W_K^T) (beta = alpha/r = 1, W_V fixed at W_V*: B_V A_V = 0 is not required, C3 uses W_V*)."""
    a, s, beta, ex, K, F, c, q = _full(inst, dps)
    gQ = P.grad_vecW_35(K["CQ1"], K["CQ2"], K["C3"], F, c)
    gK = P.grad_vecW_35(K["CK1"], K["CK2"], K["C3"], F, c)
    return result({"Q part": rel(gQ, TT.vec(ex["dWQ"])), "K part": rel(gK, TT.vec(ex["dWK"].T))},
                  rule="primary", primary="Q part", K_part=rel(gK, TT.vec(ex["dWK"].T))) | {
        "observed": max(rel(gQ, TT.vec(ex["dWQ"])), rel(gK, TT.vec(ex["dWK"].T)), key=float)}


def lemmaD_2(inst, dps=None):
    """Lemma D.2: vec(W^T) = T(m, n) vec(W), row-major (Def. 2.1) and column-major readings."""
    W = np.asarray(inst["W"], dtype=float) if dps is None else arrays(inst, dps)["W"]
    m, n = W.shape
    T = TT.T_matrix(m, n, dtype=W.dtype if W.dtype != object else object)
    if W.dtype == object:
        T = np.vectorize(lambda v: mpmath.mpf(v), otypes=[object])(T)
    return result({"row-major vec": rel(T @ TT.vec(W), TT.vec(W.T)),
                   "column-major vec": rel(T @ TT.vec_col(W), TT.vec_col(W.T))}, primary="row-major vec")


def lemmaD_2_ours(inst, dps=None):
    """Ours: vec(W^T) = T(m, n)^T vec(W) under row-major vec."""
    W = np.asarray(inst["W"], dtype=float) if dps is None else arrays(inst, dps)["W"]
    m, n = W.shape
    T = ours.T_rowmajor(m, n, dtype=float)
    return result({"row-major vec": rel(T @ TT.vec(W), TT.vec(W.T))}, primary="row-major vec")


def lemmaD_3(inst, dps=None):
    """Lemma D.3: Q part as Lemma C.1 (displayed J's); K part (T(d^2, d^2) J_{B_K})^T dL/dvec(W_K^T) as
    written, with T(d, d), and the proof's form T J_{B_K} dL/dvec(W_K^T)."""
    a, s, beta, ex, K, F, c, q = _full(inst, dps)
    d = a["XQ"].shape[1]
    gK = TT.vec(ex["dWK"].T)
    gQ = TT.vec(ex["dWQ"])
    one = 1 if dps is None else mpmath.mpf(1)
    JBQ, JAQ = TT.J_B_displayed(a["BQ"], d), TT.J_A_displayed(a["AQ"], d)
    JBK, JAK = TT.J_B_displayed(a["BK"], d), TT.J_A_displayed(a["AK"], d)
    Td2, Td = TT.T_matrix(d * d, d * d) * one, TT.T_matrix(d, d) * one
    rd = {}
    for name, J, tgt in (("A_Q", JBQ, ex["dAQ"]), ("B_Q", JAQ, ex["dBQ"])):
        rd[f"{name}, row-major"] = rel(P.grad_C1(J, gQ), TT.vec(tgt))
        rd[f"{name}, column-major"] = rel(P.grad_C1(J, gQ), TT.vec_col(tgt))
    for name, J, tgt in (("A_K", JBK, ex["dAK"]), ("B_K", JAK, ex["dBK"])):
        rd[f"{name}, T(d^2,d^2) as written"] = _try(lambda: rel(P.grad_D3_K(Td2, J, gK), TT.vec(tgt)))
        rd[f"{name}, T(d,d), row-major"] = _try(lambda: rel(P.grad_D3_K(Td, J, gK), TT.vec(tgt)))
        rd[f"{name}, T(d,d), column-major"] = _try(lambda: rel(P.grad_D3_K(Td, J, gK), TT.vec_col(tgt)))
        rd[f"{name}, proof form T J g"] = _try(lambda: rel(P.grad_D3_K_proof(Td, J, gK), TT.vec(tgt)))
    parts = {}
    for k, v in rd.items():
        parts.setdefault(k.split(",")[0], []).append(_num(v))
    worst = max((min(v, key=float) for v in parts.values()), key=float)
    return dict(readings=rd, observed=worst, bound=TOL, primary=None, rule="worst part, best reading",
                details={"best per part": {k: min(v, key=float) for k, v in parts.items()}})


def lemmaD_3_ours(inst, dps=None):
    """Ours: J row-major, vec(W_K^T) = T vec(W_K) with T = T(d, d)^T, dL/dA_K = J_{B_K}^T T^T dL/dvec(W_K^T)."""
    a, s, beta, ex, K, F, c, q = _full(inst, dps)
    d = a["XQ"].shape[1]
    one = 1 if dps is None else mpmath.mpf(1)
    T = ours.T_rowmajor(d, d) * one
    gK, gQ = TT.vec(ex["dWK"].T), TT.vec(ex["dWQ"])
    rd = {"A_Q": rel(TT.J_B_rowmajor(a["BQ"], d).T @ gQ, TT.vec(ex["dAQ"])),
          "B_Q": rel(TT.J_A_rowmajor(a["AQ"], d).T @ gQ, TT.vec(ex["dBQ"])),
          "A_K": rel(TT.J_B_rowmajor(a["BK"], d).T @ (T.T @ gK), TT.vec(ex["dAK"])),
          "B_K": rel(TT.J_A_rowmajor(a["AK"], d).T @ (T.T @ gK), TT.vec(ex["dBK"]))}
    return dict(readings=rd, observed=max(rd.values(), key=float), bound=TOL, primary=None, rule="all parts",
                details={})


def _pK(F, q, qr="col", lay="rows"):
    return P.p_matrix(F, q, qr, lay)


def lemmaD_4_A_Q(inst, dps=None):
    """Lemma D.4: dL/dA_Q = vec(B_Q^T C_Q1^T p_Q(W_Q) C_Q2), every reading of p_Q."""
    a, s, beta, ex, K, F, c, q = _full(inst, dps)
    rd = {rname(qr, lay): rel(P.grad_A_36(a["BQ"], K["CQ1"], _pK(F, q, qr, lay), K["CQ2"]), ex["dAQ"])
          for qr, lay in READINGS}
    return result(rd)


def lemmaD_4_B_Q(inst, dps=None):
    """Lemma D.4: dL/dB_Q = vec(C_Q1^T p_Q(W_Q) A_Q C_Q2), every reading."""
    a, s, beta, ex, K, F, c, q = _full(inst, dps)
    rd = {rname(qr, lay): _try(lambda: rel(P.grad_B_36(K["CQ1"], _pK(F, q, qr, lay), a["AQ"], K["CQ2"]),
                                           ex["dBQ"])) for qr, lay in READINGS}
    return result(rd, rule="all")


def _T_readings(d, r, one):
    return {"T(d^2,d^2) as written": TT.T_matrix(d * d, d * d) * one, "T(d,d)": TT.T_matrix(d, d) * one,
            "T(r,d)": TT.T_matrix(r, d) * one}


def _lemmaD_4_K(inst, dps, grad, target):
    """Lemma D.4's K-adapter gradient ``grad(T, a, K, p_K)`` against the exact ``target``, for every reading of T and
    p_K (rule: all readings must fail for a violation)."""
    a, s, beta, ex, K, F, c, q = _full(inst, dps)
    d, r = a["XQ"].shape[1], a["AK"].shape[0]
    one = 1 if dps is None else mpmath.mpf(1)
    rd = {}
    for tn, T in _T_readings(d, r, one).items():
        for qr, lay in READINGS:
            rd[f"{tn}, {rname(qr, lay)}"] = _try(lambda: rel(grad(T, a, K, _pK(F, q, qr, lay)), TT.vec(ex[target])))
    return result(rd, rule="all")


def lemmaD_4_A_K(inst, dps=None):
    """Lemma D.4: dL/dA_K = T(d^2, d^2)^T vec(B_K^T C_K1^T p_K(W_K^T) C_K2): every reading of T and p_K."""
    return _lemmaD_4_K(inst, dps, lambda T, a, K, pK: P.grad_D4_K_A(T, a["BK"], K["CK1"], pK, K["CK2"]), "dAK")


def lemmaD_4_B_K(inst, dps=None):
    """Lemma D.4: dL/dB_K = T(d^2, d^2)^T vec(C_K1^T p_K(W_K^T) A_K C_K2): every reading."""
    return _lemmaD_4_K(inst, dps, lambda T, a, K, pK: P.grad_D4_K_B(T, K["CK1"], pK, a["AK"], K["CK2"]), "dBK")


def lemmaD_4_ours(inst, dps=None):
    """Ours: dL/dB_Q = C_Q1^T p_Q C_Q2 A_Q^T; dL/dA_K = B_K^T G^T, dL/dB_K = G^T A_K^T, G = C_K1^T p_K C_K2."""
    a, s, beta, ex, K, F, c, q = _full(inst, dps)
    p = _pK(F, q)
    dAK, dBK = ours.grads_K_ours(a["BK"], a["AK"], K["CK1"], p, K["CK2"])
    rd = {"B_Q": rel(ours.grad_B_ours(K["CQ1"], p, a["AQ"], K["CQ2"]), ex["dBQ"]),
          "A_K": rel(dAK, ex["dAK"]), "B_K": rel(dBK, ex["dBK"])}
    return dict(readings=rd, observed=max(rd.values(), key=float), bound=TOL, primary=None, rule="all parts",
                details={})


def V_path_ours(inst, dps=None):
    """Ours (V path, not in the paper): dL/dW_V = X_V^T F^T c, dL/dA_V = s B_V^T (.), dL/dB_V = s (.) A_V^T."""
    a, s, beta, ex, K, F, c, q = _full(inst, dps, fix_V=False)
    gV = ours.grad_WV_ours(a["XV"], F, c)
    rd = {"W_V": rel(gV, ex["dWV"]), "A_V": rel(s * (a["BV"].T @ gV), ex["dAV"]),
          "B_V": rel(s * (gV @ a["AV"].T), ex["dBV"])}
    return dict(readings=rd, observed=max(rd.values(), key=float), bound=TOL, primary=None, rule="all parts",
                details={})


def fQ_equals_fK(inst, dps=None):
    """L27 (ours): f_Q(W_Q) (from C_Q1 W_Q C_Q2^T) equals f_K(W_K^T) (from C_K1 W_K^T C_K2^T)."""
    a, s, beta = _raw(inst, dps)
    K = P.constants_A1(a["XQ"], a["XK"], a["XV"], a["WQs"], a["WKs"], a["WVs"], a["BQ"], a["AQ"], a["BK"],
                       a["AK"], s)
    WQ = a["WQs"] + s * a["BQ"] @ a["AQ"]
    WK = a["WKs"] + a["BK"] @ a["AK"]
    fQ = P.row_softmax(K["CQ1"] @ WQ @ K["CQ2"].T)
    fK = P.row_softmax(K["CK1"] @ WK.T @ K["CK2"].T)
    norms = {"||C_K1 W_K||_max (Thm A.1 as written)": LR.maxabs(K["CK1"] @ WK),
             "||C_K1 W_K^T||_max (what the exponent uses)": LR.maxabs(K["CK1"] @ WK.T)}
    return result({"f_Q vs f_K": rel(fQ, fK)}, primary="f_Q vs f_K", **norms)


def theoremA_1(inst, dps=None):
    """Proof of Thm A.1: the mu = Q gradients 'follow the proof of Theorem 3.1' (the paper's chain on
    C_Q1 = X^(Q), C_Q2 = X^(K) W_K, C3 = X^(V) W_V*); the K part uses Lemma D.4 (non-conforming)."""
    a, s, beta = _raw(inst, dps)
    K = P.constants_A1(a["XQ"], a["XK"], a["XV"], a["WQs"], a["WKs"], a["WVs"], a["BQ"], a["AQ"], a["BK"],
                       a["AK"], s)
    pinst = {"kind": "partial", "beta": 1.0}
    fl = (lambda M: np.asarray(M, dtype=float).tolist())
    for k, v in (("C1", K["CQ1"]), ("C2", K["CQ2"]), ("C3", K["C3"]), ("Y", a["Y"]), ("Wbar", a["WQs"]),
                 ("B", a["BQ"]), ("A", a["AQ"])):
        pinst[k] = fl(v)
    out = theorem3_1(pinst, dps)
    out["details"]["K part"] = "Lemma D.4's K formulas do not conform (see hu2025lora.lemmaD_4.A_K/B_K)"
    return out
