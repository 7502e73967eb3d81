"""Every error, norm and resource bound that Wu et al. state, as SymPy expressions of the paper's symbols.

Each ``Bound`` carries a stable id, its source (lemma, equation, page), the LaTeX of the statement as printed,
a kind ('error' | 'norm' | 'resource' | 'constant' | 'identity') and its origin ('paper' or 'ours'; a
correction is always a separate 'ours' entry, never an edit of the paper's).  Derived constants (S_j, E_r, P,
B_s, E_s^r, E_s^{r'}, E_s^l, C_l, C_r, C_r') are symbols with definitions, so the bounds read like the paper;
``expand`` substitutes the definitions.  ``evaluate`` computes every value with mpmath at a chosen precision
(default 50 digits).  The identities the proofs rely on are functions returning SymPy expressions that must
simplify to 0.  Indices are the paper's (1-based); N (the depth) is concrete, everything else symbolic.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import mpmath
import sympy as sp

from ..activations import get_activation
from ..losses import get_loss
from . import constants as C
from .config import WuConfig

DEFAULT_DPS = 50

# --- the paper's symbols ----------------------------------------------------------------------------------
_pos = dict(positive=True)
K, d, d_x = sp.Symbol("K", **_pos), sp.Symbol("d", **_pos), sp.Symbol("d_x", **_pos)
B_v, B_x, B_y = sp.Symbol("B_v", **_pos), sp.Symbol("B_x", **_pos), sp.Symbol("B_y", **_pos)
B_r, B_rp, B_l = sp.Symbol("B_r", **_pos), sp.Symbol("B_{r'}", **_pos), sp.Symbol("B_l", **_pos)
L_r, L_rp, L_l = sp.Symbol("L_r", **_pos), sp.Symbol("L_{r'}", **_pos), sp.Symbol("L_l", **_pos)
R3, sup_u = sp.Symbol("R_3", **_pos), sp.Symbol(r"\bar{u}", **_pos)
eps, eps_r, eps_rp, eps_l = (sp.Symbol(s, **_pos) for s in
                             (r"\epsilon", r"\epsilon_r", r"\epsilon_{r'}", r"\epsilon_l"))
C1, C2, C3 = sp.Symbol("C_1", **_pos), sp.Symbol("C_2", **_pos), sp.Symbol("C_3", **_pos)
M1, M2, M3 = sp.Symbol("M_1", **_pos), sp.Symbol("M_2", **_pos), sp.Symbol("M_3", **_pos)
eta, n, L_f, Delta_f = sp.Symbol(r"\eta", **_pos), sp.Symbol("n", **_pos), sp.Symbol("L_f", **_pos), \
    sp.Symbol(r"\Delta_f", **_pos)
l, L = sp.Symbol("l", nonnegative=True, integer=True), sp.Symbol("L", **_pos)
# derived (defined in ``definitions``)
P, E_r, B_s = sp.Symbol("P", **_pos), sp.Symbol("E_r", **_pos), sp.Symbol("B_s", **_pos)
E_s_r, E_s_rp, E_s_l = sp.Symbol("E_s^r", **_pos), sp.Symbol("E_s^{r'}", **_pos), sp.Symbol("E_s^l", **_pos)
eps_columns = sp.Symbol("epsilon_columns", **_pos)
# ours, the Lemma 6 / Theorem 1 constants re-derived on the approximation radius R (``definitions_columns_safe``)
sup_r_R, sup_u_R = sp.Symbol(r"\bar{r}_R", **_pos), sp.Symbol(r"\bar{u}_R", **_pos)
B_rp_R, B_l_R, B_r_R = sp.Symbol("B_{r'}^R", **_pos), sp.Symbol("B_l^R", **_pos), sp.Symbol("B_r^R", **_pos)
B_s_R = sp.Symbol("B_s^R", **_pos)
E_s_r_R, E_s_rp_R, E_s_l_R = (sp.Symbol(s, **_pos) for s in ("E_s^{r,R}", "E_s^{r',R}", "E_s^{l,R}"))
eps_R = sp.Symbol(r"\epsilon^R", **_pos)
C_l, C_r, C_rp = sp.Symbol("C_l", **_pos), sp.Symbol("C_r", **_pos), sp.Symbol("C_{r'}", **_pos)


def S(j: int) -> sp.Symbol:
    """S_j := sum_{l=0}^{j-1} K^{l/2} L_r^l B_v^l (the coefficient in (3.9), named in spec 5.2)."""
    return sp.Symbol(f"S_{j}", **_pos)


def b_s(j: int) -> sp.Symbol:
    """The j-th term of Lemma 6's B_s: (P B_r' B_v)^{N-j} B_r' B_l."""
    return sp.Symbol(f"B_{{s,{j}}}", **_pos)


def T(which: str, j: int) -> sp.Symbol:
    """The j-th term inside the max of Lemma 6's E_s^which (which in 'r', 'rp', 'l')."""
    return sp.Symbol(f"E^{{{which}}}_{{s,{j}}}", **_pos)


def _rho():
    return B_rp * B_v * P


def _G(j: int, N: int) -> sp.Expr:
    """sum_{l=0}^{N-j-1} (B_r' B_v P)^l (Lemma 6, p.26); 0 for j = N."""
    return sp.Add(*[_rho() ** q for q in range(N - j)])


def definitions(N: int) -> dict:
    """Derived symbol -> defining expression, in dependency order (Lemma 2 (3.9)-(3.11), Lemma 6, Theorem 1)."""
    return dict(_definitions(N))


