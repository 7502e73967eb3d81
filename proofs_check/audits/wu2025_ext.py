"""Claims of Wu et al. beyond the ReLU construction: Theorem 2 and Lemma 16 (Softmax, App E), our Softmax
substitutes (labelled ours), and Appendix G (diffusion score via ICL).  The lead appends ``CLAIMS_EXT`` to the
wu2025 registry.

* Theorem 2 and Lemma 16 state existence only (Lemma 16 invokes Kajitsuka & Sato's non-constructive contextual
  mapping, Lemma 17); their audits are ``inconclusive`` with the reason written out and the numbers that document
  non-constructivity (log10 delta of Lemma 17, the grid F2 must memorise).  What can be decided is decided: the
  Lemma 16 arithmetic (SymPy) and the proof of Theorem 2's constant (kappa = eps/sqrt(D_w) gives eps, not eta eps).
* Our substitutes (``symbolic.wu2025.softmax``): the sink-gate heads against an Arb certificate, and the
  (2N+4)L sink-gate model against Theorem 2's conclusion ||eps^(l-1)|| <= eta eps at a stated eps.
* Appendix G: the reduction to Problem 2 is not applicable as written (F20); our Gaussian/OU check is a claim.
"""
from __future__ import annotations

import math
import time
from fractions import Fraction
from functools import cached_property

import mpmath
import numpy as np
import sympy as sp

from ..claims import Claim, Evaluation, Hypothesis, HypothesisCheck, Outcome, Source
from ..search import Candidate, SearchSpace, maximize
from ..witness import save_witness

# --------------------------------------------------------------------------------------------- helpers


def _fmt(x) -> str:
    return mpmath.nstr(x, 4) if isinstance(x, mpmath.mpf) else f"{float(x):.4g}"


def _finish_search(claim: Claim, ctx, res, t0: float, hp_cost_s: float, confirm_if: float = 0.5):
    """Shared end of our prompt-level searches: float64 ranking; the worst instance is re-evaluated at
    ``ctx.precision`` digits when it comes near the bound (ratio > confirm_if), if that fits the budget."""
    if res.best is None or res.best_value == -math.inf:
        return claim.result(Outcome.INCONCLUSIVE, evaluations=res.evaluations, seconds=time.monotonic() - t0,
                            method="adversarial search", summary="no admissible instance could be evaluated")
    checks = claim.check_hypotheses(res.best)
    ev = claim.evaluate(res.best, dps=None)
    common = dict(hypotheses=checks, evaluations=res.evaluations, bound=ev.bound, observed=ev.observed,
                  ratio=ev.ratio, details={**ev.details, "float64_worst_ratio": res.best_value,
                                           "search_seconds": res.seconds, "history": res.history[-10:]})
    if res.best_value <= confirm_if:
        return claim.result(Outcome.VERIFIED, seconds=time.monotonic() - t0, certified=False,
                            method=f"adversarial search ({res.evaluations} instances, float64)",
                            summary=f"searched {res.evaluations} instances, nothing found: worst observed/bound = "
                                    f"{res.best_value:.3g} (float64; its roundoff, ~1e-12, is far below the margin)",
                            **common)
    if ctx.budget_s - (time.monotonic() - t0) < hp_cost_s:
        return claim.result(Outcome.INCONCLUSIVE, seconds=time.monotonic() - t0, method="adversarial search (float64)",
                            summary=f"float64 worst observed/bound = {res.best_value:.4g}; the {ctx.precision}-digit "
                                    f"confirmation (~{hp_cost_s:.0f}s) did not fit the budget", **common)
    with mpmath.workdps(ctx.precision):
        hp = claim.evaluate(res.best, dps=ctx.precision)
        violated = hp.violates()
    common.update(bound=hp.bound, observed=hp.observed, ratio=hp.ratio)
    method = f"adversarial search ({res.evaluations} instances) + {ctx.precision}-digit confirmation"
    if violated:
        path = save_witness(claim, res.best, checks, hp, ctx.precision, ctx.out_dir)
        return claim.result(Outcome.VIOLATED, witness=str(path), seconds=time.monotonic() - t0, method=method,
                            summary=f"counterexample: observed {_fmt(hp.observed)} > bound {_fmt(hp.bound)}, "
                                    f"confirmed at {ctx.precision} digits", **common)
    return claim.result(Outcome.VERIFIED, seconds=time.monotonic() - t0, method=method,
                        summary=f"worst observed/bound = {hp.ratio:.4g} at {ctx.precision} digits", **common)


def _softmax_config():
    from symbolic.wu2025.config import WuConfig

    return WuConfig(radius="3.1", knots=80)  # spec 11.1: d = 2, K = 3, N = 3, n = 4, L = 2, sigmoid, square loss


