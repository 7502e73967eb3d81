"""Certificates of Wu et al.'s claims beyond the block claims (``wu2025.py``) and the safe chains (``chains.py``).

Violations:

* ``wu2025.lemma14`` / ``wu2025.lemma14.convergence``: the projected iterations of the quadratic family on the box
  [-1, 1]^m, step by step (clip = Max/Min, exact rationals), against the printed bounds;
* the (B.1) norm claims (``lemma2.norm``, ``lemma3.norm``, ``lemma4.norm``, ``theorem1.grad_layer_norm``): the
  layer's matrices of the exact rational construction as data (each matrix by its columns' nonzero entries: the
  induced l1 norm is the largest absolute column sum), the norm computed by the program, against the stated bound
  with the approximants' own constants (units as data);
* ``wu2025.theorem1.query_gate``: the constructed first block run on the witness prompt (``wu2025.run_block``, the
  layer semantics applied to the construction's weights) up to the s slots: the query's s_bar_{n+1} is not 0;
* ``wu2025.theorem2.proof_eta``: the proof's kappa = eps / sqrt(D_w) and its final bound sqrt(D_w) kappa against
  eta eps;
* ``wu2025.theorem1`` / ``theorem4.stated``: the L-block construction run on the prompt, the gradient error at the
  worst step against eta eps, the proof's eps choices as conditions on the certified constants.

Certified verdicts: the proofs' algebraic identities (``wu2025.identity.*``, per N of the declared domain), the
arithmetic of Lemma 16's proof (identity certificates, replayed by the checker's SymPy), and our Lemma 14
(``wu2025.lemma14.ours``) for every instance, by an induction the checker verifies symbolically.
"""
from __future__ import annotations

import re
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from .common import BITS, agrees, base, claimed, evaluate_certificate, exact, q, text
from .program import Program


def _finish(cert: dict, ev, check_agree: bool = True) -> tuple:
    obs, bd = evaluate_certificate(cert)
    if check_agree and ev is not None and not (agrees(obs, ev.observed) and agrees(bd, ev.bound)):
        return None, (f"the certificate's program disagrees with the claim's evaluation: observed {obs.str(20)} vs "
                      f"{mpmath.nstr(ev.observed, 20)}, bound {bd.str(20)} vs {mpmath.nstr(ev.bound, 20)} (a bug of "
                      "the builder)")
    if not obs.lower() > bd.upper():
        return None, f"the recomputation does not separate observed {obs.str(10)} from the bound {bd.str(10)}"
    cert["claimed"] = {"observed": claimed(obs), "bound": claimed(bd)}
    return cert, "ok"


def _max(xs):
    xs = list(xs)
    return xs[0] if len(xs) == 1 else sp.Max(*xs, evaluate=False)


# ------------------------------------------------------------------------------------------------ Lemma 14

def _clip(v):
    return sp.Max(sp.Min(v, 1, evaluate=False), -1, evaluate=False)


def _lemma14_program(inst, prog: Program):
    lam = prog.matrix("lam", [exact(v) for v in inst["lambda"]])
    a = prog.matrix("a", [exact(v) for v in inst["a"]])
    eta = prog.scalar("eta", inst["eta"])
    eps = prog.scalar("eps", inst["eps"])
    L = int(inst["steps"])
    pert = prog.matrix("pert", [[exact(v) for v in e] for e in inst["perturbations"]])
    m = len(lam)
    w = [sp.Integer(0)] * m
    wg = list(w)
    ws, wgs = [w], [wg]
    for l in range(1, L + 1):
        w = [prog.line(f"w{l}_{k}", _clip(w[k] - eta * lam[k] * (w[k] - a[k]) + pert[l - 1][k])) for k in range(m)]
        wg = [prog.line(f"wgd{l}_{k}", _clip(wg[k] - eta * lam[k] * (wg[k] - a[k]))) for k in range(m)]
        ws.append(w)
        wgs.append(wg)
    Lf = prog.line("L_f", _max(sp.Abs(x) for x in lam))
    rows = [["W convex bounded, grad f L_f-Lipschitz", "W = [-1, 1]^m, grad f = diag(lambda)(w - a): L_f = "
             "max |lambda| > 0", text(_max(sp.Abs(x) for x in lam)), ">", "0"]]
    return lam, a, eta, eps, L, pert, ws, wgs, Lf, rows


def _lemma14_rows(claim, inst, lam, eta, eps, pert) -> list:
    rows = []
    Lf = _max(sp.Abs(x) for x in lam)
    for h in claim.hypotheses:
        if h.name == "eta <= L_f":
            rows.append([h.name, "as printed", "eta", "<=", text(Lf)])
        elif h.name == "eta L_f <= 1":
            rows.append([h.name, "", text(eta * Lf), "<=", "1"])
        elif h.name == "||eps^l|| <= eta eps":
            rows.append([h.name, "every perturbation", text(_max(sp.Add(*[x ** 2 for x in e]) for e in pert)), "<=",
                         text((eta * eps) ** 2)])
    return rows


def lemma14(claim, inst, ev):
    prog = Program()
    lam, a, eta, eps, L, pert, ws, wgs, Lf, rows = _lemma14_program(inst, prog)
    n = prog.integer("n", int(inst["n"]))
    rows += _lemma14_rows(claim, inst, lam, eta, eps, pert)
    l = int((ev.details or {}).get("step", L))
    growth = n if claim.id == "wu2025.lemma14" else eta
    obs = prog.line("observed", sp.sqrt(sp.Add(*[(x - y) ** 2 for x, y in zip(ws[l], wgs[l])])))
    bd = prog.line("bound", (1 + growth * Lf) ** l * eps / Lf)
    cert = base("violation", claim, BITS, data=prog.data, hypotheses=rows, program=prog.program([obs, bd]),
                observed=text(obs), bound=text(bd),
                scope=(f"f(w) = (1/2)(w - a)^T diag(lambda)(w - a) on W = [-1, 1]^{len(lam)}, {L} steps of "
                       "w^l = Proj_W(w^{l-1} - eta grad f(w^{l-1}) + eps^{l-1}) and of projected GD (exact rationals, "
                       f"Proj_W = coordinatewise clip): ||w^l - w_GD^l||_2 at l = {l} against L_f^-1 (1 + "
                       f"{'n' if growth is n else 'eta'} L_f)^l eps"))
    return _finish(cert, ev)