@lru_cache(maxsize=16)
def _definitions(N: int) -> dict:
    defs: dict = {}
    for j in range(1, N + 1):
        defs[S(j)] = sp.Add(*[K ** sp.Rational(q, 2) * L_r**q * B_v**q for q in range(j)])
    defs[E_r] = sp.Max(*[sp.sqrt(K) * S(j) for j in range(1, N + 1)], sp.sqrt(d) * S(N))
    defs[P] = sp.Max(sp.sqrt(K), sp.sqrt(d))
    for j in range(1, N + 1):
        defs[b_s(j)] = _rho() ** (N - j) * B_rp * B_l
    defs[B_s] = sp.Max(*[b_s(j) for j in range(1, N + 1)])
    for j in range(1, N + 1):
        defs[T("r", j)] = (L_rp * E_r * P * B_s * B_v**2 * _G(j, N)
                           + _rho() ** (N - j) * (B_l * L_rp * B_v * E_r + B_rp * L_l * E_r))
        defs[T("rp", j)] = P * B_s * B_v * _G(j, N) + _rho() ** (N - j) * B_l
        defs[T("l", j)] = _rho() ** (N - j) * B_rp
    defs[E_s_r] = sp.Max(*[T("r", j) for j in range(1, N + 1)])
    defs[E_s_rp] = sp.Max(*[T("rp", j) for j in range(1, N + 1)])
    defs[E_s_l] = sp.Max(*[T("l", j) for j in range(1, N + 1)])
    defs[C_l] = N * P ** sp.Rational(3, 2) * B_r * E_s_l
    defs[C_r] = N * P ** sp.Rational(3, 2) * B_r * E_s_r + N * P * B_s * E_r
    defs[C_rp] = N * P ** sp.Rational(3, 2) * B_r * E_s_rp
    return defs


def definitions_columns(N: int) -> dict:
    """Lemma 6's recursion (proof p. 26-28) with the column factor (ours): |(V_{j+1}^T e)[k]| <= B_v K_{j+1} max|e|
    <= B_v P^2 max|e|, since the sum runs over the k-th column of V_{j+1}; every B_v P of B_s and E_s becomes B_v P^2."""
    lemma6 = {B_s, E_s_r, E_s_rp, E_s_l} | {b_s(j) for j in range(1, N + 1)} | \
        {T(w, j) for w in ("r", "rp", "l") for j in range(1, N + 1)}
    return {sym: ex.subs(P, P**2) for sym, ex in _definitions(N).items() if sym in lemma6}


def grad_error_columns() -> sp.Expr:
    """Theorem 1 proof p. 30 repaired (ours): (N/2) P [(E_s^r eps_r + E_s^r' eps_r' + E_s^l eps_l)(P B_r + E_r eps_r)
    + B_s E_r eps_r], ||pbar(j-1)||_2 <= P B_r + E_r eps_r, with the column constants of ``definitions_columns``."""
    return sp.Symbol("N") * P / 2 * ((E_s_r * eps_r + E_s_rp * eps_rp + E_s_l * eps_l) * (P * B_r + E_r * eps_r)
                                     + B_s * E_r * eps_r)


def column_values(values: dict, N: int) -> dict:
    """``values`` with B_s, E_s^r, E_s^r', E_s^l (and their terms) of ``definitions_columns`` and the repaired
    gradient-error bound under ``eps_columns``."""
    v = dict(values)
    for sym, ex in definitions_columns(N).items():
        v[sym] = _eval(ex, v)
    v[eps_columns] = _eval(grad_error_columns().subs(sp.Symbol("N"), N), v)
    return v


def b_s_R(j: int) -> sp.Symbol:
    """The j-th term of B_s^R (``definitions_columns_safe``)."""
    return sp.Symbol(f"B_{{s,{j}}}^R", **_pos)


def T_R(which: str, j: int) -> sp.Symbol:
    """The j-th term inside the max of E_s^{which,R} (``definitions_columns_safe``)."""
    return sp.Symbol(f"E^{{{which},R}}_{{s,{j}}}", **_pos)


def definitions_columns_safe(N: int) -> dict:
    """Lemma 6 (proof p. 26-28) and Theorem 1 (proof p. 30) re-derived on the approximation radius R (ours).

    For i in [n], with every pre-activation z = v_jk^T p(j-1) and zbar = v_jk^T pbar(j-1) in [-R, R] (the true ones
    are there by the construction of our safe radius):

    * |r'(z)| <= L_r = sup_{[-R, R]} |r'| and |rbar'(zbar)| <= L_r + eps_r' =: B_r'^R (the paper's B_r' is built
      from |r'| at arguments bounded by B_v B_r'^{j-1}, no bound at the network's pre-activations: F03);
    * |u(p(N), y)[k]| = |phi'(p(N)[k] - y[k])| <= ubar_R := sup_{|z| <= rbar_R + B_y} |phi'(z)|, rbar_R :=
      sup_{[-R, R]} |r| (the paper's R3 does not bound p(N)[k] on our radius), and |gbar[k]| <= ubar_R + delta_l =:
      B_l^R (Lemma 4);
    * the column step |(V_{j+1}^T a)[k]| = |sum_l V_{j+1}[l, k] a[l]| <= K_{j+1} B_v max|a| <= B_v P^2 max|a|;
    * so |s(j)|, |sbar(j)| <= B_s^R = max_j (B_r'^R B_v P^2)^{N-j} B_r'^R B_l^R (both, as the induction uses
      |sbar(j+1)| <= B_s), e_N <= delta_r' B_l^R + B_r'^R delta_l and e_j <= delta_r' B_v P^2 B_s^R + B_r'^R B_v P^2
      e_{j+1}: the paper's E_s with B_v P -> B_v P^2, B_r' -> B_r'^R, B_l -> B_l^R;
    * Theorem 1: ||Abar(j) - A(j)||_F <= ||sbar - s||_2 ||pbar(j-1)||_2 + ||s||_2 ||pbar - p||_2 with
      ||pbar(j-1)||_2 <= max(B_x, sqrt(K) rbar_R) + E_r eps_r <= P B_r^R + E_r eps_r, B_r^R := max(B_x, rbar_R),
      and ||s(j)||_2 <= P B_s^R; eps^R := (N/2) P [(E_s^{r,R} eps_r + E_s^{r',R} eps_r' + E_s^{l,R} eps_l)
      (P B_r^R + E_r eps_r) + B_s^R E_r eps_r].
    """
    return dict(_definitions_columns_safe(N))


