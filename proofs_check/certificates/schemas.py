"""Whole-domain certificates of our corrected per-layer bounds of Wu et al. on the safe radius: a ``schema`` (the
checker's ``check_schema``) is the chain of ``chains`` with every parameter a symbol, so one certificate covers
every configuration, not one.  ``wu2025.ours.safe_radius`` (the containment the others take as a premise) has one
too: an induction over the layers from the levels and the radius rule by which ``safe_radius`` stops
(``RADIUS_PREMISES``); Theorems 1 and 4 on the safe radius (their gradient error eps^R) share one: Lemma 6's error
chain, then the gradient step of C.16 under the premise that the query gate holds (``_gradient_step``).

``chains.chain_certificate`` certifies a claim for ONE configuration: the sup-defined constants (eps_r, L_r, the
levels) are proven by Arb covers and the pre-activations' containment in [-R, R] is decided in Arb.  Here the
same proof steps (Lemma 2's recursion e_j <= eps_r + L_r B_v sqrt(K) e_{j-1}, Lemma 3's and Lemma 4's steps,
Lemma 6's recursion with the column factor and its product-difference step) are composed symbolically in
B_v, eps_r, eps_r', eps_l, L_r, L_r', L_l, ubar_R (nonnegative reals) and sqrt(K), sqrt(d) >= 1 (any reals, so
every integer width), for each depth N in ``DEPTHS``, and compared with the claim's own formulas
(``symbolic.wu2025.bounds``): the checker expands both sides in every case of the split sqrt(K) <= sqrt(d) /
sqrt(d) <= sqrt(K) (which settles P = max(sqrt K, sqrt d)) and accepts when the difference is a polynomial with
nonnegative coefficients in nonnegative variables.  The maxima E_r, B_s^R, E_s^{.,R} stay atoms, lowered to one
named argument where the bound needs it (the proof's "E_r >= sqrt(K) S_j").

What the symbols stand for are the axioms ``PREMISES``: the claim's hypotheses and the definitions of its
constants (eps_r the approximant's sup error on [-R, R], L_r the sup of |r'| there, every pre-activation inside
our safe radius, the residuals inside the loss interpolant's interval, the query gate).  They are listed, not
checked, as a chain's axioms are; per configuration they are exactly what ``chains`` decides in Arb (the safe
radius also has its own schema, from how ``safe_radius`` computes R), so the certificates together separate the
algebra (proven here for every configuration) from the configuration's constants (proven there for the audited
ones).
"""
from __future__ import annotations

import copy
import json
from functools import lru_cache

import sympy as sp

from symbolic.wu2025 import bounds as B

from ..checker import check_certificate
from .chains import AXIOMS, definition_lines, needed_symbols
from .common import base, text
from .wu2025 import name_of

DEPTHS = (1, 2, 3, 4, 5)          # the claims' declared space has N in (2, 3, 4)
SCHEMA_CLAIMS = {"wu2025.ours.safe_radius": 1, "wu2025.lemma2.safe": 2, "wu2025.lemma3.safe": 3, "wu2025.lemma4.safe": 4,
                 "wu2025.lemma6.bound.columns_safe": 6, "wu2025.lemma6.error.columns_safe": 7,
                 "wu2025.theorem1.grad_error.columns_safe": 8, "wu2025.theorem4.columns_safe": 8}

