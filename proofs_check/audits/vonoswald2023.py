"""Claims of von Oswald et al. 2023, "Transformers learn in-context by gradient descent" (ICML 2023).

* The exact identities (Prop. 1 / App. A.1: one LSA layer = one GD step; K layers = K steps; GD++ App. A.10) are
  searched over random data in float64 and confirmed at ``ctx.precision`` digits on the searched worst case and on the
  spec's grid (N in {1, 5, 20}, N_x in {1, 4, 10}, N_y in {1, 2}), plus an exact SymPy run on symbolic data.
* The trained-vs-constructed comparison (Section 4, Fig. 2) and the learned GD++ gamma values (App. A.10) are
  training / optimisation results: ``verified`` or ``inconclusive``, never ``violated``.

``grid_audit`` (confirm a list of instances at high precision, save a witness for the worst violation) is shared with
the Ahn et al. and Gatmiry et al. audits.
"""
from __future__ import annotations

import math
import time
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from numeric.executors.dense import run_dense
from numeric.executors.highprec import run_highprec
from symbolic import vonoswald2023 as vo
from symbolic.errors import require_int

from ..claims import AuditResult, Claim, Evaluation, Hypothesis, Outcome, Source
from ..search import Candidate, SearchSpace
from ..witness import save_witness

PAPER = "von Oswald et al. 2023 (ICML)"
DEFAULT_BUDGET_S = 180.0


# ----------------------------------------------------------------------------------------------------------
# shared helpers (also used by the ahn2023 and gatmiry2024 audits)

def grid_audit(claim: Claim, ctx, instances: list[dict], extra: dict | None = None, method: str = "",
               certified: bool = False, t0: float | None = None, evaluations: int = 0) -> AuditResult:
    """Evaluate every instance at ``ctx.precision`` digits; VIOLATED (with a saved witness) when the worst one exceeds
    its bound, else VERIFIED.  ``extra`` is merged into the details (e.g. a search result or a SymPy proof)."""
    t0 = time.monotonic() if t0 is None else t0
    worst, worst_ev, rows = None, None, []
    with mpmath.workdps(ctx.precision):
        for inst in instances:
            checks = claim.check_hypotheses(inst)
            if not all(c.holds for c in checks):
                bad = next(c for c in checks if not c.holds)
                return claim.result(Outcome.INCONCLUSIVE, method=method, seconds=time.monotonic() - t0,
                                    summary=f"grid instance outside the hypotheses ({bad.name}: {bad.detail})")
            ev = claim.evaluate(inst, dps=ctx.precision)
            rows.append({"instance": _label(inst), "observed": mpmath.nstr(ev.observed, 5),
                         "bound": mpmath.nstr(ev.bound, 5)})
            if worst_ev is None or ev.ratio > worst_ev.ratio or (ev.violates() and not worst_ev.violates()):
                worst, worst_ev = inst, ev
    details = {"grid": rows, **(extra or {})}
    common = dict(bound=worst_ev.bound, observed=worst_ev.observed, ratio=worst_ev.ratio, details=details,
                  evaluations=evaluations + len(instances), certified=certified and not worst_ev.violates(),
                  method=method or f"{len(instances)} instances at {ctx.precision} digits")
    if worst_ev.violates():
        path = save_witness(claim, worst, claim.check_hypotheses(worst), worst_ev, ctx.precision, ctx.out_dir)
        r = claim.result(Outcome.VIOLATED, witness=str(path), seconds=time.monotonic() - t0,
                         summary=f"{_label(worst)}: observed {mpmath.nstr(worst_ev.observed, 6)} > bound "
                                 f"{mpmath.nstr(worst_ev.bound, 6)} at {ctx.precision} digits", **common)
        r.details["explanation"] = claim.explain(worst, worst_ev) if hasattr(claim, "explain") else r.summary
        return r
    return claim.result(Outcome.VERIFIED, seconds=time.monotonic() - t0,
                        summary=f"{len(instances)} instances at {ctx.precision} digits: worst observed "
                                f"{mpmath.nstr(worst_ev.observed, 4)} <= bound {mpmath.nstr(worst_ev.bound, 4)}",
                        **common)