def lemma14_convergence(claim, inst, ev):
    prog = Program()
    lam, a, eta, eps, L, pert, ws, wgs, Lf, rows = _lemma14_program(inst, prog)
    rows += _lemma14_rows(claim, inst, lam, eta, eps, pert)
    m = len(lam)
    G2 = []
    for l in range(1, L):
        w = ws[l]
        G = [prog.line(f"G{l}_{k}", (w[k] - _clip(w[k] - eta * lam[k] * (w[k] - a[k]))) / eta) for k in range(m)]
        G2.append(sp.Add(*[g ** 2 for g in G]))
    avg = prog.line("observed", sp.Add(*G2) / L if G2 else sp.Integer(0))
    f = lambda w: sp.Add(*[lam[k] * (w[k] - a[k]) ** 2 for k in range(m)]) / 2  # noqa: E731
    # the box minimiser of the separable quadratic: clip(a_k) where lambda_k >= 0, the far end where lambda_k < 0
    wmin, signs = [], []
    for k, (lk, ak) in enumerate(zip(inst["lambda"], inst["a"])):
        if lk >= 0:
            wmin.append(_clip(a[k]))
            signs.append([f"lambda_{k} >= 0", "convex coordinate: min at clip(a_k)", f"lam_{k}", ">=", "0"])
        else:
            wmin.append(sp.Integer(-1) if ak > 0 else sp.Integer(1))
            signs.append([f"lambda_{k} < 0", "concave coordinate: min at the end farther from a_k", f"lam_{k}", "<",
                          "0"])
            signs.append([f"a_{k} sign", "", f"a_{k}", ">" if ak > 0 else "<=", "0"])
    inf_f = prog.line("inf_f", f(wmin))
    bd = prog.line("bound", 8 * (f([0] * m) - inf_f) / (eta * L) + 10 * eps ** 2)
    cert = base("violation", claim, BITS, data=prog.data, hypotheses=rows + signs, program=prog.program([avg, bd]),
                observed=text(avg), bound=text(bd),
                scope=(f"f(w) = (1/2)(w - a)^T diag(lambda)(w - a) on W = [-1, 1]^{m}, {L} perturbed projected steps "
                       "(exact rationals): (1/L) sum_{l=1}^{L-1} ||G(w^l)||^2, G(w) = (w - Proj_W(w - eta grad f(w)))/"
                       "eta, against 8 (f(0) - inf_W f)/(eta L) + 10 eps^2 (inf_W f at the box minimiser of the "
                       "separable quadratic, its sign cases checked as hypothesis rows)"))
    return _finish(cert, ev)


# ------------------------------------------------------------------------------------------------ Theorem 2's proof

def theorem2_proof_eta(claim, inst, ev):
    data = {"eta": q(exact(inst["eta"])), "eps": q(exact(inst["eps"])), "D_w": int(inst["D_w"])}
    rows = [["eta, eps > 0", "Theorem 2: fix any B_w, eta, eps > 0", "eta", ">", "0"], ["eta, eps > 0", "", "eps", ">",
                                                                                        "0"],
            ["D_w >= 1", "w in R^{D_w}", "D_w", ">=", "1"]]
    cert = base("violation", claim, BITS, data=data, hypotheses=rows,
                program=[["kappa", "eps/sqrt(D_w)"], ["chain_bound", "sqrt(D_w)*kappa"]],
                observed="chain_bound", bound="eta*eps",
                scope=(f"eta = {inst['eta']}, eps = {inst['eps']}, D_w = {inst['D_w']}: the proof's kappa = "
                       "eps/sqrt(D_w) gives the chain's final bound sqrt(D_w) kappa = eps, above the eta eps Theorem 2 "
                       "states"))
    return _finish(cert, ev)


# ------------------------------------------------------------------------------------------------ (B.1) norms

def _columns(M) -> list:
    """A SparseMatrix by its columns' nonzero entries (row indices do not enter the induced l1 norm)."""
    cols: dict = {}
    for (_, c), v in sorted(M.entries.items()):
        cols.setdefault(c, []).append(q(v))
    return [cols[c] for c in sorted(cols)]


def _norm1(prog: Program, name: str, M) -> sp.Expr:
    cols = _columns(M)
    if not cols:
        return sp.Integer(0)
    prog.data[name] = cols
    prog.taken.add(name)
    sums = [prog.line(f"{name}_col{j}", sp.Add(*[sp.Abs(sp.Symbol(f"{name}_{j}_{i}")) for i in range(len(c))]))
            for j, c in enumerate(cols)]
    return prog.line(f"{name}_norm1", _max(sums))


def layer_norm(prog: Program, layer, label: str) -> sp.Expr:
    """(B.1) for the layer: max_m max{||Q_m||_1, ||K_m||_1} + sum_m ||V_m||_1 (heads), ||W1||_1 + ||W2||_1 (MLP)."""
    if hasattr(layer, "heads"):
        qk, vs = [], []
        for m, h in enumerate(layer.heads):
            qk += [_norm1(prog, f"{label}_h{m}_Q", h.Q), _norm1(prog, f"{label}_h{m}_K", h.K)]
            vs.append(_norm1(prog, f"{label}_h{m}_V", h.V))
        return prog.line(f"{label}_B1", _max(qk) + sp.Add(*vs))
    return prog.line(f"{label}_B1", _norm1(prog, f"{label}_W1", layer.W1) + _norm1(prog, f"{label}_W2", layer.W2))


def _units_C(prog: Program, name: str, units) -> sp.Expr:
    prog.data[name] = [q(u.c) for u in units]
    prog.taken.add(name)
    return sp.Add(*[sp.Abs(sp.Symbol(f"{name}_{m}")) for m in range(len(units))])


NORM_LAYERS = {"wu2025.lemma2.norm": "lemma2", "wu2025.lemma3.norm": "lemma3", "wu2025.lemma4.norm": "lemma4",
               "wu2025.theorem1.grad_layer_norm": "grad", "wu2025.lemma5.norm": "lemma5"}