@lru_cache(maxsize=16)
def _definitions_columns_safe(N: int) -> dict:
    ren = {P: P**2, B_rp: B_rp_R, B_l: B_l_R, B_s: B_s_R, E_s_r: E_s_r_R, E_s_rp: E_s_rp_R, E_s_l: E_s_l_R}
    ren.update({b_s(j): b_s_R(j) for j in range(1, N + 1)})
    ren.update({T(w, j): T_R(w, j) for w in ("r", "rp", "l") for j in range(1, N + 1)})
    defs: dict = {B_rp_R: L_r + eps_rp, B_l_R: sup_u_R + delta_l(), B_r_R: sp.Max(B_x, sup_r_R)}
    for sym, ex in _definitions(N).items():
        if sym in ren and sym is not P:
            defs[ren[sym]] = ex.xreplace(ren)
    s_err = E_s_r_R * eps_r + E_s_rp_R * eps_rp + E_s_l_R * eps_l
    defs[eps_R] = sp.Integer(N) * P / 2 * (s_err * (P * B_r_R + E_r * eps_r) + B_s_R * E_r * eps_r)
    return defs


def lemma6_closed_form_columns_safe(j: int, N: int) -> sp.Expr:
    """The per-j bound of ``definitions_columns_safe``: delta_r' P^2 B_v B_s^R G + rho^{N-j} (delta_r' B_l^R +
    B_r'^R delta_l), rho = B_r'^R B_v P^2, G = sum_{q<N-j} rho^q."""
    rho = B_rp_R * B_v * P**2
    G = sp.Add(*[rho**q for q in range(N - j)])
    return delta_rp() * P**2 * B_v * B_s_R * G + rho ** (N - j) * (delta_rp() * B_l_R + B_rp_R * delta_l())


def columns_safe_values(values: dict, N: int) -> dict:
    """``values`` (which must hold rbar_R, ubar_R and the paper's derived E_r, P) with every symbol of
    ``definitions_columns_safe`` added (the paper's symbols are left as they are)."""
    v = dict(values)
    for sym, ex in _definitions_columns_safe(N).items():
        v[sym] = _eval(ex, v)
    return v


def expand(expr: sp.Expr, defs: dict) -> sp.Expr:
    """Substitute the definitions (latest first) until only primitive symbols remain."""
    for sym, val in reversed(list(defs.items())):
        expr = expr.subs(sym, val)
    return expr


# --- the bounds ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bound:
    id: str
    expr: sp.Expr
    source: str
    latex: str
    kind: str                      # 'error' | 'norm' | 'resource' | 'constant' | 'identity'
    origin: str = "paper"          # 'paper' | 'ours'
    note: str = ""
    at: dict = field(default_factory=dict)   # extra substitutions (e.g. the step l)


def delta_rp() -> sp.Expr:
    """Lemma 3 (3.14): |rbar'(j-1)[k] - r'(j-1)[k]| <= eps_r' + L_r' B_v E_r eps_r."""
    return eps_rp + L_rp * B_v * E_r * eps_r


def delta_l() -> sp.Expr:
    """Lemma 4 (3.16): |gbar[k] - u(p(N), y)[k]| <= eps_l + L_l E_r eps_r."""
    return eps_l + L_l * E_r * eps_r


def lemma6_closed_form(j: int, N: int) -> sp.Expr:
    """Lemma 6's per-j bound on |sbar(j)[k] - s(j)[k]| from its proof (p.27-28), with rho = B_r' B_v P."""
    return (delta_rp() * P * B_v * B_s * _G(j, N)
            + _rho() ** (N - j) * ((B_l * L_rp * B_v * E_r + B_rp * L_l * E_r) * eps_r + B_l * eps_rp + B_rp * eps_l))


def grad_error() -> sp.Expr:
    """Theorem 1 proof (p.30): (N/2) P [(E_s^r eps_r + E_s^{r'} eps_r' + E_s^l eps_l) sqrt(P) B_r + B_s E_r eps_r]."""
    return sp.Symbol("N") * P / 2 * ((E_s_r * eps_r + E_s_rp * eps_rp + E_s_l * eps_l) * sp.sqrt(P) * B_r
                                     + B_s * E_r * eps_r)


def catalogue(N: int) -> list[Bound]:
    """Every stated bound at depth N (plus our labelled additions), in reading order."""
    return list(_catalogue(N))


