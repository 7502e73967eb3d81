"""Violation certificates of Wu et al.'s block claims (Lemmas 2, 3, 4, 6 and the gradient error of Theorem 1's
proof, ``proofs_check.audits.wu2025.lemmas``).

The certificate of a witness holds, as exact rationals: the prompt (x, y, w0: the saved floats' binary values), the
approximants' units (Definition 4: a_m, c_m of r_bar, r_bar' and of the loss units g), the radii and the
configuration's numbers.  Its program is

* the constructed transformer's first block, layer by layer, from the layer semantics (Definitions 6-8) applied to
  the construction's weights, written with the unit coefficients as data (so the same r_bar appears in the
  transformer and in the certificate of eps_r): ReLU attention h_i += (1/(n+1)) sum_m sum_s relu(<Q_m h_i, K_m h_s>)
  V_m h_s, EWML h_i += sum_m <Q_m h_i, K_m h_i> V_m h_i, MLP h_i += W_2 relu(W_1 h_i);
* Definition 2/3 and Lemma 1 with the true r, r' (the checker differentiates r itself) and u;
* the claim's bound from ``symbolic.wu2025.bounds`` (the paper's definitions of S_j, E_r, P, B_s, E_s^*, ...),
  with every sup-defined constant (eps_r, eps_r', eps_l, L_r, L_r', L_l, B_r^j, B_r'^j, sup|u|) replaced by an
  upper bound proven by a cover of its interval (the checker verifies the bound is nondecreasing in them).
"""
from __future__ import annotations

import copy
import re
from fractions import Fraction

import mpmath
import sympy as sp

from symbolic.activations import T, get_activation
from symbolic.losses import Z, get_loss
from symbolic.transformer import EWML, MLP, ReluAttention
from symbolic.wu2025 import bounds as B
from symbolic.wu2025 import constants as C

from ..checker import Reject
from .common import (BITS, CoverFailed, agrees, base, claimed, evaluate_certificate, q, rat, sup_constant, text)

ONE = sp.Integer(1)
MAX_HEAD_EVALS = 400000          # (heads x token pairs) traced: keeps certificates of the small witnesses small


def name_of(sym: sp.Symbol) -> str:
    """An identifier for a bounds.py symbol: B_{r'} -> B_rp, \\epsilon_r -> epsilon_r, E^{rp}_{s,1} -> E_rp_s_1."""
    s = sym.name.replace("'", "p").replace("\\", "")
    return re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_")


def Max0(e):
    return sp.Max(sp.Integer(0), e, evaluate=False)


# ------------------------------------------------------------------------------------------ the construction

def _units_data(units, prefix: str, data: dict) -> list:
    """Unit coefficients as data: prefix_A = [[a...]], prefix_C = [c...]; returns the symbols per unit."""
    data[f"{prefix}A"] = [[q(a) for a in u.a] for u in units]
    data[f"{prefix}C"] = [q(u.c) for u in units]
    return [([sp.Symbol(f"{prefix}A_{m}_{k}") for k in range(len(u.a))], sp.Symbol(f"{prefix}C_{m}"))
            for m, u in enumerate(units)]


def _scalar_heads(layout, j: int, k: int, syms, out_index: int) -> list:
    """(C.7)-(C.8) with symbolic unit coefficients: Q h_i = [a1 p(j-1); a2], K h_s = [v_jk; 1], V h_s = c e_out."""
    fan_in, one = layout.shape.fan_in(j), layout.index("one")
    heads = []
    for (a1, a2), c in syms:
        Q = {(l, layout.index(layout.p(j - 1), l)): a1 for l in range(fan_in)}
        Q[(fan_in, one)] = a2
        K = {(l, layout.w(j, k, l)): ONE for l in range(fan_in)}
        K[(fan_in, one)] = ONE
        heads.append((Q, K, {(out_index, one): c}))
    return heads


def _numeric(m) -> dict:
    return {rc: rat(v) for rc, v in m.entries.items()}


def _same(sym_head, num_head, values: dict) -> bool:
    """The symbolic head with the unit values substituted equals the construction's head (zeros dropped)."""
    for s, n in zip(sym_head, (num_head.Q, num_head.K, num_head.V)):
        got = {rc: sp.sympify(v).xreplace(values) for rc, v in s.items()}
        got = {rc: v for rc, v in got.items() if v != 0}
        if got != _numeric(n):
            return False
    return True