# --------------------------------------------------------------------------------------------- Lemma 16 / 17


def lemma17_log10_delta(n_tok: int, vocab, d: int, r_min, r_max, eps) -> mpmath.mpf:
    """log10 of Lemma 17's delta (Kajitsuka & Sato, Thm 2), |V| = vocab (may be astronomically large)."""
    with mpmath.workdps(60):
        V1 = mpmath.mpf(vocab) + 1
        ln = mpmath.log(n_tok)
        pre = 2 * ln**2 * mpmath.mpf(eps) ** 2 * r_min / (mpmath.mpf(r_max) ** 2 * V1**4 * (2 * ln + 3) * mpmath.pi * d)
        expo = V1**4 * (2 * ln + 3) * mpmath.pi * d * mpmath.mpf(r_max) ** 2 / (4 * mpmath.mpf(eps) * r_min)
        return mpmath.log10(pre) - expo / mpmath.log(10)


def lemma16_granularity(L_f, B, d: int, n: int, kappa) -> int:
    """The smallest grid granularity D with L B (8 sqrt(dn) + sqrt(n)) / (2D) <= kappa (Lemma 16's last step)."""
    return math.ceil(L_f * B * (8 * math.sqrt(d * n) + math.sqrt(n)) / (2 * kappa))


def lemma16_sizes() -> list[dict]:
    """Non-constructivity in numbers: granularity D, grid points D^{dn} F2 memorises, log10 delta (Lemma 17).

    Tokens are quantised to {B/D, ..., B}^d, so |V| = D^d, r_min = sqrt(d) B/D, r_max = sqrt(d) B, eps = B/D."""
    rows = []
    for label, d, n, D in [("toy: d = 1, n = 2, D = 2", 1, 2, 2), ("toy: d = 2, n = 3, D = 4", 2, 3, 4)]:
        rows.append(_size_row(label, d, n, D, B=1))
    # Theorem 2 on the micro example (d_x = d_y = 1, K = 2, N = 2 -> D_w = 4): token [x; y; w; 1; t] of size 8,
    # n + 1 = 3 tokens, Lipschitz constant 1, B = 1, kappa = eta eps with eta = 1/2, eps = 1e-2.
    D = lemma16_granularity(1, 1, 8, 3, 0.5e-2)
    rows.append(_size_row("Theorem 2, micro example: d = 8, n = 3, kappa = 5e-3", 8, 3, D, B=1))
    return rows


def _size_row(label, d, n, D, B) -> dict:
    with mpmath.workdps(60):
        vocab = mpmath.mpf(D) ** d
        l10 = lemma17_log10_delta(n, vocab, d, math.sqrt(d) * B / D, math.sqrt(d) * B, B / D)
        return {"case": label, "d": d, "n": n, "D": D, "log10_vocab": float(mpmath.log10(vocab)),
                "log10_grid_points": float(d * n * mpmath.log10(D)), "log10_delta": mpmath.nstr(l10, 6)}


def lemma16_identities() -> dict[str, tuple[sp.Expr, sp.Expr]]:
    """Each arithmetic step of the proof of Lemma 18 (= Lemma 16), E.4 pp. 38-43: (left side, right side)."""
    L, B, D, d, n = sp.symbols("L B_x D d n", positive=True)
    r = sp.sqrt(d * n)
    return {
        "(E.4) piecewise-constant error": (L * sp.sqrt(d * n * (B / D) ** 2), L * r * B / D),
        "(E.13) max column norm after F1": (sp.sqrt(d * (-d * n * B) ** 2), d * n * sp.sqrt(d) * B),
        "(E.16) attention shift": (1 / (4 * sp.sqrt(d) * D) * d * n * sp.sqrt(d) * B, d * n * B / (4 * D)),
        "(E.19)/(E.22) attention shift in the cube": (1 / (4 * sp.sqrt(d) * D) * sp.sqrt(d * B**2), B / (4 * D)),
        "(E.20) lower bound 3B/(4D)": (B / D - B / (4 * D), 3 * B / (4 * D)),
        "grid deviation sqrt(dn)B/D + 2 sqrt(n)B/(4D)": (r * B / D + 2 * sp.sqrt(n) * B / (4 * D),
                                                          (2 * r + sp.sqrt(n)) * B / (2 * D)),
        "output-side error": (L * ((2 * r * B + sp.sqrt(n) * B) / (2 * D) + 2 * r * B / D),
                              L * (6 * r * B + sp.sqrt(n) * B) / (2 * D)),
        "final sum (E.4) + output side": (L * r * B / D + L * (6 * r + sp.sqrt(n)) * B / (2 * D),
                                          L * (8 * r + sp.sqrt(n)) * B / (2 * D)),
    }