@lru_cache(maxsize=16)
def _catalogue(N: int) -> tuple:
    Nn = sp.Integer(N)
    g = grad_error().subs(sp.Symbol("N"), Nn)
    s_err = E_s_r * eps_r + E_s_rp * eps_rp + E_s_l * eps_l
    out: list[Bound] = []
    add = out.append
    src2, src6, srcT = "Lemma 2, eq. (3.9), p.6; proof p.21", "Lemma 6, p.8; constants p.26", "Theorem 1, proof p.30"
    for j in range(1, N + 1):
        add(Bound(f"wu2025.lemma2.S[{j}]", S(j), "Lemma 2, eq. (3.9), p.6", rf"S_{{{j}}}=\sum_{{l=0}}^{{{j - 1}}}K^{{l/2}}L_r^lB_v^l",
                  "constant", note="S_j names the sum in (3.9) (spec 5.2)"))
    add(Bound("wu2025.E_r", E_r, "Lemma 2, eqs. (3.10)-(3.11), p.6",
              r"E_r=\max_{j\in[N]}\{(\sum_{l=0}^{j-1}K^{l/2}L_r^lB_v^l)\sqrt K,(\sum_{l=0}^{N-1}K^{l/2}L_r^lB_v^l)\sqrt d\}",
              "constant"))
    add(Bound("wu2025.P", P, "Lemma 6, p.26", r"P=\max\{\sqrt K,\sqrt d\}", "constant"))
    for j in range(1, N + 1):
        coef = (sp.sqrt(K) if j < N else sp.sqrt(d)) * S(j)
        add(Bound(f"wu2025.lemma2[{j}]", coef * eps_r, src2,
                  rf"\|\epsilon(i,{j})\|_2\le(\sum_{{l=0}}^{{{j - 1}}}K^{{l/2}}L_r^lB_v^l)\sqrt{{{'K' if j < N else 'd'}}}\,\epsilon_r",
                  "error"))
    for j in range(1, N + 1):
        add(Bound(f"wu2025.lemma2.coord[{j}]", S(j) * eps_r, "Lemma 2, proof p.21 (per coordinate)",
                  rf"|\bar p_i({j})[k]-p_i({j})[k]|\le\epsilon_r\sum_{{l=0}}^{{{j - 1}}}K^{{l/2}}L_r^lB_v^l", "error"))
    add(Bound("wu2025.lemma2.uniform", E_r * eps_r, "Lemma 2, eq. (3.12), p.6", r"\|\epsilon(i,j)\|_2\le E_r\epsilon_r",
              "error"))
    add(Bound("wu2025.lemma3", delta_rp(), "Lemma 3, eq. (3.14), p.6",
              r"|\epsilon(i,j,k)|\le\epsilon_{r'}+L_{r'}B_vE_r\epsilon_r", "error"))
    add(Bound("wu2025.lemma4", delta_l(), "Lemma 4, eq. (3.16), p.7", r"|\epsilon(i,k)|\le\epsilon_l+L_lE_r\epsilon_r",
              "error"))
    add(Bound("wu2025.B_l", B_l, "Lemma 6, p.8 (named, no formula); value ours (spec 5.1)",
              r"B_l:=\sup_{\|t\|_\infty,\|y\|_\infty\le R_3}\max_k|u(t,y)[k]|+\epsilon_l+L_lE_r\epsilon_r", "constant",
              "ours"))
    for j in range(1, N + 1):
        add(Bound(f"wu2025.lemma6.B_s[{j}]", b_s(j), src6, rf"(P B_{{r'}}B_v)^{{{N - j}}}B_{{r'}}B_l", "constant"))
    add(Bound("wu2025.lemma6.B_s", B_s, src6, r"B_s:=\max_{j\in[N]}\{(P\cdot B_{r'}B_v)^{N-j}B_{r'}B_l\}", "constant",
              note="claimed bound on |sbar_i(j)[k]| and |s_i(j)[k]|"))
    add(Bound("wu2025.lemma6.E_s_r", E_s_r, src6,
              r"E_s^r:=\max_{j\in[N]}\{L_{r'}E_rPB_sB_v^2[\sum_{l=0}^{N-j-1}(B_{r'}B_vP)^l]"
              r"+(B_{r'}B_vP)^{N-j}(B_lL_{r'}B_vE_r+B_{r'}L_lE_r)\}", "constant"))
    add(Bound("wu2025.lemma6.E_s_rp", E_s_rp, src6,
              r"E_s^{r'}:=\max_{j\in[N]}\{PB_sB_v[\sum_{l=0}^{N-j-1}(B_{r'}B_vP)^l]+(B_{r'}B_vP)^{N-j}B_l\}", "constant"))
    add(Bound("wu2025.lemma6.E_s_l", E_s_l, src6, r"E_s^l:=\max_{j\in[N]}\{(B_{r'}B_vP)^{N-j}B_{r'}\}", "constant"))
    add(Bound("wu2025.lemma6.s_error", s_err, "Lemma 6, p.8", r"|\bar s_i(j)[k]-s_i(j)[k]|\le E_s^r\epsilon_r"
              r"+E_s^{r'}\epsilon_{r'}+E_s^l\epsilon_l", "error"))
    for j in range(1, N + 1):
        add(Bound(f"wu2025.lemma6.s_error[{j}]", lemma6_closed_form(j, N), "Lemma 6, proof p.27-28 (per j)",
                  r"(\epsilon_{r'}+L_{r'}B_vE_r\epsilon_r)PB_vB_s[\sum_{l=0}^{N-j-1}(B_{r'}B_vP)^l]+(B_{r'}B_vP)^{N-j}"
                  r"[(B_lL_{r'}B_vE_r+B_{r'}L_lE_r)\epsilon_r+B_l\epsilon_{r'}+B_{r'}\epsilon_l]", "error"))
    add(Bound("wu2025.theorem1.A_error", P * ((s_err) * sp.sqrt(P) * B_r + B_s * E_r * eps_r), srcT,
              r"\|\bar A_i(j)-A_i(j)\|_2\le P[(E_s^r\epsilon_r+E_s^{r'}\epsilon_{r'}+E_s^l\epsilon_l)\sqrt P B_r"
              r"+B_sE_r\epsilon_r]", "error"))
    add(Bound("wu2025.theorem1.grad_error", g, srcT,
              r"\|\bar\nabla L_n(w)-\nabla L_n(w)\|_2\le\frac N2P[(E_s^r\epsilon_r+E_s^{r'}\epsilon_{r'}+E_s^l\epsilon_l)"
              r"\sqrt PB_r+B_sE_r\epsilon_r]", "error"))
    add(Bound("wu2025.theorem1.grad_error.ours",
              Nn * P / 2 * (s_err * (P * B_r + E_r * eps_r) + B_s * E_r * eps_r), "ours (repairs Theorem 1 proof p.30)",
              r"\frac N2P[(E_s^r\epsilon_r+E_s^{r'}\epsilon_{r'}+E_s^l\epsilon_l)(PB_r+E_r\epsilon_r)+B_sE_r\epsilon_r]",
              "error", "ours", "||pbar(j-1)||_2 <= sqrt(K) B_r + E_r eps_r <= P B_r + E_r eps_r, not sqrt(P) B_r"))
    add(Bound("wu2025.theorem1.step_error", eta * eps, "Theorem 1, p.8 (||eps^(l-1)|| <= eta eps)",
              r"\|\epsilon^{(l-1)}\|_2\le\eta\epsilon", "error", note="eps = the gradient-error bound"))
    for sym, name, tex in ((C_l, "C_l", r"C_l=NP^{3/2}B_rE_s^l"), (C_r, "C_r", r"C_r=NP^{3/2}B_rE_s^r+NPB_sE_r"),
                           (C_rp, "C_rp", r"C_{r'}=NP^{3/2}B_rE_s^{r'}")):
        add(Bound(f"wu2025.theorem1.{name}", sym, "Theorem 1, proof p.30-31", tex, "constant"))
    for name, c, tex in (("eps_l", C_l, r"\epsilon_l=\frac{2\epsilon}{3C_l}"), ("eps_r", C_r, r"\epsilon_r=\frac{2\epsilon}{3C_r}"),
                         ("eps_rp", C_rp, r"\epsilon_{r'}=\frac{2\epsilon}{3C_{r'}}")):
        add(Bound(f"wu2025.theorem1.{name}", 2 * eps / (3 * c), "Theorem 1, proof p.31", tex, "constant",
                  note="the proof's choice for the target eps"))
    cor = (1 + n * L_f) ** l * eps / L_f  # per-step rows wu2025.corollary1_1[l] are added by ``evaluate``
    add(Bound("wu2025.corollary1_1", cor, "Corollary 1.1, p.8; Lemma 14, p.32",
              r"\|w^l-w_{GD}^l\|_2\le L_f^{-1}(1+nL_f)^l\epsilon", "error", note="n as printed; l = L"))
    add(Bound("wu2025.corollary1_1.ours_eta", (1 + eta * L_f) ** l * eps / L_f, "ours (Bai et al. 2023, Lemma G.1)",
              r"\|w^l-w_{GD}^l\|_2\le L_f^{-1}(1+\eta L_f)^l\epsilon", "error", "ours",
              "eta in place of the printed n; holds when grad L_n is L_f-Lipschitz and Proj_W is nonexpansive"))
    add(Bound("wu2025.lemma14", 8 * Delta_f / (eta * L) + 10 * eps**2, "Lemma 14, p.32",
              r"\min_{l\in[L-1]}\|G^f_{W,\eta}(w^l)\|_2^2\le\frac{8(f(0)-\inf_{w\in W}f(w))}{\eta L}+10\epsilon^2", "error",
              note="stated 'if eta <= L_f' (as printed)"))
    add(Bound("wu2025.lemma14.trajectory", cor, "Lemma 14, p.32", r"\|w^l-w_{GD}^l\|_2\le L_f^{-1}(1+nL_f)^l\epsilon",
              "error", note="n as printed; l = L"))
    # parameter norms (B.1) / (3.19)
    add(Bound("wu2025.lemma2.norm", 1 + K * C1, "Lemma 2, p.6; Lemma 9, p.20", r"B_{\theta_j}\le1+KC_1", "norm"))
    add(Bound("wu2025.lemma2.norm_proof", 1 + C1, "Lemma 2, proof p.20 ('Consequently')", r"B_{\theta_j}\le1+C_1", "norm",
              note="the proof's conclusion differs from the statement's 1 + K C1"))
    add(Bound("wu2025.lemma2.norm.ours", 1 + sp.Max(K, d) * C1, "ours (construction (C.7)-(C.8))",
              r"B_{\theta_j}\le1+K_jC_1,\ K_N=d", "norm", "ours", "layer N has d units: 1 + K C1 fails if d > K"))
    add(Bound("wu2025.lemma3.norm", 1 + K * (Nn - 1) * C2, "Lemma 3, p.6; proof p.22", r"B_{\theta_{N+1}}\le1+K(N-1)C_2",
              "norm"))
    add(Bound("wu2025.lemma3.norm.ours", 1 + ((Nn - 1) * K + d) * C2, "ours (construction (C.12))",
              r"B_{\theta_{N+1}}\le1+((N-1)K+d)C_2", "norm", "ours",
              "the layer has one head group per entry of rbar' ((N-1)K + d entries), each with sum |c| <= C2"))
    add(Bound("wu2025.lemma4.norm", sp.Max(R3 + 1, C3), "Lemma 4, p.7; proof p.24", r"B_{\theta_{N+2}}\le\max\{R_3+1,C_3\}",
              "norm", note="C3 is not defined in the paper (only C3^k); we use C3 := max_k C3^k"))
    add(Bound("wu2025.lemma4.norm.ours", M3 * (R3 + 1) + C3, "ours (construction (C.14), norm (B.1))",
              r"B_{\theta_{N+2}}\le M_3(R_3+1)+C_3", "norm", "ours",
              "(B.1) adds ||W1||_1 + ||W2||_1, and the ONE / t columns of W1 carry -R3 / +R3 in all M3 rows"))
    add(Bound("wu2025.lemma5.norm", sp.Integer(1), "Lemma 5, p.7; proof p.26 (norm (3.19))", r"B_{\theta_{N+2+j}}\le1",
              "norm"))
    add(Bound("wu2025.theorem1.grad_layer_norm", 1 + 2 * eta * Nn * K, "Theorem 1, proof p.30",
              r"B_{\theta_{2N+3}}\le1+2\eta NK", "norm"))
    add(Bound("wu2025.theorem1.grad_layer_norm.ours", 1 + eta * (n + 1) / n * ((Nn - 1) * K + d),
              "ours (construction (C.16))", r"B_{\theta_{2N+3}}\le1+\eta\frac{n+1}{n}((N-1)K+d)", "norm", "ours",
              "2 heads per entry of w's (N-1)K + d blocks, each ||V||_1 = eta(n+1)/(2n)"))
    # resources (Theorem 1, p.8)
    D_N = (d_x + d) * K + (Nn - 2) * K**2
    add(Bound("wu2025.theorem1.max_heads", sp.Max(M1 * K, M1 * d, Nn * K * M2, K, 2 * Nn * K), "Theorem 1, p.8",
              r"\max_l M^l\le\tilde O(\epsilon^{-2})", "resource",
              note="asymptotic claim; the value is the head count of the paper's constructions (C.7), (C.12), "
                   "(C.15), (C.16) with M1, M2 = the units of the project's approximants"))
    add(Bound("wu2025.theorem1.max_embedding_dim",
              d_x + d + D_N + ((Nn - 1) * K + d) + ((Nn - 2) * K + d) + d + ((Nn - 1) * K + d) + 2, "Theorem 1, p.8; proof p.31",
              r"\max_lD^l\le O(NK^2)+D_w", "resource",
              note="value: the dimensions listed on p.31 (rbar' in R^{(N-2)K+d}), plus D_w for Proj_W"))
    add(Bound("wu2025.theorem1.max_embedding_dim.ours", d_x + 2 * d + D_N + 3 * ((Nn - 1) * K + d) + 2,
              "ours (token layout, spec 1.4)", r"D=d_x+2d+D_N+3((N-1)K+d)+2", "resource", "ours",
              "rbar' has (N-1)K + d entries (F2)"))
    add(Bound("wu2025.theorem1.max_norm",
              sp.Max(1 + K * C1, 1 + K * (Nn - 1) * C2, sp.Max(R3 + 1, C3), 1, 1 + 2 * eta * Nn * K), "Theorem 1, p.8",
              r"\max_lB_\theta^l\le O(\eta)+C_w+1", "resource",
              note="value: the max of the paper's per-layer norm claims for layers 1..2N+3 (C_w excluded)"))
    add(Bound("wu2025.theorem1.layers", (2 * Nn + 4) * L, "Theorem 1, p.8", r"(2N+4)L", "resource"))
    return tuple(out)