def _label(inst: dict) -> str:
    keys = [k for k in ("N", "nx", "ny", "K", "n", "d", "L", "c", "gamma") if k in inst]
    return ", ".join(f"{k}={inst[k]}" for k in keys) or "instance"


def precision_bound(dps: int | None):
    """The identity claims' tolerance: 1e-(dps-5) relative at dps digits (1e-45 at 50), 1e-10 in float64."""
    return 1e-10 if dps is None else mpmath.mpf(10) ** (5 - dps)


def training_budget(ctx, full_s: float) -> float:
    """Seconds a training claim may use: its share of the audit budget, at most ``full_s``."""
    return max(1.0, min(full_s, ctx.budget_s))


# ----------------------------------------------------------------------------------------------------------
# Prop. 1 / App. A.1 / App. A.10: exact identities

def _random_instance(rng, N, nx, ny, K=1, untied=False, gdpp=False) -> dict:
    inst = {"N": N, "nx": nx, "ny": ny, "K": K,
            "X": rng.standard_normal((N, nx)).tolist(), "Y": rng.standard_normal((N, ny)).tolist(),
            "xq": rng.standard_normal(nx).tolist(), "W0": (0.5 * rng.standard_normal((ny, nx))).tolist()}
    if gdpp:
        inst.update(eta="37/100", gamma="13/1000")
    elif untied:
        inst["etas"] = [str(Fraction(int(v), 100)) for v in rng.integers(5, 90, size=K)]
    else:
        inst["etas"] = ["37/100"] * K
    return inst


def _finite_data(inst):
    arrs = [np.asarray(inst[k], float) for k in ("X", "Y", "xq", "W0")]
    ok = all(np.all(np.isfinite(a)) for a in arrs)
    shapes = (np.shape(inst["X"]) == (inst["N"], inst["nx"]) and np.shape(inst["Y"]) == (inst["N"], inst["ny"])
              and np.shape(inst["xq"]) == (inst["nx"],) and np.shape(inst["W0"]) == (inst["ny"], inst["nx"]))
    return ok and shapes, f"N={inst['N']}, N_x={inst['nx']}, N_y={inst['ny']}"