def lemma16_case1_threshold() -> sp.Expr:
    """Case 1 of (E.17) needs B/(4D) + B >= dn B/(4D), i.e. D >= (dn - 1)/4 ('for a large enough D')."""
    B, D, d, n = sp.symbols("B_x D d n", positive=True)
    return sp.solve(sp.Eq(B / (4 * D) + B, d * n * B / (4 * D)), D)[0]


class Lemma16(Claim):
    id = "wu2025.lemma16"
    source = Source("wu2025", "Lemma 16, p. 35 (restated as Lemma 18, p. 37; proof E.4 pp. 36-43)")
    statement = ("for any L-Lipschitz permutation-equivariant f supported on [0, B_x]^{d x n} and any kappa > 0 there "
                 "is f_Softmax in T_Softmax = FF o Attn o FF with ||f_Softmax(Z) - f(Z)||_2 <= kappa on "
                 "[0, B_x]^{d x n}")

    def audit(self, ctx):
        t0 = time.monotonic()
        rows = lemma16_sizes()
        why = ("existence only: the attention weights come from Lemma 17 (Kajitsuka & Sato's rank-1 contextual "
               "mapping, separation delta given by a formula but weights not constructed here or in the paper), and "
               "FF2 must memorise f at every grid point of G_D (D^{dn} points); no weight matrices are given (A.3). "
               "A sampled evaluation cannot decide 'there exists'.")
        gaps = ["the proof drops G_D minus G~_D (quantised inputs with two equal tokens) 'for simplicity' (p. 40): "
                "Lemma 17 needs distinct tokens, so those inputs are not covered by the argument",
                "'supported on [0, B_x]^{d x n}' with f(Z) = 0 outside (p. 37) conflicts with f being Lipschitz "
                "unless f vanishes on the cube's boundary; E.3 applies the lemma on [-B, B]^{D x (n+1)} (domain "
                "shift needed)",
                "(E.9) is stated as <= B_x/D per entry but later used as 1/D (p. 42)"]
        summary = (f"inconclusive: {why} log10 delta of Lemma 17: " +
                   "; ".join(f"{r['case']}: {r['log10_delta']}" for r in rows))
        return self.result(Outcome.INCONCLUSIVE, method="existence statement; sizes computed (mpmath)",
                           seconds=time.monotonic() - t0,
                           details={"reason": why, "sizes": rows, "gaps_noted": gaps,
                                    "case1_threshold_D": str(lemma16_case1_threshold())}, summary=summary)


def _identity_hyp(inst):
    ok = all(float(inst[k]) > 0 for k in ("L", "B_x", "D", "d", "n"))
    return ok, "L, B_x, D, d, n > 0"


class Lemma16Arithmetic(Claim):
    id = "wu2025.lemma16.arithmetic"
    source = Source("wu2025", "proof of Lemma 18 (= Lemma 16), E.4 pp. 38-43, (E.4)-(E.22) and the final sum")
    statement = ("the error pieces add up: L sqrt(dn) B_x / D + L (6 sqrt(dn) + sqrt(n)) B_x / (2D) = "
                 "L (8 sqrt(dn) + sqrt(n)) B_x / (2D), with every intermediate step as printed")
    hypotheses = (Hypothesis("positive", "L, B_x, D, d, n > 0", _identity_hyp),)

    def evaluate(self, instance, dps=None):
        lhs, rhs = lemma16_identities()[instance["identity"]]
        subs = {s: sp.nsimplify(instance[s.name]) for s in lhs.free_symbols | rhs.free_symbols}
        diff = sp.Abs(lhs - rhs).subs(subs)
        if dps is None:
            return Evaluation(float(diff), 0.0)
        return Evaluation(mpmath.mpf(sp.N(diff, dps)), mpmath.mpf(0), {"identity": instance["identity"]})

    def audit(self, ctx):
        t0 = time.monotonic()
        bad = {name: str(sp.simplify(lhs - rhs)) for name, (lhs, rhs) in lemma16_identities().items()
               if sp.simplify(lhs - rhs) != 0}
        if bad:
            name = next(iter(bad))
            inst = {"identity": name, "L": 1, "B_x": 1, "D": 7, "d": 3, "n": 5}
            checks = self.check_hypotheses(inst)
            with mpmath.workdps(ctx.precision):
                ev = self.evaluate(inst, dps=ctx.precision)
            path = save_witness(self, inst, checks, ev, ctx.precision, ctx.out_dir)
            return self.result(Outcome.VIOLATED, witness=str(path), observed=ev.observed, bound=0, method="SymPy",
                               seconds=time.monotonic() - t0, details={"nonzero": bad},
                               summary=f"{len(bad)} step(s) do not simplify to 0: {', '.join(bad)}")
        n_id = len(lemma16_identities())
        return self.result(Outcome.VERIFIED, certified=True, method="SymPy simplify of each step (exact)",
                           seconds=time.monotonic() - t0, observed=0, bound=0, ratio=0.0,
                           details={"identities": list(lemma16_identities()),
                                    "case1_threshold_D": str(lemma16_case1_threshold())},
                           summary=f"all {n_id} steps are exact identities (lhs - rhs simplifies to 0); case 1 of "
                                   f"(E.17) needs D >= {lemma16_case1_threshold()}")