def symbolic_layers(wc, data: dict) -> tuple[list, dict]:
    """The first block's layers as (kind, heads or (W1, W2)) with unit coefficients as data symbols, each checked
    equal to the project's construction (``symbolic.wu2025.assemble``); also the symbol -> value map."""
    lay, N, a = wc.layout, wc.config.N, wc.approx
    r_syms, rp_syms = _units_data(a.r.units, "r", data), _units_data(a.rp.units, "p", data)
    u_syms = _units_data(a.u.units, "u", data)
    data["R3g"] = q(a.R3)
    values = {}
    for syms, units in ((r_syms, a.r.units), (rp_syms, a.rp.units), (u_syms, a.u.units)):
        for (aa, c), u in zip(syms, units):
            values.update({s: rat(v) for s, v in zip(aa, u.a)})
            values[c] = rat(u.c)
    R3g = sp.Symbol("R3g")
    values[R3g] = rat(a.R3)
    layers = wc.blocks[0].layers
    out = []
    for idx, layer in enumerate(layers):
        if idx < N or idx == N:                          # Lemma 2 forward layers, Lemma 3 derivative layer
            heads = []
            if idx < N:
                j = idx + 1
                for k in range(1, lay.shape.width(j) + 1):
                    heads += _scalar_heads(lay, j, k, r_syms, lay.index(lay.p(j), k - 1))
            else:
                for j in range(1, N + 1):
                    for k in range(1, lay.shape.width(j) + 1):
                        heads += _scalar_heads(lay, j, k, rp_syms, lay.index(lay.rp(j - 1), k - 1))
            if len(heads) != len(layer.heads) or not all(_same(h, g, values) for h, g in zip(heads, layer.heads)):
                raise ValueError(f"layer {idx + 1}: the symbolic heads differ from the construction's")
            out.append(("attention", heads))
        elif idx == N + 1:                               # Lemma 4 gated loss MLP (C.14)
            W1, W2, m = {}, {}, 0
            one, t = lay.index("one"), lay.index("t")
            for k in range(lay.shape.d_out):
                for (a_t, a_y, a_1), c in u_syms:
                    W1[(m, lay.index(lay.p(N), k))] = a_t
                    W1[(m, lay.index("y", k))] = a_y
                    W1[(m, one)] = a_1 - R3g
                    W1[(m, t)] = R3g
                    W2[(lay.index("g", k), m)] = c
                    m += 1
            got1 = {rc: v.xreplace(values) for rc, v in W1.items()}
            got2 = {rc: v.xreplace(values) for rc, v in W2.items()}
            if {k: v for k, v in got1.items() if v != 0} != _numeric(layer.W1) or \
                    {k: v for k, v in got2.items() if v != 0} != _numeric(layer.W2):
                raise ValueError("the symbolic loss MLP differs from the construction's")
            out.append(("mlp", (W1, W2)))
        elif isinstance(layer, EWML):
            out.append(("ewml", [(_numeric(h.Q), _numeric(h.K), _numeric(h.V)) for h in layer.heads]))
        elif isinstance(layer, ReluAttention):
            out.append(("attention", [(_numeric(h.Q), _numeric(h.K), _numeric(h.V)) for h in layer.heads]))
        elif isinstance(layer, MLP):
            out.append(("mlp", (_numeric(layer.W1), _numeric(layer.W2))))
        else:
            raise ValueError(f"layer kind {type(layer).__name__}")
    return out, values


def _apply(m: dict, h: dict) -> dict:
    """(M h)[row] for a sparse matrix {(row, col): value} and a sparse token {col: expr}."""
    out: dict = {}
    for (r, c), v in m.items():
        if c in h:
            out[r] = out.get(r, 0) + v * h[c]
    return out


def _dot(a: dict, b: dict):
    return sp.Add(*[a[r] * b[r] for r in a if r in b])


class Trace:
    """The program: named lines of the transformer run and of the reference."""

    def __init__(self):
        self.lines: list = []

    def name(self, label: str, expr):
        expr = sp.sympify(expr)
        if expr.is_Symbol or expr.is_Number:
            return expr
        self.lines.append([label, text(expr)])
        return sp.Symbol(label)