class _LayerIdentity(Claim):
    """Observed: max |constructed layers' output - what the paper says they output| over every token entry, relative to
    max(1, max |entry|); bound: 1e-(dps-5) (1e-45 at 50 digits)."""

    hypotheses = (Hypothesis("data", "finite real data of the stated shapes, N >= 1", _finite_data),)
    untied = False
    gdpp = False
    max_search_K = 7
    sizes = ((1, 1, 1), (5, 4, 1), (20, 10, 2), (5, 1, 2), (20, 4, 1), (1, 10, 2))

    def layers(self, inst):
        raise NotImplementedError

    def expected(self, inst, num):
        raise NotImplementedError

    def evaluate(self, instance, dps=None):
        layers = self.layers(instance)
        if dps is None:
            H = np.asarray(vo.tokens(instance["X"], instance["Y"], instance["xq"], instance["W0"]), float)
            with np.errstate(all="ignore"):     # exploding GD++ iterates evaluate to nan and are skipped
                out, _ = run_dense(layers, H)
                exp = np.asarray(self.expected(instance, lambda v: float(Fraction(v)) if isinstance(v, str)
                                               else float(v)), float)
                err = float(np.max(np.abs(out - exp))) / max(1.0, float(np.max(np.abs(exp))))
            return Evaluation(err, precision_bound(None))
        with mpmath.workdps(dps):
            mp = lambda v: mpmath.mpf(v) if not isinstance(v, str) else (  # noqa: E731
                mpmath.mpf(Fraction(v).numerator) / Fraction(v).denominator)
            conv = lambda a: [[mp(v) for v in r] for r in a]  # noqa: E731
            H = vo.tokens(conv(instance["X"]), conv(instance["Y"]), [mp(v) for v in instance["xq"]],
                          conv(instance["W0"]))
            out, _ = run_highprec(layers, H, kind="mpmath")
            exp = self.expected(instance, mp)
            err = max(abs(a - b) for ra, rb in zip(out, exp) for a, b in zip(ra, rb))
            scale = max(mpmath.mpf(1), max(abs(v) for r in exp for v in r))
            return Evaluation(err / scale, precision_bound(dps), {"max_abs_error": mpmath.nstr(err, 5)})

    def search_space(self, ctx):
        def sample(rng):
            N, nx, ny = int(rng.integers(1, 21)), int(rng.integers(1, 11)), int(rng.integers(1, 3))
            K = int(rng.integers(1, self.max_search_K + 1))
            inst = _random_instance(rng, N, nx, ny, K, self.untied, self.gdpp)
            return Candidate({"inst": inst}, 3 * rng.standard_normal(N * (nx + ny) + nx))

        def decode(c):
            inst = dict(c.discrete["inst"])
            N, nx, ny = inst["N"], inst["nx"], inst["ny"]
            v = c.vector
            inst["X"] = v[: N * nx].reshape(N, nx).tolist()
            inst["Y"] = v[N * nx: N * (nx + ny)].reshape(N, ny).tolist()
            inst["xq"] = v[N * (nx + ny):].tolist()
            return inst

        return SearchSpace(sample, decode, step=1.0)

    def grid(self, seed: int) -> list[dict]:
        rng = np.random.default_rng(seed)
        out = []
        for N, nx, ny in self.sizes:
            for K in self.grid_steps:
                out.append(_random_instance(rng, N, nx, ny, K, self.untied, self.gdpp))
        return out

    grid_steps = (1,)

    def sympy_check(self) -> dict:
        raise NotImplementedError

    def audit(self, ctx):
        t0 = time.monotonic()
        search = super().audit(ctx.share(max(0.5, ctx.budget_s * 0.5)))
        extra = {"search": {"outcome": str(search.outcome), "worst_observed": str(search.observed),
                            "evaluations": search.evaluations}, "exact": self.sympy_check()}
        if search.outcome is Outcome.VIOLATED:
            return search
        res = grid_audit(self, ctx, self.grid(ctx.seed), extra=extra, t0=t0, evaluations=search.evaluations,
                         method=f"float64 search ({search.evaluations} instances) + {ctx.precision}-digit grid + "
                                f"exact SymPy run on symbolic data")
        if res.outcome is Outcome.VERIFIED and not extra["exact"]["zero"]:
            res.outcome = Outcome.VIOLATED
            res.summary = f"exact SymPy difference is not 0: {extra['exact']}"
        return res


def _symbolic_data(nx, ny, N):
    X = [[sp.Symbol(f"x{i}_{k}") for k in range(nx)] for i in range(N)]
    Y = [[sp.Symbol(f"y{i}_{k}") for k in range(ny)] for i in range(N)]
    xq = [sp.Symbol(f"q{k}") for k in range(nx)]
    W0 = [[sp.Rational(1, 3), sp.Rational(-2, 5)][:nx] for _ in range(ny)]
    return X, Y, xq, W0


def _sympy_identity(layers, expected_fn, nx=2, ny=1, N=3) -> dict:
    """Run the layers with the SymPy-Rational executor on symbolic x, y, x_q (rational W_0) and expand the
    difference with what the paper says; 'zero' is True when every entry expands to exactly 0."""
    X, Y, xq, W0 = _symbolic_data(nx, ny, N)
    out, _ = run_highprec(layers, vo.tokens(X, Y, xq, W0), kind="sympy")
    exp = expected_fn(X, Y, xq, W0)
    diffs = [sp.expand(a - b) for ra, rb in zip(out, exp) for a, b in zip(ra, rb)]
    return {"zero": all(d == 0 for d in diffs), "entries": len(diffs), "case": f"N_x={nx}, N_y={ny}, N={N}, "
            "symbolic x, y, x_q; W_0 = rational"}