# --------------------------------------------------------------------------------------------- Theorem 2


def _pos(*names):
    def check(inst):
        bad = [k for k in names if not float(inst[k]) > 0]
        return not bad, "positive: " + ", ".join(f"{k} = {inst[k]}" for k in names)

    return check


def _int_pos(inst):
    v = inst["D_w"]
    return isinstance(v, int) and v >= 1, f"D_w = {v}"


class Theorem2ProofEta(Claim):
    id = "wu2025.theorem2.proof_eta"
    source = Source("wu2025", "proof of Theorem 2, E.3 p. 36 (kappa = eps / sqrt(D_w)) vs Theorem 2, p. 9")
    statement = ("the proof's chain with kappa = eps/sqrt(D_w) yields ||eps^(l-1)||_2 <= eta eps, the error Theorem 2 "
                 "states (observed: the chain's own final bound sqrt(D_w) kappa; bound: eta eps)")
    hypotheses = (Hypothesis("eta, eps > 0", "Theorem 2: fix any B_w, eta, eps > 0", _pos("eta", "eps")),
                  Hypothesis("D_w >= 1", "w in R^{D_w}", _int_pos))

    def evaluate(self, instance, dps=None):
        if dps is None:
            eta, eps, Dw = float(instance["eta"]), float(instance["eps"]), instance["D_w"]
            kappa = eps / math.sqrt(Dw)
            return Evaluation(math.sqrt(Dw) * kappa, eta * eps)
        eta, eps = mpmath.mpf(instance["eta"]), mpmath.mpf(instance["eps"])
        kappa = eps / mpmath.sqrt(instance["D_w"])
        return Evaluation(mpmath.sqrt(instance["D_w"]) * kappa, eta * eps,
                          {"kappa": mpmath.nstr(kappa, 20), "repair": "kappa = eta eps / sqrt(D_w)"})

    def search_space(self, ctx):
        def sample(rng):
            return Candidate({"D_w": int(rng.choice([1, 4, 21, 896]))}, rng.normal(0, 1.5, size=2))

        def decode(c):  # eta in [0.01, 2], eps in [1e-6, 1]
            eta = 0.01 + 1.99 / (1 + math.exp(-c.vector[0]))
            eps = 10 ** (-6 / (1 + math.exp(-c.vector[1])))
            return {"eta": float(eta), "eps": float(eps), "D_w": c.discrete["D_w"]}

        return SearchSpace(sample, decode, seeds=[Candidate({"D_w": 21}, np.array([-1.5, 0.0]))])

    def audit(self, ctx):
        return super().audit(ctx.share(min(ctx.budget_s, 3.0)))  # a one-line inequality needs no long search