def run_block(layers, wc, prompt, trace: Trace, upto: int) -> list:
    """Token states after each of the first ``upto`` layers (sparse dicts index -> symbol), every changed entry a
    program line T<layer>_<token>_<index>."""
    lay, n = wc.layout, prompt.n
    n_tok = n + 1
    H = []
    for i in range(n_tok):
        h = {}
        for k in range(lay.shape.d_in):
            h[lay.index("x", k)] = sp.Symbol(f"x_{i}_{k}")
        if i < n:
            for k in range(lay.shape.d_out):
                h[lay.index("y", k)] = sp.Symbol(f"y_{i}_{k}")
        for qq in range(lay.shape.num_params):
            h[lay.index("w", qq)] = sp.Symbol(f"w_{qq}")
        h[lay.index("one")] = ONE
        if i < n:
            h[lay.index("t")] = ONE
        H.append(h)
    states = [H]
    evals = 0
    for li, (kind, spec) in enumerate(layers[:upto], 1):
        delta = [dict() for _ in range(n_tok)]
        if kind == "mlp":
            W1, W2 = spec
            for i in range(n_tok):
                hidden = {r: Max0(v) for r, v in _apply(W1, H[i]).items()}
                for r, v in _apply(W2, hidden).items():
                    delta[i][r] = v
        else:
            for Q, K, V in spec:
                for i in range(n_tok):
                    qh = _apply(Q, H[i])
                    partners = [i] if kind == "ewml" else range(n_tok)
                    for s in partners:
                        evals += 1
                        score = _dot(qh, _apply(K, H[s]))
                        if score == 0:
                            continue
                        weight = score if kind == "ewml" else Max0(score) / n_tok
                        for r, v in _apply(V, H[s]).items():
                            delta[i][r] = delta[i].get(r, 0) + weight * v
            if evals > MAX_HEAD_EVALS:
                raise _TooLarge(f"{evals} head evaluations by layer {li}")
        new = []
        for i in range(n_tok):
            h = dict(H[i])
            for r, v in sorted(delta[i].items()):
                h[r] = trace.name(f"T{li}_{i}_{r}", H[i].get(r, 0) + v)
            new.append(h)
        H = new
        states.append(H)
    return states


class _TooLarge(Exception):
    pass


def reference(cfg, prompt, trace: Trace, mask_query: bool):
    """Definition 2/3 and Lemma 1 with the true r (r, dr = r') and u (u = dphi(t - y)): lines E..."""
    sh = cfg.shape
    n, N = prompt.n, cfg.N
    n_tok = n + 1
    w = [sp.Symbol(f"w_{qq}") for qq in range(sh.num_params)]
    V = {j: [[w[sh.vector_slice(j, k + 1).start + l] for l in range(sh.fan_in(j))] for k in range(sh.width(j))]
         for j in range(1, N + 1)}
    r, dr, u = sp.Function("r"), sp.Function("dr"), sp.Function("u")
    p = {0: [[sp.Symbol(f"x_{i}_{k}") for k in range(sh.d_in)] for i in range(n_tok)]}
    rp = {}
    for j in range(1, N + 1):
        p[j], rp[j - 1] = [], []
        for i in range(n_tok):
            zs = [trace.name(f"Ez{j}_{i}_{k}", sp.Add(*[V[j][k][l] * p[j - 1][i][l] for l in range(sh.fan_in(j))]))
                  for k in range(sh.width(j))]
            p[j].append([trace.name(f"Ep{j}_{i}_{k}", r(z)) for k, z in enumerate(zs)])
            rp[j - 1].append([trace.name(f"Erp{j - 1}_{i}_{k}", dr(z)) for k, z in enumerate(zs)])
    uu = []
    for i in range(n_tok):
        if i == n and mask_query:
            uu.append([sp.Integer(0)] * sh.d_out)
            continue
        y = [sp.Symbol(f"y_{i}_{k}") if i < n else sp.Integer(0) for k in range(sh.d_out)]
        uu.append([trace.name(f"Eu_{i}_{k}", u(p[N][i][k], y[k])) for k in range(sh.d_out)])
    s = {N: [[trace.name(f"Es{N}_{i}_{k}", rp[N - 1][i][k] * uu[i][k]) for k in range(sh.d_out)]
             for i in range(n_tok)]}
    for j in range(N - 1, 0, -1):
        s[j] = [[trace.name(f"Es{j}_{i}_{k}", rp[j - 1][i][k] * sp.Add(*[s[j + 1][i][l] * V[j + 1][l][k]
                                                                         for l in range(sh.width(j + 1))]))
                 for k in range(sh.width(j))] for i in range(n_tok)]
    grad = []
    for j in range(1, N + 1):
        for k in range(sh.width(j)):
            for l in range(sh.fan_in(j)):
                qq = sh.vector_slice(j, k + 1).start + l
                grad.append(trace.name(f"Egrad_{qq}", sp.Add(*[s[j][i][k] * p[j - 1][i][l] for i in range(n)])
                                       / (2 * n)))
    return {"p": p, "rp": rp, "u": uu, "s": s, "grad": grad}