class OneStep(_LayerIdentity):
    max_search_K = 1
    id = "vonoswald2023.prop1.one_step"
    source = Source(PAPER, "Proposition 1 and App. A.1 (construction of W_K, W_Q, W_V, P)")
    statement = ("one LSA layer with W_K = W_Q = [[I,0],[0,0]], W_V = [[0,0],[W_0,-I]], P = (eta/N) I maps every "
                 "token e_j = (x_j, y_j) to (x_j, y_j - Delta W x_j) and the query to (x_q, -(W_0 + Delta W) x_q), "
                 "Delta W = -eta grad L(W_0) (one GD step)")

    def layers(self, inst):
        return vo.gd_construction(inst["nx"], inst["ny"], inst["N"], inst["etas"][:1], inst["W0"]).layers

    def expected(self, inst, num):
        conv = lambda a: [[num(v) for v in r] for r in a]  # noqa: E731
        return vo.gd_tokens(conv(inst["X"]), conv(inst["Y"]), [num(v) for v in inst["xq"]], conv(inst["W0"]),
                            [num(inst["etas"][0])])

    def sympy_check(self):
        eta = sp.Rational(37, 100)
        L = vo.gd_construction(2, 1, 3, [Fraction(37, 100)], [[Fraction(1, 3), Fraction(-2, 5)]]).layers
        return _sympy_identity(L, lambda X, Y, xq, W0: vo.gd_tokens(X, Y, xq, W0, [eta]))


class KSteps(_LayerIdentity):
    id = "vonoswald2023.prop1.k_steps"
    source = Source(PAPER, "Section 3 and App. A.1 (K stacked / recurrent layers = K GD steps)")
    statement = ("K stacked constructed layers (tied, or untied with P_k = (eta_k/N) I) leave (x_j, y_j - (W_K - W_0) "
                 "x_j) on the context and (x_q, -W_K x_q) on the query, W_K after K GD steps")
    grid_steps = (2, 4, 7)

    def layers(self, inst):
        return vo.gd_construction(inst["nx"], inst["ny"], inst["N"], inst["etas"], inst["W0"]).layers

    def expected(self, inst, num):
        conv = lambda a: [[num(v) for v in r] for r in a]  # noqa: E731
        return vo.gd_tokens(conv(inst["X"]), conv(inst["Y"]), [num(v) for v in inst["xq"]], conv(inst["W0"]),
                            [num(e) for e in inst["etas"]])

    def grid(self, seed):
        tied = super().grid(seed)
        untied = [_random_instance(np.random.default_rng(seed + 1), N, nx, ny, 3, untied=True)
                  for N, nx, ny in self.sizes]
        return tied + untied

    def sympy_check(self):
        etas = [Fraction(1, 3), Fraction(1, 2)]
        L = vo.gd_construction(2, 1, 3, etas, [[Fraction(1, 3), Fraction(-2, 5)]]).layers
        return _sympy_identity(L, lambda X, Y, xq, W0: vo.gd_tokens(X, Y, xq, W0, [sp.Rational(1, 3),
                                                                                   sp.Rational(1, 2)]))


class GDPlusPlus(_LayerIdentity):
    id = "vonoswald2023.gdpp.layer"
    source = Source(PAPER, "App. A.10 (GD++: W_V = [[I,0],[W,-I]], P = diag(-gamma I, (eta/N) I))")
    statement = ("one GD++ layer maps every token (query included) to ((I - gamma X X^T) x_j, y_j - Delta W x_j), "
                 "X X^T = sum_{i<=N} x_i x_i^T un-normalised; iterating the layer iterates the map")
    gdpp = True
    grid_steps = (1, 2, 3)
    max_search_K = 3

    def layers(self, inst):
        layer = vo.gdpp_layer(inst["nx"], inst["ny"], inst["N"], inst["eta"], inst["gamma"], inst["W0"])
        return [layer] * inst["K"]

    def expected(self, inst, num):
        conv = lambda a: [[num(v) for v in r] for r in a]  # noqa: E731
        return vo.gdpp_tokens(conv(inst["X"]), conv(inst["Y"]), [num(v) for v in inst["xq"]], conv(inst["W0"]),
                              num(inst["eta"]), num(inst["gamma"]), inst["K"])

    def sympy_check(self):
        eta, gamma = Fraction(37, 100), Fraction(13, 1000)
        layer = vo.gdpp_layer(2, 1, 3, eta, gamma, [[Fraction(1, 3), Fraction(-2, 5)]])
        return _sympy_identity([layer], lambda X, Y, xq, W0: vo.gdpp_tokens(
            X, Y, xq, W0, sp.Rational(37, 100), sp.Rational(13, 1000), 1))


