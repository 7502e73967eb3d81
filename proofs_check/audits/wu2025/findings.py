"""Claims decided by exact or symbolic computation, and the structural findings of the referee list:

* Lemma 1 / Lemma 15: the explicit gradient equals grad L_n (exact SymPy identity for an arbitrary r);
* Lemma 5: the EWML layers compute the recursion (3.20) exactly (the layers run on symbolic tokens);
* the query gate of Theorem 1's proof (s_{n+1}(j) = 0), with (C.13)'s ||a||_2 <= 1 approximants (F3);
* the algebraic identities the proofs rely on (``symbolic.wu2025.bounds.identities``);
* Theorem 1's resource claims (heads, embedding dimension, parameter norm);
* the abstract's "N-layer ReLU network" against Theorem 1's smoothness hypotheses (F1).

Every identity here is decided for the listed sizes only (it is symbolic in everything else): the sizes are
declared as narrowing, and the tier ``certified`` covers that declared domain.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from numeric.executors.highprec import run_highprec
from symbolic.activations import ACTIVATIONS, T
from symbolic.network import NetworkShape, empirical_risk, lemma1_terms
from symbolic.sum_of_relu import interpolant
from symbolic.wu2025 import bounds as B
from symbolic.wu2025.assemble import build_construction
from symbolic.wu2025.config import WuConfig

from ...claims import Claim, Evaluation, Hypothesis, HypothesisCheck, Source, Tier
from ...methods import Exact, Grid, Scan, Search, Undecidable
from .block import BlockClaim
from .common import QUERY_BALL, V_BALL, X_BALL, Y_BALL, setup_of


# --- Lemma 1 and Lemma 15 -----------------------------------------------------------------------------------

def _shape_ok(inst):
    d_in, d_out, K, N = inst["shape"]
    return N >= 2 and min(d_in, d_out, K) >= 1, f"(d_x, d_y, K, N) = {tuple(inst['shape'])}, n = {inst['n']}"


class Lemma1(Claim):
    id = "wu2025.lemma1"
    source = Source("wu2025", "Lemma 1, p. 4-5, eq. (3.5)-(3.7) (proof C.1, p. 18-19); Definition 3, (3.6)")
    statement = ("grad L_n(w) = (1/2n) sum_i [A_i(1); ...; A_i(N)], A_i(j) = [I_{K_j} (x) p_i(j-1)] s_i(j), "
                 "s_i(N) = r'_i(N-1) (.) u_i, s_i(j) = r'_i(j-1) (.) (V_{j+1}^T s_i(j+1))")
    hypotheses = (Hypothesis("sizes", "N >= 2, d, K >= 1", _shape_ok),)
    shapes = ((1, 1, 2, 2), (1, 1, 2, 3), (1, 1, 2, 4))
    methods = Exact(tier=Tier.CERTIFIED, label="exact SymPy identity (symbolic weights, data and activation r)")

    @property
    def narrowing(self):
        return (f"decided for (d_x, d_y, K, N) in {[tuple(s) for s in self.shapes]}, n = 2, square loss (symbolic "
                "in every weight, every datum and in r, an undefined function); the lemma is for every size and loss",)

    def grid(self, ctx):
        return [{"shape": list(s), "n": 2} for s in self.shapes]

    def evaluate(self, instance, dps=None):
        r = sp.Function("r")

        def rprime(v):
            xi = sp.Dummy("xi")
            return sp.Subs(sp.Derivative(r(xi), xi), xi, v)

        d_in, d_out, K, N = instance["shape"]
        n = int(instance["n"])
        shape = NetworkShape(d_in, d_out, K, N)
        w = np.array(sp.symbols(f"w0:{shape.num_params}", real=True), dtype=object)
        X = np.array(sp.symbols(f"x0:{n * d_in}", real=True), dtype=object).reshape(n, d_in)
        Y = np.array(sp.symbols(f"y0:{n * d_out}", real=True), dtype=object).reshape(n, d_out)
        terms = lemma1_terms(shape, w, X, Y, r, rprime, lambda t, y: 2 * (t - y))
        risk = empirical_risk(shape, w, X, Y, r, lambda v: v ** 2)
        nonzero = sum(1 for wi, gi in zip(w, terms.grad) if sp.expand(sp.diff(risk, wi).doit() - gi.doit()) != 0)
        return Evaluation(nonzero, 0, {"shape": list(instance["shape"]), "nonzero_components": nonzero})


class Lemma15(Lemma1):
    id = "wu2025.lemma15"
    source = Source("wu2025", "Lemma 15, p. 33 (Lemma 1 with d_x != d_y, Definition 10)")
    statement = "the explicit gradient of Lemma 1 with I_{d_y} in place of I_d, for networks with d_x != d_y"
    shapes = ((2, 1, 2, 2), (1, 2, 2, 3), (2, 1, 1, 3))


# --- Lemma 5 --------------------------------------------------------------------------------------------------

class Lemma5(Claim):
    id = "wu2025.lemma5"
    source = Source("wu2025", "Lemma 5, eq. (3.20), p. 7 (proof C.5, (C.15), p. 25-26)")
    statement = ("N EWML layers map the tokens to s_bar(N) = r_bar'(N-1) (.) g, s_bar(j) = r_bar'(j-1) (.) "
                 "(V_{j+1}^T s_bar(j+1)), with no error beyond their inputs")
    hypotheses = (Hypothesis("sizes", "N >= 2, d, K >= 1", _shape_ok),)
    sizes = ((1, 1, 2, 2), (2, 2, 3, 3), (2, 1, 2, 4), (3, 2, 2, 3))
    methods = Exact(tier=Tier.CERTIFIED, label="the EWML layers run on symbolic tokens (SymPy) vs the recursion")
    narrowing = ("decided for (d_x, d_y, K, N) in [(1,1,2,2), (2,2,3,3), (2,1,2,4), (3,2,2,3)] with two tokens "
                 "(symbolic in every weight and every input r_bar', g; the layers are per token); the lemma is for "
                 "every size",)

    def grid(self, ctx):
        return [{"shape": list(s), "n": 1} for s in self.sizes]

    def evaluate(self, instance, dps=None):
        d_in, d_out, K, N = instance["shape"]
        cfg = WuConfig(d_in=d_in, d_out=d_out, K=K, N=N, n=int(instance["n"]), L=1, knots=4, radius="2")
        wc = build_construction(cfg, readout=False)
        lay = wc.layout
        shape = cfg.shape
        w = list(sp.symbols(f"w0:{shape.num_params}", real=True))
        T_ = cfg.n + 1
        rows, rp_syms, g_syms = [], [], []
        for i in range(T_):
            h = [sp.Integer(0)] * lay.D
            for q, v in enumerate(w):
                h[lay.index("w", q)] = v
            rps = []
            for j in range(N):
                sl = lay.slice(lay.rp(j))
                syms = sp.symbols(f"rp{i}_{j}_0:{sl.stop - sl.start}", real=True)
                for k, s in enumerate(syms):
                    h[sl.start + k] = s
                rps.append(list(syms))
            gs = list(sp.symbols(f"g{i}_0:{d_out}", real=True))
            for k, s in enumerate(gs):
                h[lay.index("g", k)] = s
            h[lay.index("one")] = sp.Integer(1)
            h[lay.index("t")] = sp.Integer(1 if i < cfg.n else 0)
            rows.append(h)
            rp_syms.append(rps)
            g_syms.append(gs)
        layers = wc.blocks[0].layers[N + 2: 2 * N + 2]
        H, _ = run_highprec(layers, rows, kind="sympy", record=False)
        Vs = [np.array(w[shape.layer_slice(j)], dtype=object).reshape(shape.width(j), shape.fan_in(j))
              for j in range(1, N + 1)]
        bad = 0
        for i in range(T_):
            s = {N: [a * b for a, b in zip(rp_syms[i][N - 1], g_syms[i])]}
            for j in range(N - 1, 0, -1):
                Vt = Vs[j].T   # V_{j+1}^T (0-based list)
                s[j] = [rp_syms[i][j - 1][k] * sum(Vt[k, l] * s[j + 1][l] for l in range(len(s[j + 1])))
                        for k in range(shape.width(j))]
            for j in range(1, N + 1):
                sl = lay.slice(lay.s(j))
                for got, want in zip(H[i][sl], s[j]):
                    if sp.expand(got - want) != 0:
                        bad += 1
        return Evaluation(bad, 0, {"shape": list(instance["shape"]), "entries_differing": bad})


# --- the query gate (F3) ----------------------------------------------------------------------------------------

def h_l2_units(inst):
    u = setup_of(inst).approx.u
    worst = max(float(sum(x * x for x in unit.a)) ** 0.5 for unit in u.units)
    return worst <= 1, f"max ||a_m||_2 = {worst:.6g} (C.13 requires <= 1); max ||a_m||_1 = {float(u.max_a_l1):.6g}"


def h_l1_units(inst):
    u = setup_of(inst).approx.u
    return u.max_a_l1 <= 1, f"max ||a_m||_1 = {float(u.max_a_l1):.6g} (Definition 4)"


GATE_CAUSES = {
    "(C.13) units: ||a||_1 > 1 lets a^T [p_bar; y; 1] exceed R3": (
        "The gate shifts the query's pre-activations by -R3 and relies on a^T [p(N); y; 1] <= R3, which needs "
        "||a||_1 <= 1 (Definition 4); (C.13) only asks ||a||_2 <= 1, so a unit with ||a||_1 > 1 passes the gate."),
    "p_bar_{n+1}(N) beyond R3": (
        "R3 = max{B_v B_r, B_y, 1} does not bound the entries of p_bar(N): for unbounded r they reach "
        "r(B_v sqrt(K) B_r^{N-1}) (the sqrt(K) of Lemma 2's radius), so a^T [p_bar; y; 1] exceeds R3 and the "
        "query's g_{n+1}, s_{n+1} are nonzero: the query enters the gradient step."),
}


class QueryGate(BlockClaim):
    id = "wu2025.theorem1.query_gate"
    upto = "s"
    source = Source("wu2025", "proof of Theorem 1, p. 29 ('By s_{n+1}(j) = 0 follows Lemma 5'), with Lemma 4's "
                              "approximants as (C.13) restates them (||a||_2 <= 1); mechanism (C.14), p. 24",
                    about="proof_step")
    statement = "the construction gives s_bar_{n+1}(j) = 0 for every j, so the query does not enter the gradient step"
    hypotheses = (X_BALL, Y_BALL, V_BALL, QUERY_BALL,
                  Hypothesis("(C.13) units", "loss approximant units with ||a||_2 <= 1", h_l2_units))
    free = {"norm": "l2"}
    space_overrides = {"loss": ("logcosh", "pseudo_huber", "square")}
    cause_text = GATE_CAUSES
    methods = Search(evaluations=400, floor=150, portfolio=("explore", "local", "cma", "gradient"))
    seed_labels = ("aligned+-", "columns+-")     # the gate's leak is no approximation error: no worst-point seeds

    def parts(self, st, c, e, vals, n):
        if hasattr(c.s[0], "detach"):
            import torch

            top = torch.stack([s[:, n].abs().amax(dim=-1) for s in c.s]).amax(dim=0)
        else:
            top = max(max(abs(v) for v in np.asarray(s, dtype=object)[n]) for s in c.s)
        return [("s_bar_{n+1}", top, 0)]

    def adopt(self, instance, source=None):
        out = super().adopt(instance, source)
        if out is not None:
            out.pop("free", None)
            out["free"] = dict(self.free)
        return out

    def named_causes(self, instance, diag):
        st, n = diag["st"], diag["n"]
        c = diag["c"]
        sq = max(float(s[0, n].abs().max()) for s in c.s)
        if sq == 0:
            return []
        R3 = float(st.approx.R3)
        pN = float(c.p[-1][0, n].abs().max())
        if pN > R3:
            return [("p_bar_{n+1}(N) beyond R3", f"max_k |p_bar_{{n+1}}(N)[k]| = {pN:.6g} > R3 = {R3:.6g}; "
                     f"|s_bar_{{n+1}}| reaches {sq:.4g}")]
        return [("(C.13) units: ||a||_1 > 1 lets a^T [p_bar; y; 1] exceed R3",
                 f"max_k |p_bar_{{n+1}}(N)[k]| = {pN:.6g} <= R3 = {R3:.6g}, but the units have ||a||_1 up to "
                 f"{float(st.approx.u.max_a_l1):.4g} > 1: |s_bar_{{n+1}}| reaches {sq:.4g}")]

    def explain(self, instance, ev):
        c = instance["config"]
        named = self.named_causes(instance, self.diagnose(instance))
        return (f"Witness: N={c['N']}, K={c['K']}, d={c['d_in']}, n={c['n']}, {c['activation']}, {c['loss']} loss, "
                f"B_v={c['Bv']}, B_x={c['Bx']}, B_y={c['By']}, query inside the B_x ball: the query's |s_bar_{{n+1}}| = "
                f"{float(ev.observed):.4g} instead of 0, at 50 digits on the constructed transformer. What the witness "
                f"shows: {'; '.join(s for _, s in named)}. " + " ".join(self.cause_text[k] for k, _ in named))


class QueryGateSafe(QueryGate):
    id = "wu2025.theorem1.query_gate.safe"
    source = Source("wu2025", "the query gate with Definition 4's ||a||_1 <= 1 units and our R3' >= sup |r_bar| "
                              "(ours: the conditions under which (C.14)'s gate is exact)", "ours", about="proof_step")
    statement = "with ||a||_1 <= 1 loss units and R3' >= every entry of [p_bar(N); y; 1], s_bar_{n+1}(j) = 0"
    hypotheses = QueryGate.hypotheses[:4] + (Hypothesis("Def 4 units", "||a||_1 <= 1", h_l1_units),)
    free = {"norm": "l1"}
    radius = "safe"


# --- identities the proofs rely on -----------------------------------------------------------------------------

IDENTITY_GROUPS = {
    "wu2025.identity.lemma2": ("S_recursion", "lemma2_induction"),
    "wu2025.identity.lemma6": ("lemma6_base", "lemma6_step", "lemma6_coeff", "B_s_recursion"),
    "wu2025.identity.theorem1": ("theorem1_coefficients", "eps_choice"),
}


def _point(ex, N) -> dict:
    full = B.expand(ex, B.definitions(N))
    return {str(s): str(sp.Rational(3 + i, 4)) for i, s in enumerate(sorted(full.free_symbols, key=str))}


class Identity(Claim):
    """A group of algebraic identities of the proofs, decided symbolically for N = 2, 3, 4."""

    methods = Exact(tier=Tier.CERTIFIED, label="SymPy simplification to 0")
    narrowing = ("decided for N = 2, 3, 4 (symbolic in every other quantity: K, d, B_v, L_r, ..., eps); the "
                 "identities are claimed for every N",)
    hypotheses = (Hypothesis("N >= 2", "", lambda inst: (int(inst["N"]) >= 2, f"N = {inst['N']}")),)

    def __init__(self, cid: str, where: str, statement: str):
        self.id, self.source, self.statement = cid, Source("wu2025", where, about="proof_step"), statement

    def grid(self, ctx):
        return [{"group": self.id, "N": N} for N in (2, 3, 4)]

    def evaluate(self, instance, dps=None):
        N = int(instance["N"])
        worst, failed = mpmath.mpf(0), []
        with mpmath.workdps(dps or 30):
            for iid, ex in B.identities(N).items():
                if not any(k in iid for k in IDENTITY_GROUPS[instance["group"]]):
                    continue
                if B.is_zero(ex):
                    continue
                full = B.expand(ex, B.definitions(N))
                pt = _point(ex, N)
                subs = {s: sp.Rational(pt[str(s)]) for s in full.free_symbols}
                val = abs(mpmath.mpf(sp.N(full.subs(subs), (dps or 30) + 10)))
                failed.append(iid)
                worst = max(worst, val if val > 0 else mpmath.mpf(1))
        return Evaluation(worst, mpmath.mpf(0), {"N": N, "failed": failed})


# --- resources ------------------------------------------------------------------------------------------------

def _resource_rows(inst) -> list[dict]:
    from .theorem1 import knots_for
    from .common import setup

    cfg = WuConfig(**inst["config"])
    rows = []
    for eps in inst["eps"]:
        M = knots_for(cfg, eps, 4096, None)
        st = setup(cfg.__class__(**{**inst["config"], "knots": M}))
        layers = st.wc.blocks[0].layers
        heads = max(layer.size for layer in layers if layer.kind != "mlp")
        rows.append({"eps": eps, "knots": M, "max_heads": heads, "D": st.wc.layout.D})
    return rows


def _slope(xs, ys) -> float:
    return float(np.polyfit(np.log(np.asarray(xs, float)), np.log(np.asarray(ys, float)), 1)[0])


RESOURCE_CONFIGS = ({"d_in": 1, "d_out": 1, "K": 2, "N": 2, "n": 2, "L": 1, "Bv": 1.0, "Bx": 1.0, "By": 1.0,
                     "activation": "sigmoid", "loss": "square", "radius": "paper", "eta": 0.5},
                    {"d_in": 2, "d_out": 2, "K": 3, "N": 3, "n": 2, "L": 1, "Bv": 1.5, "Bx": 1.0, "By": 1.0,
                     "activation": "tanh", "loss": "square", "radius": "paper", "eta": 0.5})
RESOURCE_EPS = (3.0, 1.0, 0.3, 0.1, 0.03)


class Heads(Claim):
    id = "wu2025.theorem1.heads"
    source = Source("wu2025", "Theorem 1, p. 8: max_l M^l <= O-tilde(eps^-2)",
                    note="an O-tilde statement with unspecified constants: only the rate is tested, by the fitted "
                         "exponent of max heads in 1/eps on the proof's construction")
    statement = "max heads <= O-tilde(eps^-2)"
    hypotheses = (Hypothesis("eps grid", "at least two eps", lambda inst: (len(inst["eps"]) >= 2, str(inst["eps"]))),)
    methods = Scan(precision="high", label="fitted exponent of max heads vs 1/eps, per configuration")
    narrowing = (f"the exponent is fitted over eps in {list(RESOURCE_EPS)} on two configurations (the statement is "
                 "asymptotic with unspecified constants: an observed exponent <= 2 is evidence about the rate, not a "
                 "decision of the O-tilde bound)",)

    def grid(self, ctx):
        return [{"config": c, "eps": list(RESOURCE_EPS)} for c in RESOURCE_CONFIGS]

    def evaluate(self, instance, dps=None):
        rows = _resource_rows(instance)
        slope = _slope([1 / r["eps"] for r in rows], [r["max_heads"] for r in rows])
        with mpmath.workdps(dps or 30):
            return Evaluation(mpmath.mpf(slope) if dps else slope, mpmath.mpf(2) if dps else 2.0, {"rows": rows})


class Embedding(Claim):
    id = "wu2025.theorem1.embedding"
    source = Source("wu2025", "Theorem 1, p. 8: max_l D^l <= O(N K^2) + D_w",
                    note="D_w there is the projection MLP's width (the symbol is overloaded); the token dimension D does not depend on eps")
    statement = "max embedding dimension <= O(NK^2) + D_w"
    hypotheses = (Hypothesis("sizes", "", lambda inst: (len(inst["sizes"]) >= 2, f"{len(inst['sizes'])} sizes")),)
    methods = Scan(precision="high", label="fitted exponent of the token dimension D in N K^2 (d fixed)")
    narrowing = ("the exponent of D in N K^2 is fitted over N in {2..6}, K in {1..8} at fixed d (the O(.) constants "
                 "are unspecified: an exponent <= 1 is evidence about the rate, not a decision)",)

    def grid(self, ctx):
        return [{"d": d, "sizes": [[N, K] for N in (2, 3, 4, 6) for K in (1, 2, 4, 8)]} for d in (1, 2, 4)]

    def evaluate(self, instance, dps=None):
        from symbolic.wu2025.layout import TokenLayout

        d = int(instance["d"])
        xs, ys = [], []
        for N, K in instance["sizes"]:
            D = TokenLayout.for_shape(NetworkShape(d, d, K, N)).D
            xs.append(N * K * K)
            ys.append(D)
        slope = _slope(xs, ys)
        with mpmath.workdps(dps or 30):
            return Evaluation(mpmath.mpf(slope) if dps else slope, mpmath.mpf(1) if dps else 1.0,
                              {"D": dict(zip([str(s) for s in instance["sizes"]], ys))})


class NormResource(Claim):
    id = "wu2025.theorem1.norm"
    source = Source("wu2025", "Theorem 1, p. 8: max_l B_theta_l <= O(eta) + C_w + 1")
    statement = "max parameter norm <= O(eta) + C_w + 1"
    methods = Undecidable("max B_theta <= O(eta) + C_w + 1 hides unspecified constants (the O(eta) term and C_w, an "
                          "assumed projection MLP's norm); the Lemma 2-4 layers' (B.1) norms do not depend on eta "
                          "(they grow with the approximants' C1, C2 and with M3 R3), so the claim can only hold through "
                          "the hidden constant: no finite computation decides it")


# --- F1: ReLU networks ----------------------------------------------------------------------------------------

class ReluNetworks(Claim):
    id = "wu2025.abstract.relu_networks"
    source = Source("wu2025", "Abstract and Sec. 3 (p. 1-3: 'simulating L gradient descent steps of an N-layer ReLU "
                              "network') vs Theorem 1 (r, r' Lipschitz and C^4) and Remark 5, p. 31")
    statement = "the (2N+4)L-layer construction simulates GD on N-layer ReLU networks within any given error"
    hypotheses = (Hypothesis("knots", "", lambda inst: (int(inst["M"]) >= 1, f"M = {inst['M']}")),)
    methods = Grid(precision="high", label="sup error of the interpolant of the step r' = 1(t > 0) near 0")

    def applicability(self, options):
        relu = ACTIVATIONS["relu"]
        return [HypothesisCheck("r' Lipschitz", False, "r' = 1(t > 0) is discontinuous at 0: Theorem 1's hypotheses "
                                "fail for ReLU; any continuous approximant of r' has sup error >= 1/2 on an interval "
                                "containing 0 (|f(0) - 0| + |f(0) - 1| >= 1), so Lemma 3's eps_r' < 1/2 is impossible "
                                "(finding wu2025.F01_relu_networks)"),
                HypothesisCheck("r C^4", relu.is_Ck(4), "relu is C^0 only")]

    def grid(self, ctx):
        return [{"M": M} for M in (8, 64, 512)]

    def evaluate(self, instance, dps=None):
        a = interpolant(sp.Heaviside(T, 0), T, 1, int(instance["M"]))
        lo, hi = a(Fraction(-1, 10**12)), a(Fraction(1, 10**12))
        err = max(abs(lo), abs(1 - hi))
        with mpmath.workdps(dps or 30):
            e = mpmath.mpf(err.numerator) / err.denominator
            return Evaluation(e if dps else float(e), mpmath.mpf("0.5") if dps else 0.5,
                              {"error_left_of_0": float(abs(lo)), "error_right_of_0": float(abs(1 - hi))})


class ReluCoverage(Claim):
    id = "wu2025.abstract.relu_coverage"
    source = Source("wu2025", "Abstract and Sec. 3 (p. 1-3: 'an N-layer ReLU network') read through Theorem 1's "
                              "proof, Lemma 3 (p. 6): r' must be eps_r'-approximable for the eps_r' = 2eps/(3C_r') "
                              "the proof chooses, which tends to 0 with eps",
                    note="for r = ReLU, r' = 1(t > 0); any continuous approximant has sup error >= 1/2 on an interval "
                         "containing 0 (|f(0) - 0| + |f(0) - 1| >= 1); the grid shows Definition 4's interpolants "
                         "at M knots against the target eps_r' = 1/4")
    statement = ("the abstract's setting is covered: for r = ReLU, r' = 1(t > 0) is (eps_r', R, M, C)-approximable "
                 "(Definition 4) for every eps_r' > 0, here eps_r' = 1/4 on [-1, 1]")
    hypotheses = (Hypothesis("knots", "M >= 1 interpolation knots", lambda inst: (int(inst["M"]) >= 1,
                                                                                    f"M = {inst['M']}")),)
    methods = Exact(tier=Tier.EXHAUSTIVE, label="exact sup error of Definition 4's interpolant of the step near 0",
                    stop_at_first=True)

    def grid(self, ctx):
        """Odd M first (no knot at the discontinuity: the certified witness), then even M (a knot at 0)."""
        return [{"M": M} for M in (3, 9, 65, 2, 8, 512)]

    def evaluate(self, instance, dps=None):
        a = interpolant(sp.Heaviside(T, 0), T, 1, int(instance["M"]))
        lo, hi = a(Fraction(-1, 10**12)), a(Fraction(1, 10**12))
        err = max(abs(lo), abs(1 - hi))
        return Evaluation(err, Fraction(1, 4), {"error_left_of_0": str(abs(lo)), "error_right_of_0": str(abs(1 - hi)),
                                                "lower_bound_any_continuous_approximant": "1/2"})


FINDING_CLAIMS = [
    Lemma1(), Lemma15(), Lemma5(), QueryGate(), QueryGateSafe(),
    Identity("wu2025.identity.lemma2", "Lemma 2, proof p. 21: S_j = 1 + sqrt(K) L_r B_v S_{j-1} and the induction",
             "the Lemma 2 induction step closes with S_j = sum_{l<j} (sqrt K L_r B_v)^l"),
    Identity("wu2025.identity.lemma6", "Lemma 6, proof p. 26-28: base case, induction step, eps-coefficients, B_s",
             "Lemma 6's closed form satisfies its recursion and its eps-coefficients are E_s^r, E_s^r', E_s^l"),
    Identity("wu2025.identity.theorem1", "Theorem 1, proof p. 30-31: C_l, C_r, C_r' and the eps choices",
             "(N/2) P[...] = (1/2)(C_l eps_l + C_r eps_r + C_r' eps_r'), and the eps choices give exactly eps"),
    Heads(), Embedding(), NormResource(), ReluNetworks(), ReluCoverage(),
]