def norm_claim(claim, inst, ev):
    from ..audits.wu2025.common import instance_config, setup

    cfg = instance_config(inst)
    st = setup(cfg)
    wc = st.wc
    layers = wc.blocks[0].layers
    N, K = cfg.N, cfg.K
    prog = Program()
    for k, v in (("N", N), ("K", K), ("d", cfg.d_out), ("n", cfg.n)):
        prog.integer(k, v)
    kind = NORM_LAYERS[claim.id]
    if kind == "lemma2":
        per = [layer_norm(prog, layers[j], f"L{j + 1}") for j in range(N)]
        obs = prog.line("observed", _max(per))
        C1 = prog.line("C1", _units_C(prog, "r_c", wc.approx.r.units))
        bd = prog.line("bound", 1 + sp.Symbol("K") * C1)
        what = "max_j B_theta_j over the N forward layers against 1 + K C1 (C1 = sum |c| of r_bar's units)"
    elif kind == "lemma3":
        obs = prog.line("observed", layer_norm(prog, layers[N], f"L{N + 1}"))
        C2 = prog.line("C2", _units_C(prog, "rp_c", wc.approx.rp.units))
        bd = prog.line("bound", 1 + sp.Symbol("K") * (sp.Symbol("N") - 1) * C2)
        what = "B_theta_{N+1} of the derivative layer against 1 + K (N-1) C2 (C2 = sum |c| of r_bar''s units)"
    elif kind == "lemma4":
        obs = prog.line("observed", layer_norm(prog, layers[N + 1], f"L{N + 2}"))
        C3u = prog.line("C3_unit", _units_C(prog, "u_c", wc.approx.u.units))
        R3 = prog.scalar("R3", wc.approx.R3)
        bd = prog.line("bound", sp.Max(R3 + 1, sp.Symbol("d") * C3u, evaluate=False))
        what = ("||W1||_1 + ||W2||_1 of the gated loss MLP against max{R3 + 1, C3}, C3 = sum_k C3^k = d sum |c| "
                "(u units)")
    else:
        obs = prog.line("observed", layer_norm(prog, layers[2 * N + 2], f"L{2 * N + 3}"))
        eta = prog.scalar("eta", Fraction(str(cfg.eta)))
        bd = prog.line("bound", 1 + 2 * eta * sp.Symbol("N") * sp.Symbol("K"))
        what = "B_theta_{2N+3} of the gradient-step layer (C.16) against 1 + 2 eta N K"
    rows = [["valid sizes", "N >= 2", "N", ">=", "2"], ["valid sizes", "K, d, n >= 1", "K", ">=", "1"],
            ["valid sizes", "", "d", ">=", "1"], ["valid sizes", "", "n", ">=", "1"]]
    c = inst["config"]
    cert = base("violation", claim, BITS, data=prog.data, hypotheses=rows, program=prog.program([obs, bd]),
                observed=text(obs), bound=text(bd),
                scope=(f"the construction (symbolic.wu2025.assemble) for N={c['N']}, K={c['K']}, d_x={c['d_in']}, "
                       f"d_y={c['d_out']}, n={c['n']}, eta={c['eta']}, B_v={c['Bv']}, B_y={c['By']}, "
                       f"{c['activation']}, "
                       f"{c['knots']} knots, radius {c['radius']}: {what}; every matrix by its columns' nonzero "
                       "entries (exact rationals), ||A||_1 = the largest absolute column sum"))
    return _finish(cert, ev)


# ------------------------------------------------------------------------------------------------ the query gate

def query_gate(claim, inst, ev):
    from numeric.wu2025.prompt import Prompt
    from symbolic.wu2025 import constants as C

    from . import wu2025 as W

    wc, cfg = W.construction_of(inst)
    pr = Prompt.from_dict(inst["prompt"])
    n, N, sh = pr.n, cfg.N, cfg.shape
    data = {"K": cfg.K, "d": cfg.d_out, "d_x": cfg.d_in, "n": n, "B_v": q(C.exact(cfg.Bv)),
            "B_x": q(C.exact(cfg.Bx)), "B_y": q(C.exact(cfg.By)), "eta": q(wc.eta),
            "x": [[q(v) for v in row] for row in pr.x], "y": [[q(v) for v in row] for row in pr.y],
            "w": [q(v) for v in pr.w0]}
    try:
        layers, _ = W.symbolic_layers(wc, data)
    except ValueError as exc:
        return None, f"the construction could not be written symbolically: {exc}"
    rows = []
    for h in claim.hypotheses:
        if h.name == "(C.13) units":
            parts = [" + ".join(f"uA_{m}_{k}**2" for k in range(3)) for m in range(len(wc.approx.u.units))]
            rows.append([h.name, h.text, f"Max({', '.join(parts)})" if len(parts) > 1 else parts[0], "<=", "1"])
        elif h.name == "Def 4 units":
            parts = [" + ".join(f"Abs(uA_{m}_{k})" for k in range(3)) for m in range(len(wc.approx.u.units))]
            rows.append([h.name, h.text, f"Max({', '.join(parts)})" if len(parts) > 1 else parts[0], "<=", "1"])
        else:
            class _One:
                hypotheses = (h,)
            r, _ = W.hypotheses_for(_One, cfg, n, {"r": wc.approx.r.H, "p": wc.approx.rp.H})
            rows += r
    trace = W.Trace()
    try:
        states = W.run_block(layers, wc, pr, trace, 2 * N + 2)
    except W._TooLarge as exc:
        return None, f"the certificate would be too large for the checker ({exc})"
    lay = wc.layout
    ents = [sp.Abs(states[2 * N + 2][n].get(lay.index(lay.s(j), k), sp.Integer(0)))
            for j in range(1, N + 1) for k in range(sh.width(j))]
    lines = W.prune(list(trace.lines) + [["observed", text(_max(ents))]], "observed")
    c = inst["config"]
    cert = base("violation", claim, BITS, data=data, hypotheses=rows, program=lines, observed="observed", bound="0",
                scope=(f"the witness (N={c['N']}, K={c['K']}, d={c['d_in']}, n={n}, {c['activation']}, {c['loss']} "
                       f"loss, {c['knots']} knots, radius {c['radius']}): the constructed block's layers 1..2N+2 run "
                       "on the prompt from the construction's weights (unit coefficients as data, each head checked "
                       "equal to symbolic.wu2025.assemble's): max_j,k |s_bar_{n+1}(j)[k]| of the query token, 0 "
                       "expected"))
    return _finish(cert, ev)


# ------------------------------------------------------------------------------------------------ Theorem 1 as stated

def _layer_sig(layer):
    from .wu2025 import _numeric

    if hasattr(layer, "heads"):
        return tuple((tuple(sorted(_numeric(h.Q).items())), tuple(sorted(_numeric(h.K).items())),
                      tuple(sorted(_numeric(h.V).items()))) for h in layer.heads)
    return (tuple(sorted(_numeric(layer.W1).items())), tuple(sorted(_numeric(layer.W2).items())))


NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _reference_at(cfg, pr, w_in: list, suffix: str) -> tuple[list, dict]:
    """Definition 2/3 and Lemma 1 (``wu2025.reference``) at the weight vector ``w_in`` (program symbols): the lines
    renamed with ``suffix``, every w_q replaced by w_in[q]."""
    from . import wu2025 as W

    t = W.Trace()
    ref = W.reference(cfg, pr, t, mask_query=True)
    names = {name for name, _ in t.lines}
    wmap = {f"w_{qq}": f"({text(v)})" for qq, v in enumerate(w_in)}

    def ren(m):
        tok = m.group(0)
        if tok in names:
            return tok + suffix
        return wmap.get(tok, tok)

    lines = [[name + suffix, NAME_RE.sub(ren, body)] for name, body in t.lines]
    grad = [sp.Symbol(str(g) + suffix) if isinstance(g, sp.Symbol) and str(g) in names else
            sp.sympify(NAME_RE.sub(ren, text(g))) for g in ref["grad"]]
    return lines, grad


class _NoCert(Exception):
    """The builder cannot write this certificate (the message says why)."""


def _theorem1_setup(inst):
    """(construction, configuration, prompt, data, symbolic layers of one block) of a Theorem 1 witness."""
    from numeric.wu2025.prompt import Prompt
    from symbolic.wu2025 import constants as C

    from . import wu2025 as W

    wc, cfg = W.construction_of(inst)
    pr = Prompt.from_dict(inst["prompt"])
    data = {"K": cfg.K, "d": cfg.d_out, "d_x": cfg.d_in, "n": pr.n, "B_v": q(C.exact(cfg.Bv)),
            "B_x": q(C.exact(cfg.Bx)), "B_y": q(C.exact(cfg.By)), "eta": q(wc.eta), "eps": q(exact(inst["eps"])),
            "x": [[q(v) for v in row] for row in pr.x], "y": [[q(v) for v in row] for row in pr.y],
            "w": [q(v) for v in pr.w0]}
    try:
        layers, _ = W.symbolic_layers(wc, data)
    except ValueError as exc:
        raise _NoCert(f"the construction could not be written symbolically: {exc}") from exc
    sig0 = [_layer_sig(x) for x in wc.blocks[0].layers]
    if len(wc.blocks) != cfg.L or any([_layer_sig(x) for x in b.layers] != sig0 for b in wc.blocks[1:]):
        raise _NoCert("the blocks of the construction are not copies of the first one")
    return wc, cfg, pr, data, layers


def _theorem1_premises(claim, cfg, wc, n: int, data: dict) -> tuple:
    """(hypothesis rows, assumed, constants, their values, conditions, bound program lines, functions) of Theorem 1's
    hypotheses; 'the proof's eps choices met' is a condition on the certified constants: 3 C_* eps_* <= 2 eps for
    * = l, r, r' with every sup-defined constant (eps_r, eps_r', L_r, B_r^j, ...) replaced by its proven upper bound
    (C_* is nondecreasing in them, so the true constants satisfy it too)."""
    from symbolic.wu2025 import bounds as B

    from . import wu2025 as W
    from .common import CoverFailed, sup_constant

    sh = cfg.shape
    rows, assumed = [], []
    for h in claim.hypotheses:
        if h.name in ("||x_i|| <= B_x", "||y_i|| <= B_y", "||x_{n+1}|| <= B_x", "||v_jk|| <= B_v"):
            class _One:
                hypotheses = (h,)
            r, _ = W.hypotheses_for(_One, cfg, n, {})
            rows += r
        elif h.name == "r, r' Lipschitz and C^4":
            assumed.append(f"{h.name}: r is the function 'r' of this certificate ({cfg.activation}, C^inf)")
        elif h.name == "w^(0) = 0":
            rows.append([h.name, h.text, text(sp.Max(*[sp.Abs(sp.Symbol(f"w_{qq}")) for qq in range(sh.num_params)],
                                                     evaluate=False) if sh.num_params > 1 else
                                              sp.Abs(sp.Symbol("w_0"))), "<=", "0"])
        elif h.name == "approximants admissible":
            for p_, units in (("r", wc.approx.r.units), ("p", wc.approx.rp.units)):
                parts = [f"Abs({p_}A_{m}_0) + Abs({p_}A_{m}_1)" for m in range(len(units))]
                rows.append([h.name, h.text + " (Definition 4: ||a||_1 <= 1 for every unit)",
                             f"Max({', '.join(parts)})" if len(parts) > 1 else parts[0], "<=", "1"])
        elif h.name != "proof's eps choices met":
            raise _NoCert(f"hypothesis {h.name!r} has no translation")
    if cfg.loss != "square":
        rows.append(W.lifted_units_row(len(wc.approx.u.units)))
    expr = sp.Max(B.C_l * B.eps_l, B.C_r * B.eps_r, B.C_rp * B.eps_rp)
    sups, bprog, _ = W.bound_program(cfg, expr, data)
    conditions = [["proof's eps choices met", f"3 C_{w} eps_{w} <= 2 eps (eps_{w} = 2 eps / (3 C_{w}) or smaller)",
                   text(W._rename(3 * Cs * es)), "<=", "2*eps"]
                  for w, Cs, es in (("l", B.C_l, B.eps_l), ("r", B.C_r, B.eps_r), ("r'", B.C_rp, B.eps_rp))]
    functions = W.functions_for(cfg, wc)
    consts, values = [], {}
    try:
        for name, fn, var, radius, margin in sups:
            if fn is None:
                consts.append({"name": name, "function": "ubar(t, y) - u(t, y)", "vars": ["t", "y"],
                               "identity": True, "value": "0"})
                values[name] = Fraction(0)
                continue
            c = sup_constant(name, fn, var, radius, data, functions, env_values=values,
                             rel_margin=min(margin, Fraction(1, 10 ** 6)))
            consts.append(c)
            values[name] = Fraction(c["value"])
    except CoverFailed as exc:
        raise _NoCert(f"the enclosure of a constant of the eps choices did not close: {exc}") from exc
    return rows, assumed, consts, values, conditions, bprog, functions