PREMISES = {
    "approximable": "eps_r >= sup_{[-R, R]} |r - rbar| and eps_r' >= sup_{[-R', R']} |r' - rbar'| (Definition 4, "
                    "the claim's hypothesis on its approximants; per configuration the construction's errors are "
                    "certified by Arb enclosures: wu2025.sup_error.r, .rp)",
    "smooth": "L_r = sup_{[-R, R]} |r'|, L_r' = sup_{[-R', R']} |r''|, L_l = sup |phi''| on the loss interpolant's "
              "residual interval, ubar_R = sup_{|z| <= sup_{[-R, R]} |r| + B_y} |phi'| (the claim's constants, "
              "defined as these sups; r in C^4)",
    "safe radius": "every pre-activation v_jk^T pbar_i(j-1) and v_jk^T p_i(j-1) (every j, k, token i, prompt) lies in "
                   "[-R, R] and in [-R', R'] (the claim's hypothesis: our safe radius is defined so; for [-R, R] "
                   "this is wu2025.ours.safe_radius, whose own schema proves it for every configuration from the "
                   "premises 'levels' and 'radius rule'; each per-configuration chain decides it in Arb)",
    "residual interval": "the residuals pbar_i(N)[k] - y_i[k] and p_i(N)[k] - y_i[k] lie in the loss interpolant's "
                         "interval, where eps_l >= sup |ubar1 - phi'| (0 for the square loss's exact units) and L_l "
                         "bounds |phi''| (decided per configuration by the chain certificates)",
    "query gate": "every unit of the gated loss MLP (C.14) is inactive at the query (t = 0, y_{n+1} = 0), so "
                  "gbar_{n+1} = 0 and sbar_{n+1}(j) = 0: the query's term of the construction's gradient step is 0 "
                  "(wu2025.theorem1.query_gate.safe: Definition 4's ||a||_1 <= 1 units and R3' >= every entry of "
                  "[pbar(N); y; 1]; each per-configuration chain decides it in Arb)",
}

ORDERS = [["sqrtK", "sqrtd"]]

RADIUS_PREMISES = {
    "hypotheses": "||x_i||_2 <= B_x for every token i in [n+1] (the query too) and ||v_jk||_2 <= B_v for every row "
                  "(the claim's hypotheses)",
    "network": "Definition 2: p_i(0) = x_i and p_i(j)[k] = r(v_jk^T p_i(j-1)); p(j) has K entries for j < N",
    "levels": "S_j >= sup_{|t| <= rho_j} |r(t)| and S_j >= sup_{|t| <= rho_j} |rbar(t)|, rbar the construction's "
              "interpolant on [-R, R] (safe_radius's levels, in exact rationals: sup |r| from the activation's "
              "closed form with a 1e-30 relative margin, sup |rbar| from the interpolant's node values, rbar being "
              "linear between them)",
    "radius rule": "rho_1 >= B_v B_x, rho_j >= B_v sqrt(K) S_{j-1} (j = 2..N) and R >= rho_j for every j "
                   "(safe_radius returns R only when every rho_j, rounded up to 1e-6, is <= R, compared exactly); "
                   "written rho_1 = B_v B_x + s_1, rho_j = B_v sqrt(K) S_{j-1} + s_j, R = max_j rho_j + u with "
                   "slacks s_j, u >= 0, so the schema holds for every such R",
}


def _radius_part(N: int) -> dict:
    """Our safe radius at depth N: |v_1k^T x_i| <= B_v B_x <= rho_1 and, while |v_jk^T p(j-1)| <= rho_j, every entry
    of pbar(j) and p(j) is at most the level S_j, so |v_(j+1)k^T p(j)| <= B_v sqrt(K) S_j <= rho_(j+1) <= R."""
    prog = [["c_rho_1", "B_v*B_x + s_1"]] + [[f"c_rho_{j}", f"B_v*sqrtK*S_{j - 1} + s_{j}"] for j in range(2, N + 1)]
    prog += [["c_Rmax", "Max(" + ", ".join(f"c_rho_{j}" for j in range(1, N + 1)) + ")"], ["c_R", "c_Rmax + u"]]
    qs = [_q("a_1", "max over prompts, tokens i in [n+1], k of |v_1k^T x_i|", "B_v*B_x",
             ["Cauchy-Schwarz", "hypotheses", "nonnegative"])]
    for j in range(1, N):
        qs.append(_q(f"h_{j}", f"max over prompts, tokens, k of |pbar_i({j})[k]| and |p_i({j})[k]|", f"S_{j}",
                     ["construction", "network", "levels", "nonnegative"],
                     requires=[[f"a_{j}", "<=", f"c_rho_{j}"]]))
        qs.append(_q(f"a_{j + 1}", f"max over prompts, tokens, k of |v_{j + 1}k^T pbar_i({j})| and "
                                   f"|v_{j + 1}k^T p_i({j})|", f"B_v*sqrtK*h_{j}",
                     ["Cauchy-Schwarz", "hypotheses", "nonnegative"]))
    concl = [[f"a_{j}", "<=", "c_R", {"c_Rmax": f"c_rho_{j}"}] for j in range(1, N + 1)]
    return {"label": f"N = {N}", "N": N, "program": prog, "quantities": qs, "conclusions": concl}