class GDPlusPlusHessian(Claim):
    id = "vonoswald2023.gdpp.hessian"
    source = Source(PAPER, "App. A.10 (GD++ curvature correction: H -> H++ = (I - gamma H) H (I - gamma H))")
    statement = ("after one GD++ layer the data Hessian X'X'^T equals (I - gamma H) H (I - gamma H), H = X X^T, with "
                 "eigenvalues lambda - 2 gamma lambda^2 + gamma^2 lambda^3")
    hypotheses = (Hypothesis("data", "finite data", _finite_data),)

    def evaluate(self, instance, dps=None):
        """Exact: the constructed layer run on Fraction data; observed = max |X'X'^T - H++| (0 when the claim holds)."""
        nx, N = instance["nx"], instance["N"]
        F = lambda a: [[Fraction(v) for v in r] for r in a]  # noqa: E731
        H0 = vo.tokens(F(instance["X"]), F(instance["Y"]), [Fraction(v) for v in instance["xq"]], F(instance["W0"]))
        layer = vo.gdpp_layer(nx, instance["ny"], N, instance["eta"], instance["gamma"], instance["W0"])
        out, _ = run_highprec([layer], H0, kind="fraction")
        X1 = sp.Matrix([r[:nx] for r in out[:N]])
        H = sp.Matrix([r[:nx] for r in H0[:N]]).T * sp.Matrix([r[:nx] for r in H0[:N]])
        diff = X1.T * X1 - vo.gdpp_hessian(H, sp.Rational(Fraction(instance["gamma"]).numerator,
                                                          Fraction(instance["gamma"]).denominator))
        err = max(abs(v) for v in diff)
        obs = float(err) if dps is None else mpmath.mpf(sp.Rational(err).p) / sp.Rational(err).q
        return Evaluation(obs, 0.0 if dps is None else mpmath.mpf(0), {"exact_max_abs_diff": str(err)})

    def audit(self, ctx):
        t0 = time.monotonic()
        lam, g = sp.symbols("lambda gamma")
        Hs = sp.Matrix(2, 2, sp.symbols("h11 h12 h12 h22"))
        identity = sp.expand(vo.gdpp_hessian(Hs, g) - (Hs - 2 * g * Hs**2 + g**2 * Hs**3)) == sp.zeros(2, 2)
        eig = sp.expand(vo.gdpp_hessian(sp.Matrix([[lam]]), g)[0] - (lam - 2 * g * lam**2 + g**2 * lam**3)) == 0
        rng = np.random.default_rng(ctx.seed)
        grid = [_random_instance(rng, N, nx, 1, 1, gdpp=True) for N, nx in ((3, 2), (5, 4), (10, 10))]
        res = grid_audit(self, ctx, grid, extra={"symbolic_identity": identity, "eigenvalue_map": eig}, t0=t0,
                         certified=True, method="SymPy identity (symbolic 2x2 H) + exact Fraction runs of the layer")
        if res.outcome is Outcome.VERIFIED and not (identity and eig):
            res.outcome, res.summary = Outcome.VIOLATED, "the symbolic Hessian identity does not expand to 0"
        return res


# ----------------------------------------------------------------------------------------------------------
# Closed-form optimal GD rate (ours) and the trained comparison (Section 4)