# --- identities the proofs rely on (each must simplify to 0) ------------------------------------------------

def identity_S_recursion(N: int, defs: dict | None = None) -> list[sp.Expr]:
    """Lemma 2 proof p.21: S_1 = 1 and S_j = 1 + sqrt(K) L_r B_v S_{j-1} (j = 2..N)."""
    defs = definitions(N) if defs is None else defs
    out = [defs[S(1)] - 1]
    out += [defs[S(j)] - (1 + sp.sqrt(K) * L_r * B_v * defs[S(j - 1)]) for j in range(2, N + 1)]
    return out


def identity_S_recursion_symbolic() -> sp.Expr:
    """The same recursion for symbolic j, with S_j as a SymPy Sum."""
    j, q = sp.Symbol("j", integer=True, positive=True), sp.Symbol("q", integer=True, nonnegative=True)
    a = sp.sqrt(K) * L_r * B_v
    Sj = lambda m: sp.Sum(a**q, (q, 0, m - 1))  # noqa: E731
    return (Sj(j) - 1 - a * Sj(j - 1)).doit()


def identity_lemma2_induction(N: int, defs: dict | None = None) -> list[sp.Expr]:
    """Lemma 2 proof p.21: eps_r + L_r B_v (sqrt(K) eps_r S_{j-1}) = eps_r S_j."""
    defs = definitions(N) if defs is None else defs
    return [eps_r + L_r * B_v * sp.sqrt(K) * eps_r * defs[S(j - 1)] - eps_r * defs[S(j)] for j in range(2, N + 1)]