def _radius_symbols(depths) -> dict:
    top = max(depths)
    return {"B_v": "nonnegative", "B_x": "nonnegative", "sqrtK": "atleast1", "u": "nonnegative",
            **{f"S_{j}": "nonnegative" for j in range(1, top)}, **{f"s_{j}": "nonnegative" for j in range(1, top + 1)}}


def _symbols(which: int) -> dict:
    out = {"B_v": "nonnegative", "epsilon_r": "nonnegative", "L_r": "nonnegative",
           "sqrtK": "atleast1", "sqrtd": "atleast1"}
    if which in (3, 6, 7, 8):
        out.update({"epsilon_rp": "nonnegative", "L_rp": "nonnegative"})
    if which in (4, 6, 7, 8):
        out.update({"epsilon_l": "nonnegative", "L_l": "nonnegative"})
    if which in (6, 7, 8):
        out["bar_u_R"] = "nonnegative"
    if which == 8:
        out.update({"B_x": "nonnegative", "bar_r_R": "nonnegative"})
    return out


def _program(N: int, exprs: list, columns: bool) -> tuple[list, dict]:
    """Program lines c_<name> = the claim's definition for every derived symbol ``exprs`` need (bounds.py), the
    primitives as the schema's symbols (K = sqrtK^2, d = sqrtd^2), and the renaming of bounds.py's symbols."""
    defs = {**B.definitions(N), **(B.definitions_columns_safe(N) if columns else {})}
    needed = needed_symbols(defs, exprs)
    ren = {s: sp.Symbol(name_of(s)) for s in needed - set(defs)}
    ren.update({B.K: sp.Symbol("sqrtK") ** 2, B.d: sp.Symbol("sqrtd") ** 2})
    ren.update({s: sp.Symbol("c_" + name_of(s)) for s in needed & set(defs)})
    return definition_lines(defs, needed, ren), ren


def _q(name, means, bound, axiom, **extra) -> dict:
    return {"name": name, "means": means, "bound": bound, "axiom": axiom, **extra}