class OptimalRate(Claim):
    id = "vonoswald2023.gd.optimal_rate"
    source = Source(PAPER, "spec 1.5: closed form for the paper's data (x ~ U(-1,1)^10, W ~ N(0,I), N = 10)", "ours")
    statement = ("one GD step from W_0 = 0: eta* = m1/m2 = 50/(33 a^2), half-loss* = 245 a^2/297 for d = N = 10, "
                 "x ~ U(-a, a); a Monte Carlo estimate of the half-loss at eta* agrees within 4 SE")

    def audit(self, ctx):
        from numeric.linear_icl.vonoswald import gd_loss_mc, gd_rate_scan

        t0 = time.monotonic()
        d, N = ctx.options.get("nx", 10), ctx.options.get("N", 10)
        cf = vo.optimal_gd_rate(d, N, *vo.uniform_moments(1))
        gcf = vo.optimal_gd_rate(d, N, *vo.gaussian_moments())
        eta, half = float(cf["eta_star"]), float(cf["half_loss_star"])
        tasks = int(min(400_000, max(20_000, 4000 * ctx.budget_s)))
        m, se = gd_loss_mc(eta, N, d, tasks, seed=ctx.seed)
        scan = gd_rate_scan(N, d, 10_000, seed=ctx.seed + 1)
        z = abs(m - half) / se
        details = {"eta_star": str(cf["eta_star"]), "half_loss_star": str(cf["half_loss_star"]),
                   "gaussian_eta_star": str(gcf["eta_star"]), "mc_half_loss": m, "mc_se": se, "tasks": tasks,
                   "z": z, "paper_scan_10k": scan}
        outcome = Outcome.VERIFIED if z <= 4 else Outcome.INCONCLUSIVE
        return self.result(outcome, bound=4.0, observed=z, ratio=z / 4, details=details, evaluations=tasks,
                           method="SymPy closed form + Monte Carlo", seconds=time.monotonic() - t0,
                           summary=f"eta* = {cf['eta_star']} = {eta:.4f}, half-loss* = {cf['half_loss_star']} = "
                                   f"{half:.4f}; MC {m:.4f} +- {se:.4f} ({z:.2f} SE); the paper's scan on 10^4 tasks "
                                   f"finds eta = {scan['eta_grid']:.3f}")


class TrainedMatchesGD(Claim):
    id = "vonoswald2023.trained.matches_gd"
    source = Source(PAPER, "Section 4, Fig. 2 (a trained single LSA layer matches one step of GD)")
    statement = ("a single LSA layer trained on the paper's regression tasks reaches the loss of one GD step at the "
                 "best rate, and agrees with it in predictions and in the query sensitivities (cosine ~ 1)")
    budget_weight = 6.0

    def audit(self, ctx):
        from numeric.linear_icl.vonoswald import compare_to_gd, interpolate

        t0 = time.monotonic()
        N, nx = ctx.options.get("N", 10), ctx.options.get("nx", 10)
        eta = float(vo.optimal_gd_rate(nx, N, *vo.uniform_moments(1))["eta_star"])
        run = _trained_layer(ctx)
        model = run["model"]
        pred = lambda Z: model.predict(Z, N)  # noqa: E731
        m = compare_to_gd(pred, eta, N, nx, 10_000, seed=ctx.seed + 7)
        interp, beta = interpolate(model, eta, N, nx)
        mi = compare_to_gd(interp, eta, N, nx, 10_000, seed=ctx.seed + 7)
        gap = (m["loss_trained"] - m["loss_gd"]) / m["loss_gd"]
        passed = abs(gap) < 0.02 and m["model_cos"] > 0.99 and m["preds_rel_diff"] < 0.05
        details = {**m, "loss_gap": gap, "eta_gd": eta, "train_steps": run["train"].steps,
                   "stopped_by": run["train"].stopped_by, "train_seconds": run["train"].seconds,
                   "interpolated_loss": mi["loss_trained"], "beta": beta, "history": run["train"].history}
        outcome = Outcome.VERIFIED if passed else Outcome.INCONCLUSIVE
        return self.result(outcome, bound=0.05, observed=m["preds_rel_diff"], ratio=m["preds_rel_diff"] / 0.05,
                           details=details, method=f"torch training ({run['train'].steps} Adam steps, batch 2048) "
                           f"+ 10^4 validation tasks", seconds=time.monotonic() - t0,
                           summary=f"loss gap {100 * gap:+.2f}%, model cos {m['model_cos']:.5f}, relative preds diff "
                                   f"{100 * m['preds_rel_diff']:.2f}%, model diff {m['model_diff']:.4f}; interpolated "
                                   f"half-loss {mi['loss_trained']:.4f} vs GD {m['loss_gd']:.4f}"
                                   + ("" if passed else " (not converged within the budget: inconclusive)"))