def theorem1_stated(claim, inst, ev):
    """The (2N+4)L-layer construction run block after block on the witness prompt (the same layers in every block,
    checked), and at the worst step l: eta ||grad_bar - grad L_n(w^(l-1))||_2 with grad_bar = (w^(l-1) - w_step) / eta
    read off the gradient-step layer and grad L_n from Definition 2/3 and Lemma 1 at the transformer's own iterate
    w^(l-1); bound eta eps, under Theorem 1's hypotheses (``_theorem1_premises``)."""
    from . import wu2025 as W

    try:
        wc, cfg, pr, data, layers = _theorem1_setup(inst)
        n, N, L = pr.n, cfg.N, cfg.L
        per = 2 * N + 4
        step = int((ev.details or {}).get("step", L))
        l = step - 1
        trace = W.Trace()
        try:
            states = W.run_block(layers * L, wc, pr, trace, l * per + 2 * N + 3)
        except W._TooLarge as exc:
            raise _NoCert(f"the certificate would be too large for the checker ({exc})") from exc
        lay, sh = wc.layout, cfg.shape
        w_in = [states[l * per][0].get(lay.index("w", qq), sp.Integer(0)) for qq in range(sh.num_params)]
        w_step = [states[l * per + 2 * N + 3][0].get(lay.index("w", qq), sp.Integer(0))
                  for qq in range(sh.num_params)]
        ref_lines, grad = _reference_at(cfg, pr, w_in, f"_s{step}")
        eta = sp.Symbol("eta")
        gbar = [(a - b) / eta for a, b in zip(w_in, w_step)]
        obs = eta * sp.sqrt(sp.Add(*[(g - e) ** 2 for g, e in zip(gbar, grad)]))
        lines = W.prune(list(trace.lines) + ref_lines + [["observed", text(obs)]], "observed")
        premises = _theorem1_premises(claim, cfg, wc, n, data)
    except _NoCert as exc:
        return None, str(exc)
    return _theorem1_certificate(claim, inst, ev, data, premises, lines, "eta*eps",
                                 f"the construction's {L} blocks run on the prompt from w^(0) = 0; at step {step} "
                                 "||eps^(l-1)||_2 = eta ||grad_bar - grad L_n(w^(l-1))||_2 against eta eps; the "
                                 "proof's eps choices met by the certified constants (conditions)")


def _theorem1_certificate(claim, inst, ev, data, premises, program, bound: str, what: str):
    """The violation certificate of a Theorem 1 witness: its premises (``_theorem1_premises``), the program, the
    bound; ``what`` completes the scope."""
    rows, assumed, consts, _, conditions, bprog, functions = premises
    c = inst["config"]
    cert = base("violation", claim, BITS, data=data, functions=functions, hypotheses=rows, assumed=assumed,
                constants=consts, program=program + bprog, conditions=conditions, observed="observed", bound=bound,
                scope=(f"the witness (N={c['N']}, K={c['K']}, d_x={c['d_in']}, d_y={c['d_out']}, n={data['n']}, "
                       f"L={c['L']}, eta={c['eta']}, {c['activation']}, eps = {inst['eps']}, {c['knots']} knots, "
                       f"free choice {inst.get('free')}): {what}"))
    return _finish(cert, ev)


# ------------------------------------------------------------------------------------------------ Corollary 1.1

def corollary1_1(claim, inst, ev):
    """Corollary 1.1 for the proof's construction: at the worst step l, ||w^l - w_GD^l||_2 (the construction's l
    blocks from w^(0) = 0 against projected GD with eta, both in the program, the box W from the construction)
    against max(f(L_lo), f(L_hi)), f(L) = (1 + n L)^l eps / L, the claim's bracket of L_f: L_lo the largest
    ||grad L_n|| at the GD iterates w_GD^0..w_GD^L and at three corners of W (program lines), L_hi our analytic
    bound (``constants.L_f_formula``) in a = sup|r|, a' = sup|r'| on the safe radius and u_max = sup_{|z| <= a + B_y}
    |phi'|: these three are two-sided constants (a cover above, a point value below), so the checker encloses
    L_hi and the non-monotone f without a monotonicity argument.  Hypotheses as for Theorem 1."""
    from symbolic.wu2025 import constants as C

    from . import wu2025 as W
    from .common import CoverFailed, sup_constant

    try:
        wc, cfg, pr, data, layers = _theorem1_setup(inst)
        n, N, L = pr.n, cfg.N, cfg.L
        per = 2 * N + 4
        step = int((ev.details or {}).get("step", L))
        trace = W.Trace()
        try:
            states = W.run_block(layers * step, wc, pr, trace, step * per)
        except W._TooLarge as exc:
            raise _NoCert(f"the certificate would be too large for the checker ({exc})") from exc
        lay, sh = wc.layout, cfg.shape
        m = sh.num_params
        w_tf = [states[step * per][0].get(lay.index("w", qq), sp.Integer(0)) for qq in range(m)]
        data["box"] = [q(exact(b)) for b in wc.box]
        lines = list(trace.lines)
        eta = sp.Symbol("eta")
        box = [sp.Symbol(f"box_{qq}") for qq in range(m)]
        gd, norms = [[sp.Integer(0)] * m], []

        def gradient_at(point, suffix: str, name: str) -> list:
            """grad L_n at ``point`` (program lines), its norm as the line ``name`` (one of L_lo's candidates)."""
            ref, grad = _reference_at(cfg, pr, point, suffix)
            lines.extend(ref + [[name, text(sp.sqrt(sp.Add(*[g ** 2 for g in grad])))]])
            norms.append(sp.Symbol(name))
            return grad

        for k in range(L + 1):                              # projected GD from w^(0) = 0, the gradient norms
            grad = gradient_at(gd[-1], f"_g{k}", f"gn_{k}")
            if k < L:
                nxt = []
                for qq in range(m):
                    lines.append([f"wg_{k + 1}_{qq}", text(sp.Max(-box[qq], sp.Min(box[qq], gd[-1][qq] - eta * grad[qq],
                                                                                    evaluate=False), evaluate=False))])
                    nxt.append(sp.Symbol(f"wg_{k + 1}_{qq}"))
                gd.append(nxt)
        from ..audits.wu2025.theorem1 import corners
        for ci, corner in enumerate(corners([exact(b) for b in wc.box])):
            gradient_at([box[qq] if Fraction(corner[qq]) > 0 else -box[qq] for qq in range(m)], f"_c{ci}", f"gc_{ci}")
        lines.append(["observed", text(sp.sqrt(sp.Add(*[(a - b) ** 2 for a, b in zip(w_tf, gd[step])])))])
        lines.append(["L_lo", text(_max(norms))])
        premises = _theorem1_premises(claim, cfg, wc, n, data)
        consts, values, functions = premises[2], premises[3], premises[6]
        # L_hi: two-sided constants (their names cannot meet the premises' constants: a_Lf, ap_Lf, u_Lf)
        data["R_s"] = q(C.safe_radius(cfg))
        lows: dict = {}                                     # the lower ends, filled by sup_constant
        try:
            ca = sup_constant("a_Lf", "r(t)", "t", "R_s", data, functions, rel_margin=Fraction(1, 10 ** 9),
                              lower_values=lows)
            cap = sup_constant("ap_Lf", "dr(t)", "t", "R_s", data, functions, rel_margin=Fraction(1, 10 ** 9),
                               lower_values=lows)
            cu = sup_constant("u_Lf", "dphi(z)", "z", "a_Lf + B_y", data, functions,
                              env_values={**values, "a_Lf": Fraction(ca["value"])}, rel_margin=Fraction(1, 10 ** 9),
                              lower_values=lows)
        except CoverFailed as exc:
            raise _NoCert(f"the enclosure of a constant of L_hi did not close: {exc}") from exc
        consts += [ca, cap, cu]
        Lhi = C.L_f_formula(sp.Symbol("a_Lf"), sp.Symbol("ap_Lf"), sp.Symbol("u_Lf"), N, cfg.K, cfg.d_out,
                            sp.Symbol("B_v"), sp.Symbol("B_x"))
        f = lambda v: (1 + sp.Symbol("n") * v) ** step * sp.Symbol("eps") / v  # noqa: E731
        lo = sp.Min(sp.Symbol("L_lo"), sp.Symbol("L_hi"), evaluate=False)
        hi = sp.Max(sp.Symbol("L_lo"), sp.Symbol("L_hi"), evaluate=False)
        lines += [["L_hi", text(Lhi)], ["bound_lo", text(f(lo))], ["bound_hi", text(f(hi))],
                  ["needed", "observed + bound_lo + bound_hi"]]
        prog = W.prune(lines, "needed")[:-1]
    except _NoCert as exc:
        return None, str(exc)
    return _theorem1_certificate(claim, inst, ev, data, premises, prog, "Max(bound_lo, bound_hi)",
                                 f"the construction's blocks and projected GD from w^(0) = 0; at step {step} "
                                 "||w^l - w_GD^l||_2 against max(f(L_lo), f(L_hi)), L_lo from the gradients at the "
                                 "GD iterates and three corners of W, L_hi from two-sided certified constants; "
                                 "Theorem 1's hypotheses (the proof's eps choices met by the certified constants)")