def _part(which: int, N: int) -> dict:
    """The proof of the claim at depth N, every other parameter a symbol."""
    width = lambda j: "sqrtK" if j < N else "sqrtd"                      # noqa: E731 - sqrt(K_j)
    col = lambda j: "sqrtK**2" if j < N else "sqrtd**2"                  # noqa: E731 - K_j (the column sum)
    lemma = ["construction", "sup", "mean value", "Cauchy-Schwarz", "triangle", "nonnegative", "approximable",
             "smooth", "safe radius"]
    qs = [_q("e_1", "max over prompts, tokens i, k of |pbar_i(1)[k] - p_i(1)[k]|", "epsilon_r",
             ["construction", "sup", "nonnegative", "approximable", "safe radius"])]
    for j in range(2, N + 1):
        qs.append(_q(f"e_{j}", f"max over prompts, tokens, k of |pbar_i({j})[k] - p_i({j})[k]|",
                     f"epsilon_r + L_r*B_v*sqrtK*e_{j - 1}", lemma))
    for j in range(1, N + 1):
        qs.append(_q(f"n_{j}", f"max over prompts, tokens i of ||pbar_i({j}) - p_i({j})||_2", f"{width(j)}*e_{j}",
                     ["Cauchy-Schwarz", "nonnegative"]))
    exprs: dict = {}
    if which == 2:
        for j in range(1, N + 1):
            exprs[f"n_{j}"] = (sp.sqrt(B.K if j < N else B.d) * B.S(j) * B.eps_r, {})
    targets = [e for e, _ in exprs.values()]
    prog_exprs = list(targets)
    if which >= 3:
        prog_exprs += [B.E_r, B.S(N)] + [B.S(j) for j in range(1, N + 1)]
    if which == 3:
        prog_exprs.append(B.delta_rp())
    if which == 4:
        prog_exprs.append(B.delta_l())
    if which >= 6:
        prog_exprs += [B.B_s_R] + [B.b_s_R(j) for j in range(1, N + 1)] + [B.delta_rp(), B.delta_l()]
    if which >= 7:
        prog_exprs += [B.E_s_r_R, B.E_s_rp_R, B.E_s_l_R] + [B.T_R(w, j) for w in ("r", "rp", "l")
                                                             for j in range(1, N + 1)]
    if which == 8:
        prog_exprs += [B.eps_R, B.B_r_R, B.P]
    prog, ren = _program(N, prog_exprs, which >= 6)
    t = lambda e: text(sp.sympify(e).xreplace(ren))                      # noqa: E731
    concl = [[q, "<=", t(e), h] for q, (e, h) in exprs.items()]
    if which >= 3:      # the proof's E_r eps_r: every ||pbar(j) - p(j)||_2 and e_N (E_r >= sqrt(K_j) S_j, >= S_N)
        via = [{"c_E_r": t(sp.sqrt(B.K if j < N else B.d) * B.S(j))} for j in range(1, N + 1)]
        qs.append(_q("nE", "max over prompts, tokens, j of ||pbar_i(j) - p_i(j)||_2", "c_E_r*epsilon_r",
                     ["nonnegative"], covers=[f"n_{j}" for j in range(1, N + 1)], via=via))
        qs.append(_q("eE", f"max over prompts, tokens, k of |pbar_i({N})[k] - p_i({N})[k]|", "c_E_r*epsilon_r",
                     ["nonnegative"], covers=[f"e_{N}"], via=[{"c_E_r": t(sp.sqrt(B.d) * B.S(N))}]))
    if which in (3, 6, 7, 8):
        qs.append(_q("dp", "max over prompts, tokens, j, k of |rbar'_i(j-1)[k] - r'_i(j-1)[k]| (||pbar(0) - p(0)|| "
                           "= 0)", "epsilon_rp + L_rp*B_v*nE", lemma))
    if which in (4, 6, 7, 8):
        qs.append(_q("gq", "max over prompts, in-context tokens i in [n], k of |gbar_i[k] - u(p_i(N), y_i)[k]|",
                     "epsilon_l + L_l*eE", ["construction", "sup", "mean value", "triangle", "nonnegative",
                                            "lifted units", "residual interval", "smooth"]))
    if which == 3:
        concl.append(["dp", "<=", t(B.delta_rp()), {}])
    if which == 4:
        concl.append(["gq", "<=", t(B.delta_l()), {}])
    if which >= 6:
        qs.append(_q("ra", "max over prompts, tokens, j, k of |rbar'_i(j-1)[k]| and |r'_i(j-1)[k]|",
                     "L_r + epsilon_rp", ["construction", "sup", "triangle", "nonnegative", "approximable",
                                          "smooth", "safe radius"]))
        qs.append(_q("ga", "max over prompts, in-context tokens, k of |gbar_i[k]| and |g_i[k]| (|p_i(N)[k]| <= "
                           "sup_[-R, R] |r|, |y_i[k]| <= B_y)", "bar_u_R + gq",
                     ["sup", "triangle", "nonnegative", "smooth", "safe radius"]))
        qs.append(_q(f"m_{N}", f"max over prompts, in-context tokens, k of |sbar_i({N})[k]| and |s_i({N})[k]|",
                     "ra*ga", ["recursion", "nonnegative"]))
        for j in range(N - 1, 0, -1):
            qs.append(_q(f"m_{j}", f"max over prompts, in-context tokens, k of |sbar_i({j})[k]| and |s_i({j})[k]|",
                         f"ra*{col(j + 1)}*B_v*m_{j + 1}", ["recursion", "column sum", "nonnegative"]))
        hint = lambda j: {"c_B_s_R": t(B.b_s_R(j))}                    # noqa: E731 - B_s^R >= its j-th term
        if which == 6:
            concl += [[f"m_{j}", "<=", t(B.B_s_R), hint(j)] for j in range(1, N + 1)]
    if which >= 7:
        qs.append(_q("mS", "max over prompts, in-context tokens, j, k of |sbar_i(j)[k]| and |s_i(j)[k]|",
                     "c_B_s_R", ["nonnegative"], covers=[f"m_{j}" for j in range(1, N + 1)],
                     via=[hint(j) for j in range(1, N + 1)]))
        qs.append(_q(f"es_{N}", f"max over prompts, in-context tokens, k of |sbar_i({N})[k] - s_i({N})[k]|",
                     "dp*ga + L_r*gq", ["recursion", "product difference", "sup", "triangle", "nonnegative",
                                        "smooth", "safe radius"]))
        for j in range(N - 1, 0, -1):
            qs.append(_q(f"es_{j}", f"max over prompts, in-context tokens, k of |sbar_i({j})[k] - s_i({j})[k]|",
                         f"dp*{col(j + 1)}*B_v*mS + L_r*{col(j + 1)}*B_v*es_{j + 1}",
                         ["recursion", "product difference", "column sum", "sup", "triangle", "nonnegative",
                          "smooth", "safe radius"]))
        target = t(B.E_s_r_R * B.eps_r + B.E_s_rp_R * B.eps_rp + B.E_s_l_R * B.eps_l)
        es_hint = lambda j: {f"c_{name_of(s)}": t(B.T_R(w, j)) for s, w in ((B.E_s_r_R, "r"),   # noqa: E731
                                                                            (B.E_s_rp_R, "rp"), (B.E_s_l_R, "l"))}
        if which == 7:
            concl += [[f"es_{j}", "<=", target, es_hint(j)] for j in range(1, N + 1)]
        else:
            _gradient_step(qs, concl, N, t, width, target, [es_hint(j) for j in range(1, N + 1)])
    return {"label": f"N = {N}", "N": N, "program": prog, "quantities": qs, "conclusions": concl}