_TRAINED: dict = {}


def _trained_layer(ctx) -> dict:
    """One single-head LSA layer trained as in Section 4 (cached per (N, N_x, steps, lr, seed), so the roll-out claim
    audits the same layer as vonoswald2023.trained.matches_gd)."""
    from numeric.linear_icl.vonoswald import train_lsa

    N, nx = ctx.options.get("N", 10), ctx.options.get("nx", 10)
    steps, lr = ctx.options.get("train_steps", 2000), ctx.options.get("train_lr", 1e-2)
    key = (N, nx, steps, lr, ctx.seed)
    if key not in _TRAINED:
        _TRAINED[key] = train_lsa(N, nx, steps, batch=2048, lr=lr, seed=ctx.seed,
                                  deadline_s=training_budget(ctx, 150.0), log_every=25)
    return _TRAINED[key]


class DampedRollout(Claim):
    id = "vonoswald2023.rollout.dampened"
    source = Source(PAPER, "App. A.6 (the trained 1-layer model applied 50 times with dampening lambda = 0.75 behaves "
                           "like GD with rate lambda eta)")
    statement = ("the trained single LSA layer, applied repeatedly as Z <- Z + lambda (LSA(Z) - Z), lambda = 0.75, gives "
                 "per-step losses that follow GD at rate lambda eta*; checked: within 5% for the first 20 steps and no "
                 "divergence (loss > 10x GD's) within 50 (spec C-7)")
    budget_weight = 2.0

    def audit(self, ctx):
        from numeric.linear_icl.vonoswald import rollout_comparison

        t0 = time.monotonic()
        N, nx = ctx.options.get("N", 10), ctx.options.get("nx", 10)
        eta = float(vo.optimal_gd_rate(nx, N, *vo.uniform_moments(1))["eta_star"])
        run = _trained_layer(ctx)
        tasks = 10_000
        tr = rollout_comparison(run["model"], eta, N, nx, tasks, seed=ctx.seed + 11)
        con = rollout_comparison(None, eta, N, nx, tasks, seed=ctx.seed + 11)
        bad = next((t for t, (a, b) in enumerate(zip(tr["tf"], tr["gd"]), 1) if not a <= 10 * b), None)
        worst20 = max(tr["rel_gap"][:20]) if bad is None or bad > 20 else math.inf
        details = {"trained": tr, "construction_max_gap": max(con["rel_gap"]), "eta": eta,
                   "train_steps": run["train"].steps, "diverges_from_step": bad}
        ok = worst20 <= 0.05 and bad is None and max(con["rel_gap"]) < 1e-10
        tail = (f"{100 * max(tr['rel_gap']):.1f}% over 50 (loss {tr['tf'][-1]:.4f} vs {tr['gd'][-1]:.4f} at step 50)"
                if bad is None else f"the roll-out diverges from step {bad} on")
        summary = (f"trained layer rolled out 50 times (lambda = 0.75) vs GD at rate {0.75 * eta:.4f}: worst relative "
                   f"loss gap {100 * worst20:.2f}% over steps 1-20, {tail}; the constructed layer matches to "
                   f"{max(con['rel_gap']):.1e}")
        if not ok:
            summary += " (trained layer not close enough within the budget: inconclusive)"
        return self.result(Outcome.VERIFIED if ok else Outcome.INCONCLUSIVE, bound=0.05, observed=worst20,
                           ratio=worst20 / 0.05, details=details, seconds=time.monotonic() - t0, summary=summary,
                           method=f"torch float64 roll-out on {tasks} tasks of the layer trained for "
                                  "vonoswald2023.trained.matches_gd")