class Theorem2(Claim):
    id = "wu2025.theorem2"
    source = Source("wu2025", "Theorem 2, p. 9 (restated as Theorem 5, p. 35; proof E.3 p. 36)")
    statement = ("there is a Softmax transformer with 4L layers whose layer 4l outputs [x; y; w^(l); 0; 1; t] with "
                 "w^(l) = Proj_W(w^(l-1) - eta grad L_n(w^(l-1)) + eps^(l-1)), ||eps^(l-1)||_2 <= eta eps, "
                 "L_n = (1/n) sum l")
    budget_weight = 3.0

    def audit(self, ctx):
        from dataclasses import replace

        from numeric.wu2025.prompt import make_prompt
        from numeric.wu2025.softmax import fit_gradient_ff, icgd_errors, theorem2_errors
        from symbolic.wu2025.assemble import box_bounds
        from symbolic.wu2025.softmax import build_softmax_construction, build_theorem2_model

        t0 = time.monotonic()
        why = ("existence only: the proof (E.3) invokes Lemma 16 (non-constructive, see wu2025.lemma16) for the map "
               "H -> H with w replaced by w - eta grad L_n(w); no weights are given (A.3, Remark 4). Our explicit "
               "models below are evidence on sampled prompts, which cannot establish 'for any input sequence'.")
        details = {"reason": why,
                   "normalisation": "Theorem 2 uses L_n = (1/n) sum l, (2.2) uses 1/(2n) [F8]; ours: l = ||f - y||^2/2",
                   "proof_constant": "kappa = eps/sqrt(D_w) yields eps, not eta eps: see wu2025.theorem2.proof_eta"}
        parts = []
        cfg = _softmax_config()
        wc = build_softmax_construction(cfg)
        worst, k = 0.0, 0
        while k < 3 and (k == 0 or time.monotonic() - t0 < 0.4 * ctx.budget_s):
            worst = max(worst, icgd_errors(wc, make_prompt(cfg, wc.box, seed=100 + k))["max_eps_over_eta"])
            k += 1
        details["sink_model"] = {"layers": (2 * cfg.N + 4) * cfg.L, "prompts": k, "max_eps_over_eta": worst,
                                 "M": 80, "note": "(2N+4)L layers incl. EWML/MLP: not Theorem 2's 4L architecture"}
        parts.append(f"sink-gate model ((2N+4)L = {(2 * cfg.N + 4) * cfg.L} layers, M = 80): max ||eps||/eta = "
                     f"{worst:.3g} on {k} prompts")
        micro = replace(cfg, d_in=1, d_out=1, K=2, N=2)
        if ctx.budget_s - (time.monotonic() - t0) > 20:
            box = box_bounds(micro.shape, micro.Bv)
            fit = fit_gradient_ff(micro, box, width=64, steps=1500, seed=ctx.seed)
            model = build_theorem2_model(micro, fit.ff, box)
            e4 = max(theorem2_errors(model, make_prompt(micro, box, seed=200 + s))["max_eps_over_eta"]
                     for s in range(4))
            details["fitted_4L_model"] = {"layers": 4 * micro.L, "width": 64, "heldout_sup_grad_err": fit.heldout_sup,
                                          "max_eps_over_eta": e4, "prompts": 4, "config": micro.to_dict()}
            parts.append(f"4L model (FF1 fitted, width 64, micro example): max ||eps||/eta = {e4:.3g} on 4 prompts "
                         f"(held-out sup gradient error of FF1 {fit.heldout_sup:.3g})")
        else:
            parts.append("4L fitted model skipped (budget)")
        return self.result(Outcome.INCONCLUSIVE, method="existence statement; explicit substitutes measured",
                           seconds=time.monotonic() - t0, details=details,
                           summary=f"inconclusive: {why} " + "; ".join(parts))


# --------------------------------------------------------------------------------------------- our substitutes


def _in_radius(inst):
    R = float(Fraction(str(inst["R"])))
    return abs(float(inst["z"])) <= R, f"|z| = {abs(float(inst['z'])):.6g} <= R = {R}"


def _which(inst):
    return inst["which"] in ("r", "rp"), f"which = {inst['which']}"