def _gradient_step(qs: list, concl: list, N: int, t, width, s_err: str, es_hints: list) -> None:
    """Theorem 1's step (proof p. 30) on the safe radius: ||Abar(j) - A(j)||_F <= (sqrt(K_j) |sbar(j) - s(j)|
    ||pbar(j-1)||_2 + sqrt(K_j) |s(j)| ||pbar(j-1) - p(j-1)||_2) / 2 (n in-context terms over 2n, the query's 0), with
    ||pbar(j-1)||_2 <= P B_r^R + E_r eps_r and the maxima over j of the other factors; then the sum over j."""
    qs.append(_q("esS", "max over prompts, in-context tokens, j, k of |sbar_i(j)[k] - s_i(j)[k]|", s_err,
                 ["nonnegative"], covers=[f"es_{j}" for j in range(1, N + 1)], via=es_hints))
    for j in range(1, N + 1):
        pn = "B_x" if j == 1 else f"sqrtK*bar_r_R + n_{j - 1}"
        qs.append(_q(f"pn_{j}", f"max over prompts, tokens i of ||pbar_i({j - 1})||_2 (|p_i({j - 1})[k]| <= sup_[-R, R] "
                                f"|r|)", pn, ["construction", "sup", "Cauchy-Schwarz", "triangle", "nonnegative",
                                              "safe radius"]))
    via = [{"c_B_r_R": "B_x"}] + [{"c_B_r_R": "bar_r_R", "c_E_r": t(sp.sqrt(B.K) * B.S(j - 1))}
                                  for j in range(2, N + 1)]
    qs.append(_q("pnS", "max over prompts, tokens, j of ||pbar_i(j-1)||_2", t(B.P * B.B_r_R + B.E_r * B.eps_r),
                 ["nonnegative"], covers=[f"pn_{j}" for j in range(1, N + 1)], via=via))
    for j in range(1, N + 1):
        second = f" + {width(j)}*mS*nE" if j > 1 else ""
        qs.append(_q(f"A_{j}", f"max over prompts of ||Abar({j}) - A({j})||_F, A({j}) = (1/2n) sum_{{i in [n]}} "
                               f"s_i({j}) p_i({j - 1})^T, Abar({j}) the construction's step",
                     f"({width(j)}*esS*pnS{second})/2", ["gradient step", "query gate", "product difference",
                                                          "Cauchy-Schwarz", "triangle", "nonnegative"]))
    qs.append(_q("G", "max over prompts of ||gradbar L_n(w) - grad L_n(w)||_2 (the blocks A(1..N) stacked)",
                 " + ".join(f"A_{j}" for j in range(1, N + 1)), ["triangle", "nonnegative"]))
    concl.append(["G", "<=", t(B.eps_R), {}])