PAPER_GAMMA = {10: 0.179, 25: 0.099, 50: 0.056, 100: 0.029}


class LearnedGamma(Claim):
    id = "vonoswald2023.gdpp.learned_gamma"
    source = Source(PAPER, "App. A.10 (gamma learned by 2-layer recurrent TFs: 0.179, 0.099, 0.056, 0.029 for "
                           "N = 10, 25, 50, 100)")
    statement = ("the curvature-correction strength gamma of 2-layer recurrent GD++ on the paper's tasks is 0.179, "
                 "0.099, 0.056, 0.029 for N = 10, 25, 50, 100")
    budget_weight = 2.0

    def audit(self, ctx):
        from numeric.linear_icl.vonoswald import gdpp_optimum

        t0 = time.monotonic()
        rows = []
        for N, g_paper in PAPER_GAMMA.items():
            if rows and time.monotonic() - t0 > ctx.budget_s:
                break
            opt = gdpp_optimum(N, 10, max(800, int(2_000_000 / N**2)), layers=2, seed=ctx.seed)
            g = opt["gdpp"]["gamma"]
            rows.append({"N": N, "gamma_paper": g_paper, "gamma_opt": g, "ratio_paper_over_opt": g_paper / g,
                         "gamma_opt_times_N": g * N, "eta_opt": opt["gdpp"]["eta"],
                         "half_loss_gdpp": opt["gdpp"]["half_loss"], "half_loss_gd2": opt["gd"]["half_loss"],
                         "tasks": opt["tasks"]})
        ratios = [r["ratio_paper_over_opt"] for r in rows]
        worst = max(abs(math.log(r)) for r in ratios)
        details = {"rows": rows, "convention": "x_j <- (I - gamma X X^T) x_j, X X^T un-normalised (App. A.10)"}
        if worst < math.log(1.1):
            outcome, summ = Outcome.VERIFIED, "paper's gamma within 10% of the optimal recurrent GD++ gamma"
        else:
            outcome = Outcome.INCONCLUSIVE
            summ = (f"paper / optimal gamma = {', '.join(f'{r:.2f}' for r in ratios)} for N = "
                    f"{', '.join(str(r['N']) for r in rows)}: a constant factor ~4, not a different trend. Exactly 4 is "
                    "what the optimum gives for inputs U(-1/2, 1/2) instead of the stated U(-1, 1) ((eta a^2, gamma a^2) "
                    "is scale invariant), or for gamma read off P without normalising the W_KQ gauge; the optimum here "
                    "is MC/L-BFGS based, so this is a finding, not a violation")
        return self.result(outcome, bound=math.log(1.1), observed=worst, ratio=worst / math.log(1.1),
                           details=details, method="L-BFGS over (eta, gamma) of 2-layer recurrent GD++ on fixed MC "
                                                   "samples of the paper's tasks", seconds=time.monotonic() - t0,
                           summary=summ)


CLAIMS = [OneStep(), KSteps(), GDPlusPlus(), GDPlusPlusHessian(), OptimalRate(), TrainedMatchesGD(), DampedRollout(),
          LearnedGamma()]


def configure(args) -> dict:
    """torch uses 2 threads (spec 4). --context N (default 10), --dim N_x (default 10), --steps (training steps, default 2000)."""
    from numeric.linear_icl.training import set_threads

    set_threads(2)
    opts = {"N": 10, "nx": 10, "train_steps": 2000}
    if getattr(args, "context", None) is not None:
        opts["N"] = require_int("--context", args.context, 1, 200)
    if getattr(args, "dim", None) is not None:
        opts["nx"] = require_int("--dim", args.dim, 1, 50)
    if getattr(args, "steps", None) is not None:
        opts["train_steps"] = require_int("--steps", args.steps, 1, 10**6)
    return opts