# ------------------------------------------------------------------------------------------------ ReLU coverage

def relu_coverage(claim, inst, ev):
    """Definition 4's piecewise-linear interpolant of r' = 1(t > 0) at M uniform segments on [-1, 1], rebuilt by the
    program from the knots and the step itself (knots tau_q = -1 + 2q/M, values Heaviside(tau_q), slopes, the
    ReLU-sum form), evaluated at t = -+10^-12, against eps_r' = 1/4.  An M with a knot at 0 leaves the step's
    value there to a convention the checker encloses as [0, 1], so only odd M is certified."""
    M = int(inst["M"])
    if M % 2 == 0:
        return None, (f"M = {M} puts a knot at the step's discontinuity 0, where the checker encloses 1(t > 0) "
                      "as [0, 1] (every convention); the violation stays exact (Fractions), uncertified")
    prog = Program()
    Ms = prog.integer("M", M)
    h = prog.scalar("t_off", Fraction(1, 10 ** 12))
    eps = prog.scalar("eps_rp", Fraction(1, 4))
    tau = [prog.line(f"tau_{k}", -1 + 2 * sp.Integer(k) / Ms) for k in range(M + 1)]
    val = [prog.line(f"v_{k}", sp.Heaviside(tau[k])) for k in range(M + 1)]
    slope = [prog.line(f"m_{k}", (val[k + 1] - val[k]) / (tau[k + 1] - tau[k])) for k in range(M)]

    def a(t):
        return val[0] + sp.Add(*[(slope[k] - (slope[k - 1] if k else 0)) * sp.Max(0, t - tau[k], evaluate=False)
                                 for k in range(M)])

    lo = prog.line("a_left", a(-h))
    hi = prog.line("a_right", a(h))
    obs = prog.line("observed", sp.Max(sp.Abs(lo), sp.Abs(1 - hi), evaluate=False))
    rows = [["knots", "M >= 1 interpolation knots", "M", ">=", "1"],
            ["the two points straddle 0", "t = -t_off < 0 < t_off", "t_off", ">", "0"]]
    cert = base("violation", claim, BITS, data=prog.data, hypotheses=rows, program=prog.program([obs, eps]),
                observed=text(obs), bound="eps_rp",
                scope=(f"r' = 1(t > 0) (ReLU's derivative) interpolated at M = {M} uniform segments of [-1, 1] "
                       "(Definition 4's units: v_0 + sum_k (m_k - m_(k-1)) relu(t - tau_k)); the sup error near 0 "
                       "is at least max(|a(-t_off)|, |1 - a(t_off)|), against the eps_r' = 1/4 the claim asks"))
    return _finish(cert, ev)


# ------------------------------------------------------------------------------------------------ dispatch

VIOLATIONS = {"wu2025.lemma14": lemma14, "wu2025.lemma14.convergence": lemma14_convergence,
              "wu2025.lemma14.ours": lemma14, "wu2025.lemma14.convergence.ours": lemma14_convergence,
              "wu2025.theorem2.proof_eta": theorem2_proof_eta, "wu2025.theorem1.query_gate": query_gate,
              "wu2025.theorem1.query_gate.safe": query_gate, "wu2025.theorem1": theorem1_stated,
              "wu2025.theorem4.stated": theorem1_stated, "wu2025.abstract.relu_coverage": relu_coverage,
              "wu2025.corollary1_1": corollary1_1}
VIOLATIONS.update({cid: norm_claim for cid in NORM_LAYERS})

NOT_CERTIFIABLE: dict = {}


def certify_violation(claim, instance: dict, ev, dps: int):
    if claim.id in VIOLATIONS:
        return VIOLATIONS[claim.id](claim, instance, ev)
    return None, NOT_CERTIFIABLE.get(claim.id, f"no violation certificate builder for {claim.id}")


# ------------------------------------------------------------------------------------------------ identities

def _ident(sym: sp.Symbol) -> str:
    from .wu2025 import name_of

    s = name_of(sym)
    return s if s and s[0].isalpha() else "s_" + s