def identity_lemma6_closed_form(N: int) -> list[sp.Expr]:
    """Lemma 6 proof p.27-28: base e_N = delta_r' B_l + B_r' delta_l, step e_j = A + rho e_{j+1}, A = delta_r' P B_v B_s."""
    out = [lemma6_closed_form(N, N) - (delta_rp() * B_l + B_rp * delta_l())]
    A = delta_rp() * P * B_v * B_s
    out += [lemma6_closed_form(j, N) - (A + _rho() * lemma6_closed_form(j + 1, N)) for j in range(1, N)]
    return out


def identity_lemma6_coefficients(N: int, defs: dict | None = None) -> list[sp.Expr]:
    """Lemma 6 p.26: the eps-coefficients of the per-j closed form are the terms inside E_s^r, E_s^{r'}, E_s^l."""
    defs = definitions(N) if defs is None else defs
    out = []
    for j in range(1, N + 1):
        e = sp.expand(lemma6_closed_form(j, N))
        for sym, w in ((eps_r, "r"), (eps_rp, "rp"), (eps_l, "l")):
            out.append(e.coeff(sym) - sp.expand(defs[T(w, j)]))
    return out


def identity_B_s_recursion(N: int, defs: dict | None = None) -> list[sp.Expr]:
    """Lemma 6 proof p.27: b_N = B_r' B_l and b_j = (P B_r' B_v) b_{j+1}."""
    defs = definitions(N) if defs is None else defs
    return [defs[b_s(N)] - B_rp * B_l] + [defs[b_s(j)] - _rho() * defs[b_s(j + 1)] for j in range(1, N)]


def identity_theorem1_coefficients(N: int, defs: dict | None = None) -> sp.Expr:
    """Theorem 1 proof p.30: the gradient error equals (1/2)(C_l eps_l + C_r eps_r + C_r' eps_r')."""
    defs = definitions(N) if defs is None else defs
    half = (defs[C_l] * eps_l + defs[C_r] * eps_r + defs[C_rp] * eps_rp) / 2
    return grad_error().subs(sp.Symbol("N"), N) - half


def identity_eps_choice(N: int, defs: dict | None = None) -> sp.Expr:
    """Theorem 1 proof p.31: at eps_* = 2 eps / (3 C_*) the gradient-error bound equals eps."""
    defs = definitions(N) if defs is None else defs
    choice = {eps_l: 2 * eps / (3 * defs[C_l]), eps_r: 2 * eps / (3 * defs[C_r]), eps_rp: 2 * eps / (3 * defs[C_rp])}
    return grad_error().subs(sp.Symbol("N"), N).subs(choice) - eps


def identity_gd_recursion_ours() -> sp.Expr:
    """Ours: eta eps sum_{i<l} (1 + eta L_f)^i = eps ((1 + eta L_f)^l - 1) / L_f (behind Cor 1.1 with eta)."""
    i = sp.Symbol("i", integer=True, nonnegative=True)
    m = sp.Symbol("m", integer=True, positive=True)
    return (eta * eps * sp.Sum((1 + eta * L_f) ** i, (i, 0, m - 1)) - eps * ((1 + eta * L_f) ** m - 1) / L_f).doit()


def identities(N: int, defs: dict | None = None) -> dict[str, sp.Expr]:
    """Every identity as id -> expression (each must simplify to 0)."""
    out: dict[str, sp.Expr] = {}
    for k, e in enumerate(identity_S_recursion(N, defs), 1):
        out[f"wu2025.identity.S_recursion[{k}]"] = e
    out["wu2025.identity.S_recursion_symbolic"] = identity_S_recursion_symbolic()
    for k, e in enumerate(identity_lemma2_induction(N, defs), 2):
        out[f"wu2025.identity.lemma2_induction[{k}]"] = e
    base, *steps = identity_lemma6_closed_form(N)
    out["wu2025.identity.lemma6_base"] = base
    for j, e in enumerate(steps, 1):
        out[f"wu2025.identity.lemma6_step[{j}]"] = e
    coeffs = identity_lemma6_coefficients(N, defs)
    for q, e in enumerate(coeffs):
        j, w = q // 3 + 1, ("r", "rp", "l")[q % 3]
        out[f"wu2025.identity.lemma6_coeff_{w}[{j}]"] = e
    for k, e in enumerate(identity_B_s_recursion(N, defs), 1):
        out[f"wu2025.identity.B_s_recursion[{k}]"] = e
    out["wu2025.identity.theorem1_coefficients"] = identity_theorem1_coefficients(N, defs)
    out["wu2025.identity.eps_choice"] = identity_eps_choice(N, defs)
    out["wu2025.identity.gd_recursion_ours"] = identity_gd_recursion_ours()
    return out


