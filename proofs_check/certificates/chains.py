"""Certified verdicts for Wu et al.: enclosure certificates of the approximants' sup errors, and chain certificates
of our corrected per-layer bounds on the safe radius (``wu2025.lemma2.safe``, ``lemma3.safe``, ``lemma4.safe``,
Lemma 6's bound and error bound with the column factor, ``lemma6.bound.columns_safe``, ``lemma6.error.columns_safe``)
and of the gradient-error bound built on them (``theorem1.grad_error.columns_safe``, ``theorem4.columns_safe``).

A chain certifies a claim for ONE configuration (activation, N, K, d_x, d_y, B_v, B_x, B_y, the construction's
approximants with M knots on the safe radius R) over the claim's whole hypothesis domain in the data: every
prompt with ||x_i||_2 <= B_x (all n+1 tokens), ||y_i||_2 <= B_y, every weight vector with ||v_jk||_2 <= B_v, and
every n >= 1.  Its steps are the proof of Lemma 2 (3.9) written out:

    e_1 <= eps,  e_j <= eps + L_r B_v sqrt(K) e_{j-1}   (the coordinate errors of pbar(j); C.7, the sup, the
                                                        mean value theorem, Cauchy-Schwarz)
    ||pbar(j) - p(j)||_2 <= sqrt(K_j) e_j               (norm equivalence)

under the conditions that every pre-activation lies in [-R, R] (certified: B_v B_x <= R and
B_v sqrt(K) max(sup_{|t| <= rho_{j-1}} |rbar|, sup_{|t| <= rho_{j-1}} |r|) <= R, with the sups as certified
constants: the interpolant stays within its node values, so |pbar(j-1)[k]| needs no eps_r slack), then Lemma 3's
|rbar'(j-1) - r'(j-1)| <= eps' + L_r' B_v ||pbar(j-1) - p(j-1)||_2 and Lemma 4's |g - u| <= eps_l + L_l e_N.  The
constants eps, eps', L_r, L_r', L_l and the levels are sup-defined and proven by covers (Arb branch and bound);
the conclusion compares the composed bound with the claim's bound at the claim's own constants (the certified sup
error the construction reports, the exact Lipschitz constants).  Lemma 6's B_s^R (``lemma6.bound.columns_safe``)
adds |rbar'|, |r'| <= L_r + eps_r', |gbar|, |g| <= sup_{|z| <= lev_N + B_y} |phi'| + eps_l + L_l e_N, and the
recursion with the column step |(V^T a)[k]| <= K_{j+1} B_v max|a|.  Lemma 6's error bound with the column factor
(``lemma6.error.columns_safe``) adds the product-difference step of the same recursion:

    es_N <= dp_N |gbar| + L_r gq,   es_j <= dp_j K_{j+1} B_v m_{j+1} + L_r K_{j+1} B_v es_{j+1}

(dp_j Lemma 3's step, gq Lemma 4's, m_j the B_s^R chain's), and the gradient error of Theorem 1 / 4 on the safe radius
(``theorem1.grad_error.columns_safe``, ``theorem4.columns_safe``) the step of C.16, ||Abar(j) - A(j)||_F <=
(sqrt(K_j) es_j ||pbar(j-1)||_2 + sqrt(K_j) m_j n_{j-1}) / 2 summed over j, under a checked condition that every unit
of the gated loss MLP is inactive at the query (so the query's term of the construction's sum is 0).  The paper's
Lemma 6 on the safe radius alone resists (``LEMMA6``).
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp

from symbolic.activations import T, get_activation
from symbolic.losses import Z, get_loss
from symbolic.wu2025 import bounds as B
from symbolic.wu2025 import constants as C

from ..checker import check_certificate
from .common import (BITS, CoverFailed, base, cover, exact, exactify, q, sup_constant, text)
from .wu2025 import Max0, _checker_functions, name_of

AXIOMS = {
    "construction": "The construction's layers compute the approximant semantics exactly: layer j (C.7)-(C.8) writes "
                    "pbar_i(j)[k] = rbar(v_jk^T pbar_i(j-1)) with pbar_i(0) = x_i, the derivative layer (C.11) writes "
                    "rbar'_i(j-1)[k] = rbar'(v_jk^T pbar_i(j-1)), and for in-context tokens (t = 1) the gated loss "
                    "MLP (C.14) writes g_i[k] = ubar(pbar_i(N)[k], y_i[k]); for every n, every token (the score does "
                    "not depend on the key token, whose w slot holds the same w; the 1/(n+1) normalisation cancels).",
    "sup": "For z in [-R, R]: |f(z) - fbar(z)| <= sup_{[-R, R]} |f - fbar| (definition of the sup).",
    "mean value": "For a, b in [-R, R] and f differentiable: |f(a) - f(b)| <= sup_{[-R, R]} |f'| |a - b|.",
    "Cauchy-Schwarz": "|v^T a| <= ||v||_2 ||a||_2 and ||a||_2 <= sqrt(m) max_k |a_k| for a in R^m.",
    "triangle": "|a - c| <= |a - b| + |b - c|.",
    "nonnegative": "Every quantity of the chain is a maximum of absolute values or norms, hence >= 0.",
    "lifted units": "If every unit of ubar has a_h1 = -a_h0, ubar(t, y) = sum_h c_h relu(a_h0 (t - y) + a_h2) = "
                    "ubar1(t - y), and |ubar(t, y) - phi'(t - y)| <= sup |ubar1 - phi'| on the interval holding t - y.",
    "product difference": "|a b - c d| <= |a - c| |b| + |c| |b - d| (add and subtract c b; triangle), entrywise.",
    "gradient step": "The construction's gradient-step layer (C.16) writes (1/2n) sum_{i in [n+1]} sbar_i(j) "
                     "pbar_i(j-1)^T (the ReLU attention's 1/(n+1) rescaled), and sbar_{n+1}(j) = 0 when the query's "
                     "gated loss units are all inactive (then gbar_{n+1} = 0 and the EWML recursion keeps 0); the "
                     "reference gradient of L_n is (1/2n) sum_{i in [n]} s_i(j) p_i(j-1)^T (u = phi'); "
                     "||a b^T||_F = ||a||_2 ||b||_2.",
    "column sum": "For V in R^{m x K'} with rows v_l, ||v_l||_2 <= B_v: |(V^T a)[k]| = |sum_l V[l, k] a[l]| <= m B_v "
                  "max_l |a[l]| (each |V[l, k]| <= ||v_l||_2; the sum runs over the k-th column, m terms).",
    "recursion": "Definition 3 / (3.6) and the EWML layers (Lemma 5, exact products): s(N) = r'(N-1) (.) u, s(j) = "
                 "r'(j-1) (.) (V_{j+1}^T s(j+1)); the construction's sbar follows the same recursion with rbar' and "
                 "gbar (for in-context tokens).",
}

LEMMA6 = ("wu2025.lemma6.error.safe resists: the paper's recursion for s(j) (Lemma 6, p. 27) bounds "
          "|(V_{j+1}^T s(j+1))[k]| by B_v P max|s(j+1)| with the k-th ROW of V_{j+1} (the step "
          "wu2025.lemma6.bound refutes); the correct step uses the k-th column, |(V^T s)[k]| <= K_{j+1} B_v max|s|, "
          "and B_l bounds |g| only where |pbar(N)[k] - y[k]| <= 2 R3 with the paper's R3, which the safe radius does "
          "not give. The stated E_s constants are therefore not the composition of valid steps; the claim stays "
          "'searched'.")


_SETUPS: dict = {}


def _setup(cfg):
    """(approximants, eps_r, eps_r', eps_l) of the construction for ``cfg``: ``build_approximants`` and the certified
    sup errors of ``numeric.precision.certify_sup_error`` (what the audits' set-up computes; eps_l = 0 for the square
    loss's exact units)."""
    from numeric.precision import certify_sup_error
    from symbolic.wu2025.approximants import build_approximants

    key = repr(cfg)
    if key not in _SETUPS:
        a = build_approximants(cfg)
        eps_l = 0 if cfg.loss == "square" else certify_sup_error(_loss_interpolant(cfg)).upper
        _SETUPS[key] = (a, certify_sup_error(a.r).upper, certify_sup_error(a.rp).upper, eps_l)
    return _SETUPS[key]


def _loss_interpolant(cfg):
    """The 1-D interpolant of phi' on the residual interval that the construction lifts to its u units (z = t - y),
    as ``build_approximants`` builds it."""
    from symbolic.sum_of_relu import interpolant, to_fraction

    return interpolant(get_loss(cfg.loss).dphi, Z, to_fraction(sp.Rational(C.residual_radius(cfg))), int(cfg.knots))


def _config(config):
    from symbolic.wu2025.config import WuConfig

    if isinstance(config, dict):
        keys = WuConfig.__dataclass_fields__
        return WuConfig(**{k: v for k, v in config.items() if k in keys})
    return config


def _units_fn(prefix: str, units, nargs: int) -> str:
    args = [sp.Symbol("t"), sp.Symbol("y")][:nargs]
    terms = []
    for m, u in enumerate(units):
        lin = sp.Add(*[sp.Symbol(f"{prefix}A_{m}_{k}") * a for k, a in enumerate(args)],
                     sp.Symbol(f"{prefix}A_{m}_{nargs}"))
        terms.append(sp.Symbol(f"{prefix}C_{m}") * Max0(lin))
    return text(sp.Add(*terms, evaluate=False))


def _unit_data(prefix: str, units, data: dict) -> None:
    data[f"{prefix}A"] = [[q(a) for a in u.a] for u in units]
    data[f"{prefix}C"] = [q(u.c) for u in units]


def sup_error_certificate(config=None, which: str = "r", bound=None) -> tuple:
    """An enclosure certificate of |target - approximant| <= bound on the approximant's domain [-R, R] (Definition
    4; ``which`` 'r' or 'rp'); ``bound`` defaults to the certified sup error the construction reports."""
    cfg = _config(config)
    a, eps_r, eps_rp, _ = _setup(cfg)
    approx = a.r if which == "r" else a.rp
    act = get_activation(cfg.activation)
    target = act.expr if which == "r" else act.derivative(1)
    lo, hi = approx.domain
    data = {"R": q(hi)}
    _unit_data("a", approx.units, data)
    bnd = exact(bound if bound is not None else (eps_r if which == "r" else eps_rp))
    functions = {"f": {"args": ["t"], "body": text(target.subs(T, sp.Symbol("t")))},
                 "fbar": {"args": ["t"], "body": _units_fn("a", approx.units, 1)}}
    data["bound"] = q(bnd)
    try:
        cov = cover("f(t) - fbar(t)", "t", hi, bnd, data, functions, lo=lo)
    except CoverFailed as exc:
        return None, f"the enclosure of |{which} - {which}bar| resists: {exc}"
    cert = base("enclosure", f"wu2025.sup_error.{which}", BITS, data=data, functions=functions,
                domain={"t": [q(lo), q(hi)]}, function="f(t) - fbar(t)", relation="abs<=", bound="bound",
                order=cov["order"], boxes=cov["boxes"],
                scope=f"sup over [{float(lo):.6g}, {float(hi):.6g}] of |{cfg.activation}{'' if which == 'r' else chr(39)}"
                      f" - its {approx.H - 1}-segment interpolant| <= {float(bnd):.6g} (Definition 4)")
    return cert, "ok"


def _claim_constants(cfg, eps_r, eps_rp, eps_l) -> dict:
    """The claim's primitive constants (exact where SymPy derives them): what its bound is evaluated at."""
    vals, _ = B.primitive_values(cfg)
    out = {s: exactify(sp.nsimplify(v) if isinstance(v, sp.Float) else v) for s, v in vals.items()}
    out[B.eps_r], out[B.eps_rp], out[B.eps_l] = (sp.Rational(*_pq(exact(e))) for e in (eps_r, eps_rp, eps_l))
    return out


def _pq(f: Fraction):
    return f.numerator, f.denominator


def needed_symbols(defs: dict, exprs) -> set:
    """Every symbol the expressions use, with the definitions ``defs`` followed transitively."""
    needed, todo = set(), set().union(*[e.free_symbols for e in exprs])
    while todo:
        s = todo.pop()
        if s not in needed:
            needed.add(s)
            todo |= defs[s].free_symbols if s in defs else set()
    return needed


def definition_lines(defs: dict, needed: set, ren: dict) -> list:
    """Program lines c_<name> = definition (renamed by ``ren``), in dependency order."""
    prog, pending = [], [s for s in defs if s in needed]
    while pending:
        ready = [s for s in pending if not (defs[s].free_symbols & set(pending))]
        for s in ready:
            prog.append([f"c_{name_of(s)}", text(defs[s].xreplace(ren))])
            pending.remove(s)
    return prog


def _claim_program(cfg, exprs: dict, consts: dict, extra_defs: dict | None = None) -> list:
    """Program lines c_<name> = the claim's constant, and the derived symbols the bounds need (bounds.py;
    ``extra_defs``: further definitions, e.g. ``bounds.definitions_columns_safe``)."""
    defs = {**B.definitions(cfg.N), **(extra_defs or {})}
    needed = needed_symbols(defs, exprs.values())
    ren = {s: sp.Symbol("c_" + name_of(s)) for s in needed}
    prog = [[f"c_{name_of(s)}", text(_checker_functions(sp.sympify(consts[s])))]
            for s in sorted(needed - set(defs), key=str) if s in consts]
    missing = [s for s in needed - set(defs) if s not in consts]
    if missing:
        raise ValueError(f"no value for {missing}")
    return prog + definition_lines(defs, needed, ren), ren


# the chain claims -> which chain: 2, 3, 4 Lemmas 2-4; 6 Lemma 6's B_s^R; 7 Lemma 6's error; 8 the gradient error
CHAIN_CLAIMS = {"wu2025.lemma2.safe": 2, "wu2025.lemma3.safe": 3, "wu2025.lemma4.safe": 4,
                "wu2025.lemma6.bound.columns_safe": 6, "wu2025.lemma6.error.columns_safe": 7,
                "wu2025.theorem1.grad_error.columns_safe": 8, "wu2025.theorem4.columns_safe": 8}


def chain_certificate(claim_id: str, config=None) -> tuple:
    cfg = _config(config)
    if cfg.radius != "safe":
        return None, f"{claim_id} is stated on the safe radius, got radius {cfg.radius!r}"
    act = get_activation(cfg.activation)
    if not act.is_Ck(4):
        return None, f"activation {cfg.activation} is not C^4: the claim is not applicable"
    which = CHAIN_CLAIMS[claim_id]
    uses_rp, uses_loss = which in (3, 6, 7, 8), which in (4, 6, 7, 8)     # Lemma 3's r' step, Lemma 4's loss step
    a, eps_r, eps_rp, eps_l = _setup(cfg)
    sh, N, K = cfg.shape, cfg.N, cfg.K
    R, Rp = a.R1, a.R2
    data = {"K": K, "d": cfg.d_out, "d_x": cfg.d_in, "B_v": q(C.exact(cfg.Bv)), "B_x": q(C.exact(cfg.Bx)),
            "B_y": q(C.exact(cfg.By)), "R": q(R), "Rp": q(Rp), "R3": q(exact(a.R3))}
    _unit_data("r", a.r.units, data)
    _unit_data("p", a.rp.units, data)
    _unit_data("u", a.u.units, data)
    loss = get_loss(cfg.loss)
    functions = {
        "r": {"args": ["t"], "body": text(act.expr.subs(T, sp.Symbol("t")))},
        "dr": {"derivative_of": "r", "order": 1}, "d2r": {"derivative_of": "r", "order": 2},
        "rbar": {"args": ["t"], "body": _units_fn("r", a.r.units, 1)},
        "rpbar": {"args": ["t"], "body": _units_fn("p", a.rp.units, 1)},
        "phi": {"args": ["z"], "body": text(_checker_functions(loss.phi.subs(Z, sp.Symbol("z"))))},
        "dphi": {"derivative_of": "phi", "order": 1}, "d2phi": {"derivative_of": "phi", "order": 2},
        "u": {"args": ["t", "y"], "body": "dphi(t - y)"},
        "ubar": {"args": ["t", "y"], "body": _units_fn("u", a.u.units, 2)},
    }
    square = cfg.loss == "square"
    if not square:          # the lifted interpolant of phi': ubar(t, y) = ubar1(t - y) (condition 'lifted units')
        functions["ubar1"] = {"args": ["t"], "body": text(sp.Add(*[
            sp.Symbol(f"uC_{m}") * Max0(sp.Symbol(f"uA_{m}_0") * sp.Symbol("t") + sp.Symbol(f"uA_{m}_2"))
            for m in range(len(a.u.units))], evaluate=False))}
        data["Zr"] = q(a.u.domain[1])     # residual_units keeps the 1-D interpolant's domain
    consts = _claim_constants(cfg, eps_r, eps_rp, eps_l)
    c_eps, c_epsp = exact(eps_r), exact(eps_rp)
    # the chain's constants: certified upper bounds, strictly below the claim's certified errors where possible
    sups, values = [], {}

    def top(j: int) -> str:
        """a bound on |pbar_i(j)[k]| and |p_i(j)[k]|: the sups of |rbar| and |r| at layer j's pre-activations"""
        return f"Max(lev_{j}, levbar_{j})"

    def add(name, fn, radius, margin, below=None):
        c = sup_constant(name, fn, "t", radius, data, functions, env_values=values, rel_margin=margin)
        if below is not None and Fraction(c["value"]) >= below:
            raise CoverFailed((Fraction(0), Fraction(0)), Fraction(c["value"]), below)
        sups.append(c)
        values[name] = Fraction(c["value"])

    try:
        add("epsilon_r", "r(t) - rbar(t)", "R", Fraction(1, 10 ** 9), c_eps)
        add("L_r", "dr(t)", "R", Fraction(1, 10 ** 12))
        for j in range(1, N):
            radius = "B_v*B_x" if j == 1 else f"B_v*sqrt(K)*{top(j - 1)}"
            add(f"lev_{j}", "r(t)", radius, Fraction(1, 10 ** 9))
            add(f"levbar_{j}", "rbar(t)", radius, Fraction(1, 10 ** 9))
        if uses_rp:
            add("epsilon_rp", "dr(t) - rpbar(t)", "Rp", Fraction(1, 10 ** 9), c_epsp)
        if which in (3, 7, 8):
            add("L_rp", "d2r(t)", "Rp", Fraction(1, 10 ** 12))
        if uses_loss:
            if square:
                sups.append({"name": "epsilon_l", "function": "ubar(t, y) - u(t, y)", "vars": ["t", "y"],
                             "identity": True, "value": "0"})
            else:
                add("epsilon_l", "dphi(t) - ubar1(t)", "Zr", Fraction(1, 10 ** 9), exact(eps_l))
            radius = "B_v*B_x" if N == 1 else f"B_v*sqrt(K)*{top(N - 1)}"
            add(f"lev_{N}", "r(t)", radius, Fraction(1, 10 ** 9))
            add(f"levbar_{N}", "rbar(t)", radius, Fraction(1, 10 ** 9))
            # residuals pbar_i(N)[k] - y_i[k] and p_i(N)[k] - y_i[k] lie in [-rho, rho]: phi' is L_l-Lipschitz there
            add("L_l", "d2phi(t)", f"{top(N)} + B_y", Fraction(1, 10 ** 12))
        if which in (6, 7, 8):
            # |g_i[k]| = |u(p_i(N), y_i)[k]| = |phi'(p_i(N)[k] - y_i[k])|: the exact network's |p_i(N)[k]| <= lev_N
            add("U_l", "dphi(t)", f"lev_{N} + B_y", Fraction(1, 10 ** 12))
    except CoverFailed as exc:
        return None, (f"{claim_id} resists for this configuration: a certified constant is not below the claim's "
                      f"value or its cover does not close ({exc})")
    # conditions: every pre-activation (construction and exact) in [-R, R] (and [-Rp, Rp] for r')
    conds = [["layer 1", "|v_1k^T x_i| <= B_v B_x <= R", "B_v*B_x", "<=", "R"]]
    for j in range(2, N + 1):
        conds.append([f"layer {j}", f"|v_{j}k^T pbar(j-1)|, |v_{j}k^T p(j-1)| <= B_v sqrt(K) max(sup_{{|t| <= "
                      f"rho_{j - 1}}} |rbar|, sup |r|) <= R",
                      f"B_v*sqrt(K)*{top(j - 1)}", "<=", "R"])
    if uses_rp:
        conds.append(["layer 1 (r')", "B_v B_x <= R'", "B_v*B_x", "<=", "Rp"])
        for j in range(2, N + 1):
            conds.append([f"layer {j} (r')", "the same pre-activations in [-R', R']",
                          f"B_v*sqrt(K)*{top(j - 1)}", "<=", "Rp"])
    loss_needs = []
    if uses_loss and not square:
        lifted = ", ".join(f"Abs(uA_{m}_0 + uA_{m}_1)" for m in range(len(a.u.units)))
        conds.append(["lifted units", "every unit of ubar has a_h1 = -a_h0, so ubar(t, y) = ubar1(t - y)",
                      f"Max({lifted}, 0)", "<=", "0"])
        conds.append(["residuals", "|pbar_i(N)[k] - y_i[k]|, |p_i(N)[k] - y_i[k]| <= max(lev_N, levbar_N) + B_y <= "
                      "the interpolant's radius", f"{top(N)} + B_y", "<=", "Zr"])
        loss_needs = ["lifted units", "residuals"]
    quantities = [{"name": "e_1", "means": "max over prompts, tokens i, k of |pbar_i(1)[k] - p_i(1)[k]|",
                   "bound": "epsilon_r", "axiom": ["construction", "sup", "nonnegative"], "needs": ["layer 1"]}]
    for j in range(2, N + 1):
        fan = "sqrt(K)"
        quantities.append({"name": f"e_{j}", "means": f"max over prompts, tokens, k of |pbar_i({j})[k] - p_i({j})[k]|",
                           "bound": f"epsilon_r + L_r*B_v*{fan}*e_{j - 1}",
                           "axiom": ["construction", "sup", "mean value", "Cauchy-Schwarz", "triangle", "nonnegative"],
                           "needs": [f"layer {j}", f"layer {j - 1}"]})
    for j in range(1, N + 1):
        width = "sqrt(K)" if j < N else "sqrt(d)"
        quantities.append({"name": f"n_{j}", "means": f"max over prompts, tokens i of ||pbar_i({j}) - p_i({j})||_2",
                           "bound": f"{width}*e_{j}", "axiom": ["Cauchy-Schwarz", "nonnegative"]})
    exprs, concl = {}, []
    if which == 2:
        for j in range(1, N + 1):
            exprs[j] = sp.sqrt(sh.width(j)) * B.S(j) * B.eps_r
    if which in (3, 7, 8):
        for j in range(1, N + 1):
            prev = "0" if j == 1 else f"n_{j - 1}"
            quantities.append({"name": f"dp_{j}", "means": f"max over prompts, tokens, k of |rbar'_i({j - 1})[k] - "
                                                           f"r'_i({j - 1})[k]|",
                               "bound": f"epsilon_rp + L_rp*B_v*{prev}",
                               "axiom": ["construction", "sup", "mean value", "Cauchy-Schwarz", "triangle",
                                         "nonnegative"], "needs": [f"layer {j} (r')", f"layer {j}"]})
            if which == 3:
                exprs[j] = B.delta_rp()
    if uses_loss:
        quantities.append({"name": "gq", "means": "max over prompts, in-context tokens i in [n], k of |gbar_i[k] - "
                                                  "u(p_i(N), y_i)[k]| (the residuals lie in the interval of L_l: "
                                                  "|pbar(N)[k]|, |p(N)[k]| <= max(lev_N, levbar_N), |y[k]| <= B_y)",
                           "bound": f"epsilon_l + L_l*e_{N}",
                           "axiom": ["construction", "sup", "mean value", "triangle", "nonnegative"]
                           + (["lifted units"] if loss_needs else []), "needs": [f"layer {N}", *loss_needs]})
    if which == 4:
        exprs[0] = B.delta_l()
    if which in (6, 7, 8):
        quantities.append({"name": "ga", "means": "max over prompts, in-context tokens, k of |gbar_i[k]| and of "
                                                  "|g_i[k]| = |u(p_i(N), y_i)[k]| (|phi'| <= U_l on |z| <= lev_N + "
                                                  "B_y, which holds the exact residuals p_i(N)[k] - y_i[k])",
                           "bound": "U_l + gq", "axiom": ["sup", "triangle", "nonnegative"], "needs": [f"layer {N}"]})
        quantities.append({"name": "ra", "means": "max over prompts, tokens, j, k of |rbar'_i(j-1)[k]| and of "
                                                  "|r'_i(j-1)[k]| (pre-activations in [-R, R] and [-R', R'])",
                           "bound": "L_r + epsilon_rp", "axiom": ["construction", "sup", "triangle", "nonnegative"],
                           "needs": [f"layer {j}" for j in range(1, N + 1)]
                           + [f"layer {j} (r')" for j in range(1, N + 1)]})
        quantities.append({"name": f"m_{N}", "means": f"max over prompts, in-context tokens, k of |sbar_i({N})[k]| "
                                                      f"and |s_i({N})[k]|",
                           "bound": "ra*ga", "axiom": ["recursion", "nonnegative"]})
        for j in range(N - 1, 0, -1):
            quantities.append({"name": f"m_{j}", "means": f"max over prompts, in-context tokens, k of "
                                                          f"|sbar_i({j})[k]| and |s_i({j})[k]|",
                               "bound": f"ra*{sh.width(j + 1)}*B_v*m_{j + 1}",
                               "axiom": ["recursion", "column sum", "nonnegative"]})
        if which == 6:
            for j in range(1, N + 1):
                exprs[j] = B.B_s_R
    if which in (7, 8):
        # Lemma 6's error recursion with the column step: sbar(N) - s(N) = (rbar' - r') (.) gbar + r' (.) (gbar - u),
        # sbar(j) - s(j) = (rbar' - r') (.) (V^T sbar(j+1)) + r' (.) (V^T (sbar(j+1) - s(j+1)))
        quantities.append({"name": f"es_{N}", "means": f"max over prompts, in-context tokens, k of "
                                                       f"|sbar_i({N})[k] - s_i({N})[k]|",
                           "bound": f"dp_{N}*ga + L_r*gq",
                           "axiom": ["recursion", "product difference", "sup", "triangle", "nonnegative"],
                           "needs": [f"layer {N}", f"layer {N} (r')"]})
        for j in range(N - 1, 0, -1):
            w = sh.width(j + 1)
            quantities.append({"name": f"es_{j}", "means": f"max over prompts, in-context tokens, k of "
                                                           f"|sbar_i({j})[k] - s_i({j})[k]|",
                               "bound": f"dp_{j}*{w}*B_v*m_{j + 1} + L_r*{w}*B_v*es_{j + 1}",
                               "axiom": ["recursion", "product difference", "column sum", "sup", "triangle",
                                         "nonnegative"], "needs": [f"layer {j}", f"layer {j} (r')"]})
        if which == 7:
            target = B.E_s_r_R * B.eps_r + B.E_s_rp_R * B.eps_rp + B.E_s_l_R * B.eps_l
            for j in range(1, N + 1):
                exprs[j] = target
    if which == 8:
        # Theorem 1's gradient step (proof p. 30): A(j) = (1/2n) sum_{i in [n]} s_i(j) p_i(j-1)^T; the construction
        # sums over all n+1 tokens, and the query's term is 0 when its gated loss units are all inactive
        gate = ", ".join(f"Abs(uA_{m}_0)*{top(N)} + uA_{m}_2" for m in range(len(a.u.units)))
        conds.append(["query gate", "every unit of the gated loss MLP (C.14) is inactive at the query (t = 0, "
                      f"y = 0, |pbar_{{n+1}}(N)[k]| <= levbar_N): |a_h0| max(lev_N, levbar_N) + a_h2 <= R3",
                      f"Max({gate}, 0)", "<=", "R3"])
        for j in range(1, N + 1):
            w = sh.width(j)
            pn = "B_x" if j == 1 else f"sqrt({sh.width(j - 1)})*lev_{j - 1} + n_{j - 1}"
            quantities.append({"name": f"pn_{j}", "means": f"max over prompts, tokens of ||pbar_i({j - 1})||_2",
                               "bound": pn, "axiom": ["construction", "sup", "Cauchy-Schwarz", "triangle",
                                                      "nonnegative"],
                               "needs": ["layer 1"] if j == 1 else [f"layer {j - 1}"]})
            prev = "0" if j == 1 else f"n_{j - 1}"
            quantities.append({"name": f"A_{j}", "means": f"max over prompts of ||Abar({j}) - A({j})||_F, A({j}) = "
                                                          f"(1/2n) sum_{{i in [n]}} s_i({j}) p_i({j - 1})^T and "
                                                          f"Abar({j}) the construction's step",
                               "bound": f"(sqrt({w})*es_{j}*pn_{j} + sqrt({w})*m_{j}*{prev})/2",
                               "axiom": ["gradient step", "product difference", "Cauchy-Schwarz", "triangle",
                                         "nonnegative"], "needs": ["query gate", f"layer {j}"]})
        quantities.append({"name": "G", "means": "max over prompts of ||gradbar L_n(w) - grad L_n(w)||_2 (the blocks "
                                                 "A(1), ..., A(N) stacked)",
                           "bound": " + ".join(f"A_{j}" for j in range(1, N + 1)), "axiom": ["triangle",
                                                                                            "nonnegative"]})
        exprs[0] = B.eps_R
    try:
        prog, ren = _claim_program(cfg, exprs, consts, B.definitions_columns_safe(N) if which >= 6 else None)
    except ValueError as exc:
        return None, f"the claim's constants could not be written exactly: {exc}"
    for j, e in exprs.items():
        target = text(e.xreplace(ren))
        lhs = {2: f"n_{j}", 3: f"dp_{j}", 4: "gq", 6: f"m_{j}", 7: f"es_{j}", 8: "G"}[which]
        concl.append([lhs, "<=", target])
    scope = (f"every prompt with ||x_i||_2 <= B_x = {cfg.Bx} for all n+1 tokens"
             + (f", ||y_i||_2 <= B_y = {cfg.By}" if uses_loss else "")
             + f", every weight vector with ||v_jk||_2 <= B_v = {cfg.Bv} (every j, k), every n >= 1; for r = "
               f"{cfg.activation}, N = {N}, K = {K}, d_x = {cfg.d_in}, d_y = {cfg.d_out}, the construction's "
               f"approximants with {a.knots} knots on the safe radius R = {float(R):g}"
             + (f", {cfg.loss} loss" if uses_loss else ""))
    cert = base("chain", claim_id, BITS, data=data, functions=functions, axioms=AXIOMS, constants=sups,
                program=prog, conditions=conds, quantities=quantities, conclusions=concl, scope=scope)
    res = check_certificate(cert)
    if not res.ok:
        return None, f"{claim_id} resists for this configuration: {res.reason}"
    return cert, "ok"


def certify_claim(claim_id: str, config=None) -> tuple:
    """A certificate of a Wu claim for one configuration (``config``: a WuConfig or its dict)."""
    if config is None and claim_id != "wu2025.lemma6.error.safe":
        return None, (f"{claim_id}: Wu's certificates are per configuration (activation, sizes, constants, knots); "
                      "give one")
    if claim_id in CHAIN_CLAIMS:
        return chain_certificate(claim_id, config)
    if claim_id in ("wu2025.sup_error.r", "wu2025.sup_error.rp"):
        return sup_error_certificate(config, claim_id.rsplit(".", 1)[1])
    if claim_id == "wu2025.lemma6.error.safe":
        return None, LEMMA6
    return None, f"no certificate builder for {claim_id}"