def _assumption(sym: sp.Symbol) -> str:
    if sym.is_positive:
        return "positive"
    if sym.is_nonnegative:
        return "nonnegative"
    if sym.is_integer:
        return "integer"
    return "real" if sym.is_real else ""


def _branches(ex):
    """A Piecewise identity as its branches: each Eq(u, v) branch with one symbol solved from its condition, the
    'otherwise' branch as it is (a rational identity that holds for generic values, hence on that branch)."""
    if not ex.has(sp.Piecewise):
        return [("", ex)]
    pf = sp.piecewise_fold(ex)
    out = []
    for e, c in pf.args:
        if c is sp.true:
            out.append((" [otherwise]", e))
            continue
        if not isinstance(c, sp.Eq):
            raise ValueError(f"condition {c} is not an equation")
        sym = sorted(c.free_symbols, key=str)[0]
        sol = sp.solve(c, sym)
        if len(sol) != 1:
            raise ValueError(f"condition {c}: no unique solution for {sym}")
        out.append((f" [{c}]", e.subs(sym, sol[0])))
    return out


def _add_identity(parts, syms, names, N, iid, ex):
    ren = {}
    for s in ex.free_symbols:
        nm = _ident(s)
        if nm in syms and syms[nm] != _assumption(s):
            nm = f"{nm}_{_assumption(s) or 'any'}"
        ren[s] = sp.Symbol(nm)
        syms[nm] = _assumption(s)
    z = f"z_{len(parts)}"
    syms[z] = "real"
    parts.append(f"{z}*({text(ex.xreplace(ren))})")
    names.append(f"N = {N}: {iid}")


def identity_group(claim_id: str, config=None):
    """Every identity of the group at N = 2, 3, 4 (the claim's declared domain), one expression each weighted by an
    independent symbol z_i: sum_i z_i e_i simplifies to 0 iff every e_i does (as polynomials in the z_i).  Several
    residuals are 0 already when SymPy builds them (its automatic evaluation): they are listed, and trivially 0."""
    from symbolic.wu2025 import bounds as B

    from ..audits.wu2025.findings import IDENTITY_GROUPS

    parts, syms, names = [], {}, []
    for N in (2, 3, 4):
        for iid, ex in B.identities(N).items():
            if not any(k in iid for k in IDENTITY_GROUPS[claim_id]):
                continue
            if "symbolic" in iid and N != 2:
                continue                                       # symbolic in j: independent of N, once
            try:
                branches = _branches(ex)
            except ValueError as exc:
                return None, f"{iid}: {exc}"
            for label, e in branches:
                _add_identity(parts, syms, names, N, iid + label, e)
    if not parts:
        return None, "no identity of the group"
    trivial = sum(1 for p in parts if p.endswith("*(0)"))
    cert = base("identity", claim_id, 128, symbols=syms, expression=" + ".join(parts),
                scope=(f"the declared domain N = 2, 3, 4, symbolic in every other quantity: {len(parts)} identities "
                       f"({trivial} of them 0 already as SymPy builds them from the definitions), each weighted by an "
                       f"independent symbol z_i: {'; '.join(names)}"),
                whole_domain=True)
    from ..checker import check_certificate

    r = check_certificate(cert)
    if not r.ok:
        return None, f"the weighted sum of the identities does not simplify in the checker ({r.reason})"
    return cert, "ok"


def lemma16_arithmetic(claim_id: str, config=None):
    from ..audits.wu2025.softmax import LEMMA16_STEPS, STEP_SYMBOLS

    parts, syms = [], {k: "positive" for k in STEP_SYMBOLS}
    for i, (name, (lhs, rhs)) in enumerate(LEMMA16_STEPS.items()):
        z = f"z_{i}"
        syms[z] = "real"
        parts.append(f"{z}*(({lhs}) - ({rhs}))")
    cert = base("identity", claim_id, 128, symbols=syms, expression=" + ".join(parts),
                scope=(f"every printed step of Lemma 18's proof ({len(LEMMA16_STEPS)} steps, lhs - rhs) over L, B_x, "
                       "D, d, n > 0, each weighted by an independent symbol z_i"),
                whole_domain=True)
    return cert, "ok"


def lemma5(claim_id: str, config=None):
    """Lemma 5 on the claim's sizes: the construction's N EWML layers (symbolic.wu2025.assemble, weights written into
    the expression as exact rationals), applied by their semantics h <- h + sum_m <Q_m h, K_m h> V_m h to tokens whose
    w, r_bar'(j) and g slots are symbols, give s_bar(N) = r_bar'(N-1) (.) g and s_bar(j) = r_bar'(j-1) (.) (V_{j+1}^T
    s_bar(j+1)): sum z_e (slot_e - recursion_e) over every s entry of every token simplifies to 0."""
    from symbolic.wu2025.assemble import build_construction
    from symbolic.wu2025.config import WuConfig

    from ..audits.wu2025.findings import Lemma5 as L5

    parts, syms, done = [], {}, []
    for d_in, d_out, K, N in L5.sizes:
        cfg = WuConfig(d_in=d_in, d_out=d_out, K=K, N=N, n=1, L=1, knots=4, radius="2")
        wc = build_construction(cfg, readout=False)
        lay, shape = wc.layout, cfg.shape
        tag = f"S{d_in}{d_out}{K}{N}"
        w = [sp.Symbol(f"w_{tag}_{q_}") for q_ in range(shape.num_params)]
        for i in range(cfg.n + 1):
            h = {lay.index("w", q_): v for q_, v in enumerate(w)}
            rp = []
            for j in range(N):
                sl = lay.slice(lay.rp(j))
                rp.append([sp.Symbol(f"rp_{tag}_{i}_{j}_{k}") for k in range(sl.stop - sl.start)])
                h.update({sl.start + k: v for k, v in enumerate(rp[-1])})
            g = [sp.Symbol(f"g_{tag}_{i}_{k}") for k in range(d_out)]
            h.update({lay.index("g", k): v for k, v in enumerate(g)})
            h[lay.index("one")] = sp.Integer(1)
            if i < cfg.n:
                h[lay.index("t")] = sp.Integer(1)
            for layer in wc.blocks[0].layers[N + 2: 2 * N + 2]:
                delta: dict = {}
                for head in layer.heads:
                    Qh = _apply_sparse(head.Q, h)
                    Kh = _apply_sparse(head.K, h)
                    score = sp.Add(*[Qh[r] * Kh[r] for r in Qh if r in Kh])
                    if score == 0:
                        continue
                    for r, v in _apply_sparse(head.V, h).items():
                        delta[r] = delta.get(r, 0) + score * v
                h = dict(h)
                for r, v in delta.items():
                    h[r] = sp.expand(h.get(r, 0) + v)
            Vs = [np.array(w[shape.layer_slice(j)], dtype=object).reshape(shape.width(j), shape.fan_in(j))
                  for j in range(1, N + 1)]
            srec = {N: [a * b for a, b in zip(rp[N - 1], g)]}
            for j in range(N - 1, 0, -1):
                Vt = Vs[j].T
                srec[j] = [rp[j - 1][k] * sp.Add(*[Vt[k, l] * srec[j + 1][l] for l in range(len(srec[j + 1]))])
                           for k in range(shape.width(j))]
            for j in range(1, N + 1):
                sl = lay.slice(lay.s(j))
                for k, want in enumerate(srec[j]):
                    got = h.get(sl.start + k, sp.Integer(0))
                    z = f"z_{len(parts)}"
                    syms[z] = "real"
                    parts.append(f"{z}*(({text(got)}) - ({text(want)}))")
        done.append(f"(d_x, d_y, K, N) = {(d_in, d_out, K, N)}")
    for e in parts:
        for nm in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", e):
            if nm not in syms:
                syms[nm] = "real"
    cert = base("identity", claim_id, 128, symbols=syms, expression=" + ".join(parts),
                scope=(f"the claim's sizes {', '.join(done)}, n = 1 (two tokens, t = 1 and t = 0), symbolic in every "
                       "weight w and every input r_bar', g: the N EWML layers' output s slots equal the recursion "
                       "(3.20) exactly"),
                whole_domain=True)
    return cert, "ok"