def prune(lines: list, target: str) -> list:
    """The program lines ``target`` depends on (in order)."""
    names = {name for name, _ in lines}
    deps = {name: set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", body)) & names for name, body in lines}
    keep, todo = set(), [target]
    while todo:
        n = todo.pop()
        if n not in keep:
            keep.add(n)
            todo += list(deps.get(n, ()))
    return [line for line in lines if line[0] in keep]


# ------------------------------------------------------------------------------------------ the bound

PRIMITIVE_DATA = {B.K: "K", B.d: "d", B.d_x: "d_x", B.B_v: "B_v", B.B_x: "B_x", B.B_y: "B_y"}


def bound_program(cfg, expr: sp.Expr, data: dict, extra_defs: dict | None = None,
                  coarse: Fraction = Fraction(1, 10 ** 3)) -> tuple[list, list, sp.Expr]:
    """(sup-defined constants, program lines, bound) for a bounds.py expression at depth N: the paper's derived
    symbols as program lines in dependency order, B_l, R3, B_r, B_r' by their definitions (constants.py, spec 5.1),
    and every sup-defined primitive constant as an upper bound to be proven by a cover.  ``extra_defs`` replace
    definitions (e.g. ``bounds.definitions_columns``, our column factor); ``coarse``: the relative margin of the
    approximation errors' upper bounds (a tighter one costs more boxes)."""
    N = cfg.N
    defs = {**B.definitions(N), **(extra_defs or {})}
    defs[B.B_l] = B.sup_u + B.eps_l + B.L_l * B.E_r * B.eps_r            # ours (spec 5.1): the paper names B_l only
    defs[B.R3] = sp.Max(B.B_v * B.B_r, B.B_y, 1)
    Br = [sp.Symbol(f"B_r_{j}") for j in range(1, N + 1)]
    Brp = [sp.Symbol(f"B_rp_{j}") for j in range(1, N + 1)]
    defs[B.B_r] = sp.Max(B.B_x, *Br)
    defs[B.B_rp] = sp.Max(B.B_x, *Brp)
    needed, todo = set(), set(expr.free_symbols)
    if B.sup_u in todo or B.B_l in todo or B.B_s in todo:
        todo.add(B.B_r)                                  # sup|u| is taken over |z| <= 2 R3, R3 = max{B_v B_r, B_y, 1}
    while todo:
        s = todo.pop()
        if s not in needed:
            needed.add(s)
            todo |= defs[s].free_symbols if s in defs else set()
            if s == B.sup_u:
                todo.add(B.B_r)
    prog, emitted = [], set()
    pending = [s for s in defs if s in needed]
    while pending:                                       # dependency order
        ready = [s for s in pending if not (defs[s].free_symbols & set(pending))]
        for s in ready:
            prog.append([name_of(s), text(_rename(defs[s]))])
            pending.remove(s)
    R_r, R_rp = cfg_radii(cfg)
    data.update({"R_r": q(R_r), "R_rp": q(R_rp), "R_u": q(C.residual_radius(cfg))})
    fine = Fraction(1, 10 ** 9)
    sups = []
    for sym, fn in ((B.B_r, "r(t)"), (B.B_rp, "dr(t)")):
        if sym in needed:
            prev = "B_x"
            for j in range(1, N + 1):
                nm = f"{name_of(sym)}_{j}"
                sups.append((nm, fn, "t", f"B_v*{prev}", fine))
                prev = nm
    for sym, nm, fn, var, radius, margin in (
            (B.L_r, "L_r", "dr(t)", "t", "R_r", fine), (B.L_rp, "L_rp", "d2r(t)", "t", "R_rp", fine),
            (B.L_l, "L_l", "d2phi(z)", "z", "R_u", fine), (B.eps_r, "epsilon_r", "r(t) - rbar(t)", "t", "R_r", coarse),
            (B.eps_rp, "epsilon_rp", "dr(t) - rpbar(t)", "t", "R_rp", coarse)):
        if sym in needed:
            sups.append((nm, fn, var, radius, margin))
    if B.sup_u in needed:                              # sup over |z| <= 2 R3 of |phi'| (constants.sup_u)
        r3 = f"Max(B_v*Max(B_x, {', '.join(f'B_r_{j}' for j in range(1, N + 1))}), B_y, 1)"
        sups.append(("bar_u", "dphi(z)", "z", f"2*{r3}", fine))
    if B.eps_l in needed:                              # square loss: g's units are exact (an identity); otherwise
        sups.append(("epsilon_l", None, None, None, None) if cfg.loss == "square" else   # the lifted 1-D interpolant
                    ("epsilon_l", "dphi(z) - ubar(z, 0)", "z", "R_u", coarse))
    return sups, prog, _rename(expr)


def lifted_units_row(n_units: int) -> list:
    """A hypothesis row: every loss unit has a_y = -a_t, so ubar(t, y) = ubar(t - y, 0) and the sup error over the
    residuals |t - y| <= R_u is the 1-D constant epsilon_l (``symbolic.sum_of_relu.residual_units``)."""
    parts = [f"Abs(uA_{m}_0 + uA_{m}_1)" for m in range(n_units)]
    return ["loss units lifted from z = t - y", "a_y = -a_t for every unit: ubar(t, y) = ubar(t - y, 0)",
            f"Max({', '.join(parts)})" if len(parts) > 1 else parts[0], "<=", "0"]


def _rename(e):
    return e.xreplace({s: sp.Symbol(PRIMITIVE_DATA.get(s) or name_of(s)) for s in e.free_symbols})


def cfg_radii(cfg):
    from symbolic.wu2025.approximants import radii

    R1, R2, _ = radii(cfg)
    return R1, R2


def _checker_functions(e):
    """cosh / sinh written with exp (the checker's functions are exp log sqrt tanh erf ...)."""
    return e.replace(sp.cosh, lambda a: (sp.exp(a) + sp.exp(-a)) / 2).replace(
        sp.sinh, lambda a: (sp.exp(a) - sp.exp(-a)) / 2)


def functions_for(cfg, wc) -> dict:
    act, loss = get_activation(cfg.activation), get_loss(cfg.loss)
    t, z, y = sp.Symbol("t"), sp.Symbol("z"), sp.Symbol("y")

    def unit_sum(prefix, units, args):
        terms = []
        for m, u in enumerate(units):
            lin = sp.Add(*[sp.Symbol(f"{prefix}A_{m}_{k}") * a for k, a in enumerate(args)],
                         sp.Symbol(f"{prefix}A_{m}_{len(args)}"))
            terms.append(sp.Symbol(f"{prefix}C_{m}") * Max0(lin))
        return text(sp.Add(*terms, evaluate=False))

    return {
        "r": {"args": ["t"], "body": text(act.expr.subs(T, t))},
        "dr": {"derivative_of": "r", "order": 1},
        "d2r": {"derivative_of": "r", "order": 2},
        "rbar": {"args": ["t"], "body": unit_sum("r", wc.approx.r.units, [t])},
        "rpbar": {"args": ["t"], "body": unit_sum("p", wc.approx.rp.units, [t])},
        "phi": {"args": ["z"], "body": text(_checker_functions(loss.phi.subs(Z, z)))},
        "dphi": {"derivative_of": "phi", "order": 1},
        "d2phi": {"derivative_of": "phi", "order": 2},
        "u": {"args": ["t", "y"], "body": "dphi(t - y)"},
        "ubar": {"args": ["t", "y"], "body": unit_sum("u", wc.approx.u.units, [t, y])},
    }


# ------------------------------------------------------------------------------------------ hypotheses

def _ball_rows(prefix: str, rows, width: int, radius: str) -> list:
    out = []
    for i in rows:
        out.append(" + ".join(f"{prefix}_{i}_{k}**2" for k in range(width)))
    return [f"Max({', '.join(out)})" if len(out) > 1 else out[0], f"{radius}**2"] if out else None


def hypotheses_for(claim, cfg, n: int, units: dict) -> tuple[list, list]:
    """The claim's hypotheses as exact predicates over the data, and the ones that are properties of formulas."""
    sh = cfg.shape
    rows, assumed = [], []
    for h in claim.hypotheses:
        if h.name == "||x_i|| <= B_x":
            lhs, rhs = _ball_rows("x", range(n), sh.d_in, "B_x")
        elif h.name == "||x_{n+1}|| <= B_x":
            lhs, rhs = _ball_rows("x", [n], sh.d_in, "B_x")
        elif h.name == "||y_i|| <= B_y":
            lhs, rhs = _ball_rows("y", range(n), sh.d_out, "B_y")
        elif h.name == "||v_jk|| <= B_v":
            parts = []
            for j in range(1, cfg.N + 1):
                for k in range(1, sh.width(j) + 1):
                    sl = sh.vector_slice(j, k)
                    parts.append(" + ".join(f"w_{qq}**2" for qq in range(sl.start, sl.stop)))
            lhs, rhs = f"Max({', '.join(parts)})" if len(parts) > 1 else parts[0], "B_v**2"
        elif h.name in ("r approximable", "r' approximable"):
            p = "r" if h.name == "r approximable" else "p"
            parts = [f"Abs({p}A_{m}_0) + Abs({p}A_{m}_1)" for m in range(units[p])]
            lhs, rhs = f"Max({', '.join(parts)})", "1"
        elif h.name == "r, r' Lipschitz and C^4":
            assumed.append(f"{h.name}: r is the function 'r' of this certificate ({cfg.activation}, C^inf)")
            continue
        else:
            raise ValueError(f"hypothesis {h.name!r} has no translation")
        rows.append([h.name, h.text, lhs, "<=", rhs])
    return rows, assumed


# ------------------------------------------------------------------------------------------ the claims

# claim id -> (quantity, rows: 'all' | 'context', the query's u and s as Definition 3 gives them (not gated))
BLOCK_CLAIMS = {
    "wu2025.lemma2": ("lemma2", "all", False), "wu2025.lemma2.context": ("lemma2", "context", False),
    "wu2025.lemma2.safe": ("lemma2", "all", False),
    "wu2025.lemma3": ("lemma3", "all", False), "wu2025.lemma3.safe": ("lemma3", "all", False),
    "wu2025.lemma4": ("lemma4", "context", False), "wu2025.lemma4.safe": ("lemma4", "context", False),
    "wu2025.lemma6.bound": ("lemma6b", "all", True), "wu2025.lemma6.error": ("lemma6e", "all", True),
    "wu2025.lemma6.error.context": ("lemma6e", "context", False), "wu2025.lemma6.error.safe": ("lemma6e", "context", False),
    "wu2025.theorem1.grad_error": ("grad", "context", False), "wu2025.theorem1.grad_error.safe": ("grad", "context", False),
    "wu2025.theorem4": ("grad", "context", False), "wu2025.theorem4.safe": ("grad", "context", False),
    "wu2025.lemma6.error.columns": ("lemma6e", "context", False),
}
# claims whose constants are Lemma 6's with our column factor (bounds.definitions_columns)
COLUMNS = {"wu2025.lemma6.error.columns"}


def construction_of(instance: dict):
    """(construction, configuration) of a Wu instance, through the audits' cached set-up (with the instance's free
    choices of approximants, when it has them)."""
    from symbolic.wu2025.assemble import build_construction
    from symbolic.wu2025.config import WuConfig

    try:
        from ..audits.wu2025 import common as W
    except ImportError:
        W = None
    if W is not None and hasattr(W, "setup_of"):
        st = W.setup_of(instance)
        return st.wc, st.cfg
    if instance.get("free"):
        raise ValueError("an instance with free choices of approximants needs the audits' set-up")
    cfg = WuConfig(**{k: v for k, v in instance["config"].items() if k in WuConfig.__dataclass_fields__})
    return build_construction(cfg, readout=False), cfg


def certify_violation(claim, instance: dict, ev, dps: int):
    from numeric.wu2025.prompt import Prompt

    if claim.id not in BLOCK_CLAIMS:
        return None, f"no violation certificate builder for {claim.id} (its evaluation is not a block quantity)"
    kind, rows_kind, ungated = BLOCK_CLAIMS[claim.id]
    wc, cfg = construction_of(instance)
    pr = Prompt.from_dict(instance["prompt"])
    n, N, sh = pr.n, cfg.N, cfg.shape
    data = {"K": cfg.K, "d": cfg.d_out, "d_x": cfg.d_in, "n": n, "B_v": q(C.exact(cfg.Bv)),
            "B_x": q(C.exact(cfg.Bx)), "B_y": q(C.exact(cfg.By)), "eta": q(wc.eta),
            "x": [[q(v) for v in row] for row in pr.x], "y": [[q(v) for v in row] for row in pr.y],
            "w": [q(v) for v in pr.w0]}
    try:
        layers, _ = symbolic_layers(wc, data)
    except ValueError as exc:
        return None, f"the construction could not be written symbolically: {exc}"
    try:
        hyps, assumed = hypotheses_for(claim, cfg, n, {"r": wc.approx.r.H, "p": wc.approx.rp.H})
    except ValueError as exc:
        return None, str(exc)
    if cfg.loss != "square":
        hyps.append(lifted_units_row(len(wc.approx.u.units)))
    trace = Trace()
    upto = {"lemma2": N, "lemma3": N + 1, "lemma4": N + 2, "lemma6b": 2 * N + 2, "lemma6e": 2 * N + 2,
            "grad": 2 * N + 3}[kind]
    try:
        states = run_block(layers, wc, pr, trace, upto)
    except _TooLarge as exc:
        return None, f"the certificate would be too large for the checker ({exc})"
    ref = reference(cfg, pr, trace, mask_query=not ungated)
    lay = wc.layout
    slot = lambda after, name, i, k: states[after][i].get(lay.index(name, k), sp.Integer(0))  # noqa: E731
    n_tok = n + 1
    part = (ev.details or {}).get("worst_part", "")
    parts = []
    rows = range(n_tok) if rows_kind == "all" else range(n)
    if kind == "lemma2":
        for j in range(1, N + 1):
            norms = [sp.sqrt(sp.Add(*[(slot(j, lay.p(j), i, k) - ref["p"][j][i][k]) ** 2 for k in range(sh.width(j))]))
                     for i in rows]
            parts.append((f"j={j}", norms, sp.sqrt(sh.width(j)) * B.S(j) * B.eps_r))
    elif kind == "lemma3":
        for j in range(1, N + 1):
            diffs = [sp.Abs(slot(N + 1, lay.rp(j - 1), i, k) - ref["rp"][j - 1][i][k]) for i in rows
                     for k in range(sh.width(j))]
            parts.append((f"j={j}", diffs, B.delta_rp()))
    elif kind == "lemma4":
        diffs = [sp.Abs(slot(N + 2, "g", i, k) - ref["u"][i][k]) for i in rows for k in range(sh.d_out)]
        parts.append(("g", diffs, B.delta_l()))
    elif kind == "lemma6b":
        for j in range(1, N + 1):
            ents = [slot(2 * N + 2, lay.s(j), i, k) for i in range(n_tok) for k in range(sh.width(j))]
            ents += [ref["s"][j][i][k] for i in range(n_tok) for k in range(sh.width(j))]
            parts.append((f"j={j}", ents, B.B_s))
    elif kind == "lemma6e":
        for j in range(1, N + 1):
            diffs = [sp.Abs(slot(2 * N + 2, lay.s(j), i, k) - ref["s"][j][i][k]) for i in rows
                     for k in range(sh.width(j))]
            parts.append((f"j={j}", diffs, B.E_s_r * B.eps_r + B.E_s_rp * B.eps_rp + B.E_s_l * B.eps_l))
    elif kind == "grad":
        gbar = [(sp.Symbol(f"w_{qq}") - slot(2 * N + 3, "w", 0, qq)) / sp.Symbol("eta") for qq in range(sh.num_params)]
        norm = sp.sqrt(sp.Add(*[(g - e) ** 2 for g, e in zip(gbar, ref["grad"])]))
        parts.append(("grad", [norm], B.grad_error().subs(sp.Symbol("N"), N)))
    functions = functions_for(cfg, wc)
    order = sorted(parts, key=lambda p: p[0] != part)   # the claim's worst part first, then the others
    why = "no part of the claim is violated by the certified bound"
    for label, items, bexpr in order:
        cert, why = _certify_part(claim, cfg, wc, n, label, items, bexpr, list(trace.lines), data, functions, hyps,
                                  assumed, ev.observed if label == part else None,
                                  B.definitions_columns(N) if claim.id in COLUMNS else None)
        if cert is not None or why.startswith("the certificate's program disagrees"):
            return cert, why
    return None, why


def _certify_part(claim, cfg, wc, n, label, items, bexpr, lines, data, functions, hyps, assumed, theirs,
                  extra_defs=None):
    """The violation certificate of one part (j = ..., or the gradient) of a block claim, or None and why: the
    approximation errors bounded to 1e-3 relative first, to 1e-7 when that bound is not below the observed (a
    violation by less than the margin)."""
    cert, why = None, ""
    for coarse in (Fraction(1, 10 ** 3), Fraction(1, 10 ** 7)):
        cert, why = _certify_part_at(claim, cfg, wc, n, label, items, bexpr, lines, data, functions, hyps, assumed,
                                     theirs, extra_defs, coarse)
        if cert is not None or "is not below the observed" not in why:
            break
    return cert, why


def _certify_part_at(claim, cfg, wc, n, label, items, bexpr, lines, data, functions, hyps, assumed, theirs,
                     extra_defs, coarse):
    N = cfg.N
    data = copy.deepcopy(data)
    obs_expr = items[0] if len(items) == 1 else sp.Max(*items, evaluate=False)
    lines = prune(lines + [["observed", text(obs_expr)]], "observed")
    sups, bprog, bound = bound_program(cfg, bexpr, data, extra_defs, coarse)
    cert = base("violation", claim, BITS, data=data, functions=functions, hypotheses=hyps, assumed=assumed,
                scope=(f"the witness (N={N}, K={cfg.K}, d_x={cfg.d_in}, d_y={cfg.d_out}, n={n}, {cfg.activation}, "
                       f"{cfg.knots} knots, radius {cfg.radius}): part {label} of the claim"),
                program=lines + bprog, observed="observed", bound=text(bound))
    consts, values = [], {}
    try:
        for name, fn, var, radius, margin in sups:
            if fn is None:                                 # eps_l of the square loss: g's two units are exact
                consts.append({"name": name, "function": "ubar(t, y) - u(t, y)", "vars": ["t", "y"],
                               "identity": True, "value": "0"})
                values[name] = Fraction(0)
                continue
            c = sup_constant(name, fn, var, radius, data, functions, env_values=values, rel_margin=margin)
            consts.append(c)
            values[name] = Fraction(c["value"])
    except CoverFailed as exc:
        return None, f"the enclosure of a constant of the bound did not close: {exc}"
    cert["constants"] = consts
    try:
        obs, bd = evaluate_certificate(cert)
    except Reject as exc:
        return None, f"the checker would reject the certificate: {exc}"
    if isinstance(theirs, (mpmath.mpf, float)) and not agrees(obs, theirs):
        return None, (f"the certificate's program disagrees with the claim's evaluation: observed {obs.str(20)} vs "
                      f"{mpmath.nstr(theirs, 20)} (a bug of the certificate builder)")
    if not obs.lower() > bd.upper():
        return None, (f"part {label}: the certified bound (constants replaced by proven upper bounds) {bd.str(8)} is "
                      f"not below the observed {obs.str(8)}")
    cert["claimed"] = {"observed": claimed(obs), "bound": claimed(bd)}
    return cert, "ok"