def is_zero(expr: sp.Expr) -> bool:
    """True if the expression simplifies to 0."""
    return sp.simplify(sp.expand(expr)) == 0


@lru_cache(maxsize=16)
def identity_results(N: int) -> tuple:
    """(id, expression, simplifies to 0) for every identity at depth N with the paper's definitions (cached)."""
    return tuple((iid, ex, is_zero(ex)) for iid, ex in identities(N).items())


# --- evaluation with mpmath ---------------------------------------------------------------------------------

def _mp(v):
    if isinstance(v, mpmath.mpf):
        return v
    v = sp.sympify(v)
    if v == sp.oo:
        return mpmath.inf
    return mpmath.mpf(sp.N(v, mpmath.mp.dps + 10))


@dataclass
class Evaluation:
    """Values of every symbol and every bound at one configuration (mpmath numbers)."""

    config: WuConfig
    dps: int
    values: dict                     # Symbol -> mpf
    rows: list                       # dicts: id, source, expression, value (mpf), kind, origin, note, ...
    constants: list                  # constants.Constant (exact values)
    mode: str                        # 'given' (eps_r, eps_r', eps_l given) or 'target' (the proof's eps choice)


def primitive_values(config: WuConfig, *, C1_=None, C2_=None, C3_=None, M1_=None, M2_=None, M3_=None,
                     n_=None, eta_=None, L_f_=None) -> tuple[dict, list]:
    """Primitive symbol -> exact SymPy value, plus the constants.Constant list behind them."""
    consts = C.primitive_constants(config)
    by = {c.name: c for c in consts}
    vals = {K: sp.Integer(config.K), d: sp.Integer(config.d_out), d_x: sp.Integer(config.d_in),
            B_v: C.exact(config.Bv), B_x: C.exact(config.Bx), B_y: C.exact(config.By),
            B_r: by["B_r"].value, B_rp: by["B_rp"].value, L_r: by["L_r"].value, L_rp: by["L_rp"].value,
            L_l: by["L_l"].value, R3: by["R3"].value, sup_u: by["sup_u"].value,
            n: sp.Integer(config.n if n_ is None else n_), eta: C.exact(config.eta if eta_ is None else eta_),
            L_f: by["L_f"].value if L_f_ is None else C.exact(L_f_), Delta_f: by["Delta_f"].value,
            L: sp.Integer(config.L)}
    # ours (``definitions_columns_safe``): sup |r| on the approximation interval of r, sup |phi'| on |z| <= that + B_y
    R_r = C.approximation_radius(config, "r")
    vals[sup_r_R] = get_activation(config.activation).sup_abs(0, -R_r, R_r)
    vals[sup_u_R] = get_loss(config.loss).sup_abs_u(-(vals[sup_r_R] + vals[B_y]), vals[sup_r_R] + vals[B_y])
    for sym, v in ((C1, C1_), (C2, C2_), (C3, C3_), (M1, M1_), (M2, M2_), (M3, M3_)):
        if v is not None:
            vals[sym] = C.exact(v) if not isinstance(v, sp.Basic) else v
    return vals, consts


@lru_cache(maxsize=4096)
def _compiled(expr: sp.Expr):
    """(free symbols, mpmath function) of expr, compiled once."""
    syms = tuple(sorted(expr.free_symbols, key=str))
    return syms, (sp.lambdify(syms, expr, modules="mpmath") if syms else None)


def _eval(expr: sp.Expr, values: dict):
    """expr at ``values`` (Symbol -> mpf) with mpmath; missing symbols -> None."""
    syms, f = _compiled(expr)
    if any(s not in values for s in syms):
        return None
    if not syms:
        return _mp(expr)
    return mpmath.mpf(f(*[values[s] for s in syms]))


def _derive(N: int, values: dict, B_l_value=None) -> dict:
    """Add the derived symbols (definitions) and B_l (ours, or the given value) to ``values``."""
    v = dict(values)
    defs = definitions(N)
    for sym, ex in defs.items():
        if sym == b_s(1):  # B_l is needed from here on
            v[B_l] = B_l_value if B_l_value is not None else _eval(sup_u + eps_l + L_l * E_r * eps_r, v)
        v[sym] = _eval(ex, v)
    return v