def _apply_sparse(M, h: dict) -> dict:
    out: dict = {}
    for (r, c), v in M.entries.items():
        if c in h:
            out[r] = out.get(r, 0) + sp.Rational(v.numerator, v.denominator) * h[c]
    return out


def lemma1(claim_id: str, config=None):
    """Lemma 1 (or 15) on the claim's sizes, n = 2: the explicit gradient of ``symbolic.network.lemma1_terms`` (3.5)-
    (3.7) with the square loss (u = 2(t - y)), in an undefined activation r and its derivative dr, every weight and
    datum a symbol; the checker rebuilds the network and L_n from the sizes and differentiates it."""
    from symbolic.network import NetworkShape, lemma1_terms

    from ..audits.wu2025.findings import Lemma1, Lemma15

    shapes = (Lemma15 if claim_id == "wu2025.lemma15" else Lemma1).shapes
    r, dr = sp.Function("r"), sp.Function("dr")
    nets = []
    for d_in, d_out, K, N in shapes:
        n = 2
        shape = NetworkShape(d_in, d_out, K, N)
        w = np.array([sp.Symbol(f"w_{q_}") for q_ in range(shape.num_params)], dtype=object)
        X = np.array([[sp.Symbol(f"x_{i}_{a}") for a in range(d_in)] for i in range(n)], dtype=object)
        Y = np.array([[sp.Symbol(f"y_{i}_{k}") for k in range(d_out)] for i in range(n)], dtype=object)
        terms = lemma1_terms(shape, w, X, Y, r, dr, lambda t, y: 2 * (t - y))
        nets.append({"network": {"d_in": d_in, "d_out": d_out, "K": K, "N": N, "n": n},
                     "claimed": [text(g) for g in terms.grad]})
    cert = base("gradient", claim_id, 128, networks=nets,
                scope=(f"(d_x, d_y, K, N) in {[tuple(x) for x in shapes]}, n = 2, square loss: every component of "
                       "Lemma 1's gradient (3.5)-(3.7) equals the derivative of L_n (2.2), as an identity in every "
                       "weight, every datum and in the activation r (undefined)"),
                whole_domain=True)
    return cert, "ok"


LEMMA14_AXIOMS = {
    "start": "w^0 = w_GD^0 = 0, so q_0 = ||w^0 - w_GD^0||_2 = 0.",
    "projection": "Proj_W onto a closed convex W is 1-Lipschitz: ||Proj_W(u) - Proj_W(v)||_2 <= ||u - v||_2.",
    "smooth step": "grad f L_f-Lipschitz on W: ||(u - eta grad f(u)) - (v - eta grad f(v))||_2 <= (1 + eta L_f) "
                   "||u - v||_2.",
    "perturbation": "||eps^(l-1)||_2 <= eta eps (the hypothesis), and the triangle inequality: q_l <= (1 + eta L_f) "
                    "q_(l-1) + eta eps.",
}


def lemma14_ours(claim_id: str, config=None):
    """Our Lemma 14 (error accumulation with (1 + eta L_f)^l) for every L_f-smooth f on a convex W, every eta,
    eps > 0 and every perturbation sequence within eta eps, by induction: q_l <= eps ((1 + eta L_f)^l - 1) / L_f
    <= L_f^-1 (1 + eta L_f)^l eps (the hypothesis eta L_f <= 1 is not even needed)."""
    cert = base("identity", claim_id, 128, symbols={"eta": "positive", "L_f": "positive", "eps": "positive"},
                axioms=LEMMA14_AXIOMS, induction={"index": "l", "quantity": "q", "base": "0",
                           "step": "(1 + eta*L_f)*q + eta*eps",
                           "invariant": "eps*((1 + eta*L_f)**l - 1)/L_f",
                           "target": "(1 + eta*L_f)**l*eps/L_f"},
                scope=("every l >= 0, every L_f-smooth f on a closed convex W (not only the searched quadratic "
                       "family), every eta, eps, L_f > 0, every perturbation sequence with ||eps^l|| <= eta eps, "
                       "w^0 = w_GD^0"),
                whole_domain=True)
    return cert, "ok"


CLAIMS = {"wu2025.lemma14.ours": lemma14_ours, "wu2025.identity.lemma2": identity_group, "wu2025.identity.lemma6": identity_group,
          "wu2025.identity.theorem1": identity_group, "wu2025.lemma16.arithmetic": lemma16_arithmetic,
          "wu2025.lemma5": lemma5, "wu2025.lemma1": lemma1, "wu2025.lemma15": lemma1}


def certify_claim(claim_id: str, config=None):
    fn = CLAIMS.get(claim_id)
    if fn is None:
        return None, f"no certificate builder for {claim_id}"
    return fn(claim_id, config)