class SoftmaxGates(Claim):
    id = "wu2025.softmax.gates"
    source = Source("wu2025", "substitute for Lemmas 2-3 under Softmax attention (symbolic.wu2025.softmax)", "ours",
                    "sink-gate heads; not in the paper")
    statement = ("for every z in [-R, R] (R = 3.1, sigmoid, M = 80 gates, n + 1 = 5 tokens plus the sink), the softmax "
                 "head family outputs phi_soft(z) with |phi_soft(z) - phi(z)| <= its Arb certificate, phi = r and r'")
    hypotheses = (Hypothesis("|z| <= R", "inside the approximation radius", _in_radius),
                  Hypothesis("target", "r or r'", _which))
    M, R, n_tok = 80, "3.1", 5

    @cached_property
    def gates(self):
        from symbolic.activations import get_activation
        from symbolic.wu2025.softmax import sigmoid_gates

        act = get_activation("sigmoid")
        return {"r": sigmoid_gates(act.expr, self.R, self.M, self.n_tok),
                "rp": sigmoid_gates(act.derivative(1), self.R, self.M, self.n_tok)}

    @cached_property
    def certificates(self):
        from numeric.wu2025.softmax import certify_gate_error

        return {k: certify_gate_error(g) for k, g in self.gates.items()}

    @cached_property
    def _float(self):
        import sympy as sp_

        from symbolic.activations import T

        out = {}
        for k, g in self.gates.items():
            out[k] = (np.array([float(c) for c in g.centers]), np.array([float(d) for d in g.deltas]),
                      float(g.c0), float(g.beta), sp_.lambdify(T, g.target, "math"))
        return out

    def evaluate(self, instance, dps=None):
        from numeric.wu2025.softmax import softmax_head_output
        from symbolic.activations import T

        g = self.gates[instance["which"]]
        cert = self.certificates[instance["which"]]
        if dps is None:
            c, dl, c0, beta, phi = self._float[instance["which"]]
            z = float(instance["z"])
            val = c0 / (1 + math.exp(-float(g.B0))) + float(np.sum(dl / (1 + np.exp(-beta * (z - c)))))
            return Evaluation(abs(val - phi(z)), cert.upper)
        z = mpmath.mpf(instance["z"])
        exact = mpmath.mpf(sp.N(g.target.subs(T, sp.Float(instance["z"], dps)), dps))
        obs = abs(softmax_head_output(g, z) - exact)
        return Evaluation(obs, mpmath.mpf(cert.upper), {"certificate": cert.as_dict(), "heads": g.heads,
                                                         "beta": float(g.beta)})

    def search_space(self, ctx):
        R = float(Fraction(self.R))

        def sample(rng):
            return Candidate({"which": str(rng.choice(["r", "rp"]))}, rng.normal(0, 1.5, size=1))

        def decode(c):
            return {"which": c.discrete["which"], "z": float(R * math.tanh(c.vector[0])), "R": self.R}

        return SearchSpace(sample, decode, step=0.05)

    def audit(self, ctx):
        t0 = time.monotonic()
        _ = self.certificates  # the Arb certificates (a few seconds), then the search in what is left
        left = ctx.budget_s - (time.monotonic() - t0)
        r = super().audit(ctx.share(max(0.5, min(left, 15.0))))
        r.seconds = time.monotonic() - t0
        r.details["certificates"] = {k: c.as_dict() for k, c in self.certificates.items()}
        return r


def _prompt_hyp(Bx, By, box):
    def check(inst):
        x, y, w0 = (np.asarray(inst[k], dtype=float) for k in ("x", "y", "w0"))
        ok = (np.linalg.norm(x, axis=1).max() <= Bx and np.linalg.norm(y, axis=1).max() <= By
              and np.all(np.abs(w0) <= box))
        nx, ny = np.linalg.norm(x, axis=1).max(), np.linalg.norm(y, axis=1).max()
        return bool(ok), f"max||x|| = {nx:.4g}, max||y|| = {ny:.4g}"

    return check


def _prompt_space(cfg, box, seeds):
    """Prompts inside the hypotheses: radial tanh maps into the B_x / B_y balls, tanh into the box."""
    n, dx, dy, Dn = cfg.n, cfg.d_in, cfg.d_out, cfg.shape.num_params
    b = np.array([float(v) for v in box])

    def ball(v, radius):
        nr = np.linalg.norm(v, axis=1, keepdims=True)
        return v / np.maximum(nr, 1e-300) * radius * np.tanh(nr) * (1 - 1e-12)

    def sample(rng):
        return Candidate({}, rng.normal(0, 1.0, size=(n + 1) * dx + n * dy + Dn))

    def decode(c):
        v = c.vector
        x = ball(v[: (n + 1) * dx].reshape(n + 1, dx), cfg.Bx)
        y = ball(v[(n + 1) * dx: (n + 1) * dx + n * dy].reshape(n, dy), cfg.By)
        w0 = b * np.tanh(v[(n + 1) * dx + n * dy:]) * (1 - 1e-12)
        return {"x": x.tolist(), "y": y.tolist(), "w0": w0.tolist()}

    return SearchSpace(sample, decode, seeds=seeds, step=0.5)