def schema_certificate(claim_id: str, config=None, depths=DEPTHS) -> tuple:
    """A ``schema`` certificate of one of ``SCHEMA_CLAIMS`` for every configuration (``config`` is ignored: the
    certificate does not depend on it), depth by depth; (None, reason) when the checker does not accept it."""
    which = SCHEMA_CLAIMS.get(claim_id)
    if which is None:
        return None, f"no whole-domain schema for {claim_id}"
    if which == 1:
        return _radius_certificate(claim_id, depths)
    uses = {2: ("approximable", "smooth", "safe radius"), 3: ("approximable", "smooth", "safe radius"),
            4: ("approximable", "smooth", "safe radius", "residual interval"),
            6: tuple(PREMISES), 7: tuple(PREMISES), 8: (*PREMISES, "query gate")}[which]
    keep = {"construction", "sup", "mean value", "Cauchy-Schwarz", "triangle", "nonnegative"}
    if which >= 4:
        keep.add("lifted units")
    if which >= 6:
        keep |= {"recursion", "column sum", "product difference"}
    if which == 8:
        keep.add("gradient step")
    axioms = {**{k: v for k, v in AXIOMS.items() if k in keep}, **{k: PREMISES[k] for k in uses}}
    parts = _parts(which, tuple(depths))
    scope = (f"every configuration at depth N in {list(depths)}, symbolic in everything else (widths K, d >= 1, "
             f"B_v, eps_r, L_r, ... >= 0; any C^4 activation, knots, prompt, weights), given the premises "
             f"{', '.join(repr(u) for u in uses)} (the claim's hypotheses and its constants' definitions; the "
             f"per-configuration chains decide them in Arb); the declared space has N in [2, 3, 4]")
    return _accepted(base("schema", claim_id, 128, symbols=_symbols(which), orders=ORDERS, axioms=axioms,
                          parts=parts, scope=scope, whole_domain=True, premises=list(uses)))


_ACCEPTED: dict = {}


def _accepted(cert: dict) -> tuple:
    """(a copy of cert, 'ok') when the checker accepts it, else (None, why); checked once per process for each
    content (Theorems 1 and 4 share one schema)."""
    key = json.dumps({k: v for k, v in cert.items() if k != "claim"}, sort_keys=True)
    if key not in _ACCEPTED:
        res = check_certificate(cert)
        _ACCEPTED[key] = None if res.ok else res.reason
    if _ACCEPTED[key] is not None:
        return None, f"{cert['claim']}: the whole-domain schema resists: {_ACCEPTED[key]}"
    return copy.deepcopy(cert), "ok"


@lru_cache(maxsize=32)
def _parts(which: int, depths: tuple) -> list:
    return [_part(which, N) for N in depths]


def _radius_certificate(claim_id: str, depths) -> tuple:
    """The schema of ``wu2025.ours.safe_radius``: containment in [-R, R] by induction over the layers."""
    uses = ("levels", "radius rule")
    axioms = {**{k: AXIOMS[k] for k in ("construction", "Cauchy-Schwarz", "nonnegative")}, **RADIUS_PREMISES}
    scope = (f"every configuration at depth N in {list(depths)}, symbolic in B_v, B_x >= 0, sqrt(K) >= 1, the "
             f"levels S_j and the radius (any activation, knots, prompt, weights, n), given the premises "
             f"{', '.join(repr(u) for u in uses)} (how safe_radius computes R, in exact rationals); the declared space "
             f"has N in [2, 3, 4]")
    return _accepted(base("schema", claim_id, 128, symbols=_radius_symbols(depths), orders=[], axioms=axioms,
                          parts=[_radius_part(N) for N in depths], scope=scope, whole_domain=True,
                          premises=list(uses)))