def evaluate_values(config: WuConfig, *, eps_r_=None, eps_rp_=None, eps_l_=None, eps_=None, dps: int | None = None,
                    C1_=None, C2_=None, C3_=None, M1_=None, M2_=None, M3_=None, n_=None, eta_=None, L_f_=None,
                    B_l_=None, reading: str = "paper") -> tuple[dict, list, bool]:
    """Symbol -> mpf for every primitive and derived symbol (fast: no bound rows, no identities).

    ``reading``: 'paper' (the paper's definitions only), 'columns' (plus ``column_values``: B_s and E_s with the
    column factor, under the paper's symbols) or 'columns_safe' (plus every symbol of ``definitions_columns_safe``;
    the paper's symbols keep the paper's values).

    Either give eps_r_, eps_rp_, eps_l_ (the approximants' errors; eps := the resulting gradient-error bound),
    or a target eps_ (the proof's choices eps_* = 2 eps / (3 C_*) follow; B_l then uses the a-priori maxima
    eps_*^max computed at B_l = sup|u|, since C_r, C_r' grow with B_l -- our repair of the circularity F14).
    B_l_ and L_f_ replace our choices of those two constants (the paper defines neither).  Also returns the
    constants and whether B_l was given.
    """
    dps = config.precision if dps is None else dps
    given = eps_r_ is not None
    if given == (eps_ is not None) or given and (eps_rp_ is None or eps_l_ is None):
        raise ValueError("give either eps_r_, eps_rp_ and eps_l_, or eps_")
    if reading not in ("paper", "columns", "columns_safe"):
        raise ValueError(f"reading must be 'paper', 'columns' or 'columns_safe', got {reading!r}")
    with mpmath.workdps(dps):
        exact_vals, consts = primitive_values(config, C1_=C1_, C2_=C2_, C3_=C3_, M1_=M1_, M2_=M2_, M3_=M3_,
                                              n_=n_, eta_=eta_, L_f_=L_f_)
        values = {s: _mp(x) for s, x in exact_vals.items()}
        N = config.N
        Bl_given = None if B_l_ is None else _mp(B_l_)
        if given:
            values.update({eps_r: _mp(eps_r_), eps_rp: _mp(eps_rp_), eps_l: _mp(eps_l_)})
            values = _derive(N, values, B_l_value=Bl_given)
            values[eps] = _eval(grad_error().subs(sp.Symbol("N"), N), values)
        else:
            values[eps] = _mp(eps_)
            v0 = _derive(N, {**values, eps_r: mpmath.mpf(0), eps_l: mpmath.mpf(0)})
            emax_r, emax_l = 2 * values[eps] / (3 * v0[C_r]), 2 * values[eps] / (3 * v0[C_l])
            Bl = Bl_given if Bl_given is not None else _eval(sup_u + eps_l + L_l * E_r * eps_r,
                                                             {**v0, eps_r: emax_r, eps_l: emax_l})
            values = _derive(N, {**values, eps_r: emax_r, eps_l: emax_l}, B_l_value=Bl)
            values[eps_r] = 2 * values[eps] / (3 * values[C_r])
            values[eps_rp] = 2 * values[eps] / (3 * values[C_rp])
            values[eps_l] = 2 * values[eps] / (3 * values[C_l])
        values[l] = values[L]
        if reading == "columns":
            values = column_values(values, N)
        elif reading == "columns_safe":
            values = columns_safe_values(values, N)
    return values, consts, Bl_given is not None


def evaluate(config: WuConfig, *, eps_r_=None, eps_rp_=None, eps_l_=None, eps_=None, dps: int | None = None,
             C1_=None, C2_=None, C3_=None, M1_=None, M2_=None, M3_=None, n_=None, eta_=None, L_f_=None,
             B_l_=None) -> Evaluation:
    """Evaluate every bound with mpmath at ``dps`` digits (default: config.precision); see ``evaluate_values``."""
    dps = config.precision if dps is None else dps
    given = eps_r_ is not None
    values, consts, bl_given = evaluate_values(config, eps_r_=eps_r_, eps_rp_=eps_rp_, eps_l_=eps_l_, eps_=eps_,
                                               dps=dps, C1_=C1_, C2_=C2_, C3_=C3_, M1_=M1_, M2_=M2_, M3_=M3_,
                                               n_=n_, eta_=eta_, L_f_=L_f_, B_l_=B_l_)
    with mpmath.workdps(dps):
        N = config.N
        cat = catalogue(N)
        defs = _definitions(N)
        rows = [_row(b, values, defs) for b in cat]
        for r in rows:
            if r["id"] == "wu2025.B_l" and (bl_given or not given):
                r["definition"] = "given (B_l_)" if bl_given else \
                    "sup_u + eps_l^max + L_l E_r eps_r^max, eps_*^max = 2 eps / (3 C_*) at B_l = sup_u (ours, F14)"
        b = next(x for x in cat if x.id == "wu2025.corollary1_1")
        for step in range(config.L + 1):
            rows.append(_row(Bound(f"wu2025.corollary1_1[{step}]", b.expr, b.source, b.latex, b.kind, b.origin,
                                   f"step l = {step}; n as printed"), {**values, l: mpmath.mpf(step)}, defs))
        for iid, ex, zero in identity_results(N):
            num = mpmath.mpf(0) if zero else _eval(sp.expand(expand(ex, definitions(N))), values)
            rows.append({"id": iid, "source": _identity_source(iid), "expression": sp.latex(ex) if not zero else "0",
                         "value": num, "kind": "identity", "origin": "ours" if iid.endswith("_ours") else "paper",
                         "holds": zero, "note": "must simplify to 0"})
        return Evaluation(config, dps, values, rows, consts, "given" if given else "target")


def _identity_source(iid: str) -> str:
    for key, src in (("S_recursion", "Lemma 2, proof p.21"), ("lemma2_induction", "Lemma 2, proof p.21"),
                     ("lemma6", "Lemma 6, proof p.26-28"), ("B_s", "Lemma 6, proof p.27"),
                     ("theorem1", "Theorem 1, proof p.30-31"), ("eps_choice", "Theorem 1, proof p.31"),
                     ("gd_recursion", "ours (Bai et al. 2023, Lemma G.1)")):
        if key in iid:
            return src
    return ""


def _row(b: Bound, values: dict, defs: dict) -> dict:
    v = _eval(b.expr, values)
    row = {"id": b.id, "source": b.source, "expression": b.latex, "value": v, "kind": b.kind, "origin": b.origin,
           "note": b.note, "sympy": str(b.expr)}
    if b.expr in defs:
        row["definition"] = str(defs[b.expr])
    elif b.expr == B_l:
        row["definition"] = str(sup_u + eps_l + L_l * E_r * eps_r)
    if b.id == "wu2025.lemma14":
        row["condition"] = {"printed": "eta <= L_f", "holds": bool(values[eta] <= values[L_f]),
                            "bai_et_al": "eta <= 1/L_f", "holds_bai": bool(values[eta] * values[L_f] <= 1)}
    if v is None:
        row["note"] = (row["note"] + "; " if row["note"] else "") + "not evaluated: an input is missing"
    elif mpmath.isnan(v):
        row["value"] = mpmath.inf
        row["note"] = (row["note"] + "; " if row["note"] else "") + "0*oo: a constant is infinite, the bound is vacuous"
    return row


__all__ = ["Bound", "Evaluation", "catalogue", "definitions", "evaluate", "evaluate_values", "expand", "identities", "is_zero",
           "lemma6_closed_form", "grad_error", "delta_rp", "delta_l", "definitions_columns", "column_values",
           "definitions_columns_safe", "columns_safe_values", "lemma6_closed_form_columns_safe"]