class SoftmaxICGD(Claim):
    id = "wu2025.softmax.icgd"
    source = Source("wu2025", "Theorem 2's conclusion for our explicit sink-gate model (symbolic.wu2025.softmax)",
                    "ours", "explicit (2N+4)L-layer model, not Theorem 2's 4L existence claim")
    statement = ("the sink-gate Softmax model (M = 80, gradient heads beta = 1e-4, B = 30) of the spec-11.1 instance "
                 "performs L = 2 projected GD steps with ||eps^(l-1)||_2 <= eta eps, eps = 5e-5 (our stated accuracy, "
                 "set at ~5x the worst eps/eta, 8.8e-6, that a first 30-second search found), for every prompt with "
                 "||x_i|| <= B_x (query too), ||y_i|| <= B_y, w^(0) in W_box")
    eps_stated = 5e-5
    budget_weight = 2.0

    @cached_property
    def model(self):
        from symbolic.wu2025.softmax import build_softmax_construction

        return build_softmax_construction(_softmax_config())

    @property
    def hypotheses(self):
        cfg = self.model.config
        return (Hypothesis("prompt in the hypotheses", "||x_i|| <= B_x, ||y_i|| <= B_y, w0 in W_box",
                           _prompt_hyp(cfg.Bx, cfg.By, np.array([float(v) for v in self.model.box]))),)

    def evaluate(self, instance, dps=None):
        from numeric.wu2025.prompt import Prompt

        wc, cfg = self.model, self.model.config
        pr = Prompt.from_dict(instance)
        if dps is None:
            from numeric.wu2025.softmax import icgd_errors

            e = icgd_errors(wc, pr)
            return Evaluation(max(e["eps_step"]), cfg.eta * self.eps_stated, {"eps_step": e["eps_step"]})
        return self._evaluate_highprec(pr, dps)

    def _evaluate_highprec(self, pr, dps):
        from numeric.wu2025.prompt import convert, initial_tokens
        from numeric.wu2025.reference import exact_terms
        from numeric.wu2025.run import block_boundaries
        from numeric.wu2025.softmax import run_mixed_highprec

        wc, cfg = self.model, self.model.config
        with mpmath.workdps(dps):
            H0 = convert(initial_tokens(wc.layout, pr), "mpmath")
            _, states = run_mixed_highprec(wc.net.layers, H0)
            sl = wc.layout.slice("w")
            eta = mpmath.mpf(Fraction(str(cfg.eta)).numerator) / Fraction(str(cfg.eta)).denominator
            w_prev, eps = [mpmath.mpf(v) for v in pr.w0], []
            for first, last in block_boundaries(wc)[: cfg.L]:
                w_pre = states[last - 1][0][sl]
                g = exact_terms(cfg, w_prev, pr.x, pr.y, kind="mpmath").grad
                eps.append(mpmath.sqrt(mpmath.fsum((a - (b - eta * c)) ** 2 for a, b, c in zip(w_pre, w_prev, g))))
                w_prev = states[last][0][sl]
            return Evaluation(max(eps), eta * mpmath.mpf(self.eps_stated),
                              {"eps_step": [mpmath.nstr(e, 10) for e in eps]})

    def audit(self, ctx):
        from numeric.wu2025.prompt import make_prompt

        t0 = time.monotonic()
        cfg = self.model.config  # building the model (a few seconds) counts against the budget
        seeds = []
        for s in range(2):  # hand-made seeds: the construction's own random prompts, mapped into candidates
            pr = make_prompt(cfg, self.model.box, seed=s)
            inst = {"x": pr.x.tolist(), "y": pr.y.tolist(), "w0": pr.w0.tolist()}
            seeds.append(Candidate({}, _encode(inst, cfg, self.model.box)))
        space = _prompt_space(cfg, self.model.box, seeds)
        left = ctx.budget_s - (time.monotonic() - t0)
        res = maximize(lambda inst: self.evaluate(inst).ratio, space, budget_s=max(1.0, 0.8 * left),
                       max_evals=ctx.max_evals, seed=ctx.seed, batch=2)
        return _finish_search(self, ctx, res, t0, hp_cost_s=60)


def _encode(inst, cfg, box):
    """Inverse of ``_prompt_space``'s decode (atanh), for seeding the search with given prompts."""
    b = np.array([float(v) for v in box])

    def unball(a, radius):
        a = np.asarray(a, dtype=float)
        nr = np.linalg.norm(a, axis=1, keepdims=True)
        t = np.arctanh(np.minimum(nr / radius, 1 - 1e-9))
        return (a / np.maximum(nr, 1e-300) * t).ravel()

    w = np.arctanh(np.clip(np.asarray(inst["w0"]) / b, -1 + 1e-9, 1 - 1e-9))
    return np.concatenate([unball(inst["x"], cfg.Bx), unball(inst["y"], cfg.By), w])


# --------------------------------------------------------------------------------------------- Appendix G


class AppGReduction(Claim):
    id = "wu2025.appG.reduction"
    source = Source("wu2025", "Appendix G.2, pp. 48-49 (Problem 3, Lemma 19, 'we reduce Problem 3 to Problem 2')")
    statement = ("ICL for the score function reduces to Problem 2 with loss (G.1); following Theorem 1, transformers "
                 "approximate the diffusion score by in-context gradient descent")

    def applicability(self, ctx):
        return [
            HypothesisCheck("Theorem 1: r, r' Lipschitz and r in C^4", False,
                            "Lemma 19's score network (Chen et al. 2023) is a ReLU network; r' = 1(t > 0) is not "
                            "Lipschitz and cannot be approximated as Lemma 3 needs (F1)"),
            HypothesisCheck("Problem 2: empirical loss (2.2) on the prompt", False,
                            "(G.1) is a time-integrated population loss with the unknown score; (G.2) needs x_0, "
                            "which the prompt (x_i, grad log p_{t_i}(x_i)) does not carry"),
            HypothesisCheck("Definition 1 network f(w, x)", False,
                            "f(w, x, t) takes the time t as an input and Chen et al.'s networks have biases; Def 1 has "
                            "neither (time can enter as an input coordinate via Theorem 4, d_x = d + 1)"),
            HypothesisCheck("a guarantee linking ICGD iterates to the score", False,
                            "Lemma 19 is an approximation result (some w exists); Theorem 1 gives GD iterates, and no "
                            "convergence of GD to that w is derived; t_i also clashes with the position flag (F15)"),
        ]

    def search_space(self, ctx):  # pragma: no cover - never reached: the claim is not applicable
        raise NotImplementedError


class AppGGaussian(Claim):
    id = "wu2025.appG.gaussian"
    source = Source("wu2025", "Appendix G checked on Gaussian data with the closed-form OU score (spec 9)", "ours",
                    "numeric.wu2025.icl_experiment.appg")
    statement = ("on prompts (x_i, t_i) -> 1/2 + c grad log p_{t_i}(x_i) with P_0 = N(mu, s^2) (mu in [-1, 1], "
                 "s^2 in [1/4, 2]) under the OU process, the Theorem-4 construction (d_x = 2, d_y = 1, K = 3, N = 3, "
                 "n = 16, L = 3, sigmoid, eta = 1/2, M = 80 knots) stays within 1e-4 of projected GD at every step; "
                 "the held-out score MSE per step is reported (observation only)")
    hypotheses = (Hypothesis("task", "mu in [-1, 1], s^2 in [1/4, 2]",
                             lambda i: (-1 <= i["mu"] <= 1 and 0.25 <= i["s2"] <= 2,
                                        f"mu = {i['mu']}, s2 = {i['s2']}")),)
    tolerance = 1e-4
    budget_weight = 2.0

    @cached_property
    def construction(self):
        from numeric.wu2025.icl_experiment.appg import APPG_CONFIG
        from symbolic.wu2025.assemble import build_construction

        return build_construction(APPG_CONFIG, readout=False)

    def evaluate(self, instance, dps=None):
        from numeric.wu2025.icl_experiment.appg import ScoreTask, appg_check

        task = ScoreTask(mu=float(instance["mu"]), s2=float(instance["s2"]))
        if dps is None:
            r = appg_check(task, seed=int(instance["seed"]), wc=self.construction, heldout=1024)
            return Evaluation(r["max_w_dev"], self.tolerance, r)
        r = appg_check(task, seed=int(instance["seed"]), wc=self.construction, heldout=1024, executor="highprec",
                       dps=dps)
        return Evaluation(r["max_w_dev_mp"], mpmath.mpf(self.tolerance), {k: v for k, v in r.items()
                                                                         if k != "max_w_dev_mp"})

    def search_space(self, ctx):
        def sample(rng):
            return Candidate({"seed": int(rng.integers(0, 10**6))}, rng.normal(0, 1, size=2))

        def decode(c):
            return {"mu": float(np.tanh(c.vector[0])), "s2": float(0.25 + 1.75 / (1 + math.exp(-c.vector[1]))),
                    "seed": c.discrete["seed"]}

        return SearchSpace(sample, decode, seeds=[Candidate({"seed": 0}, np.array([0.5493, -1.3863]))], step=0.5)

    def audit(self, ctx):
        t0 = time.monotonic()
        _ = self.construction
        left = ctx.budget_s - (time.monotonic() - t0)
        res = maximize(lambda inst: self.evaluate(inst).ratio, self.search_space(ctx),
                       budget_s=max(1.0, 0.8 * left - 3), max_evals=ctx.max_evals, seed=ctx.seed, batch=2)
        out = _finish_search(self, ctx, res, t0, hp_cost_s=600)
        if res.best is not None:
            r = self.evaluate(res.best).details
            dec = r["heldout_mse"][-1] < r["heldout_mse"][0]
            out.details["observation"] = (f"held-out label MSE {r['heldout_mse'][0]:.4g} at w^(0) -> "
                                          f"{r['heldout_mse'][-1]:.4g} at w^(L): "
                                          f"{'decreases' if dec else 'does not decrease'}"
                                          f" (label variance {r['score_var']:.4g})")
            out.summary += "; " + out.details["observation"]
        return out


CLAIMS_EXT = [Theorem2(), Theorem2ProofEta(), Lemma16(), Lemma16Arithmetic(), SoftmaxGates(), SoftmaxICGD(),
              AppGReduction(), AppGGaussian()]
