"""Claims of von Oswald et al. 2023, "Transformers learn in-context by gradient descent" (ICML 2023).

* The exact identities (Prop. 1 / App. A.1: one LSA layer = one GD step; K layers = K steps; GD++ App. A.10) are
  searched over random data in float64 and confirmed at ``ctx.precision`` digits on the searched worst case and on the
  spec's grid (N in {1, 5, 20}, N_x in {1, 4, 10}, N_y in {1, 2}), plus an exact SymPy run on symbolic data at one
  size (a narrowing: ``searched``, not ``certified``).
* The closed-form optimal GD rate is checked by Monte Carlo (sample count and seed in the instance).
* The trained-vs-constructed comparison (Section 4, Fig. 2), the dampened roll-out (App. A.6) and the learned GD++
  gamma values (App. A.10) are training / optimisation results with step counts in the instance: ``verified`` or
  ``inconclusive``, never ``violated``.
"""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from numeric.executors.dense import run_dense
from numeric.executors.highprec import run_highprec
from symbolic import vonoswald2023 as vo
from symbolic.errors import require_int

from ..claims import Claim, Evaluation, Hypothesis, SideCheck, Source, Tier
from ..methods import Exact, Grid, MonteCarlo, Search, Training
from ..search import Candidate, SearchSpace
from .linear_common import criteria, memo, mp, precision_bound, scaled

PAPER = "vonoswald2023"


def _src(where: str, kind: str = "paper", note: str = "", about: str = "statement") -> Source:
    return Source(PAPER, where, kind, note, about)


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
    N, nx, ny = inst["N"], inst["nx"], inst["ny"]
    sizes = all(isinstance(v, int) and v >= 1 for v in (N, nx, ny))
    w0 = np.shape(inst["W0"]) == (ny, nx) and all(np.isfinite(float(Fraction(str(v)))) for r in inst["W0"] for v in r)
    if inst.get("mode") == "symbolic":
        return sizes and w0, f"symbolic x, y, x_q; N={N}, N_x={nx}, N_y={ny}, rational W_0"
    arrs = [np.asarray(inst[k], float) for k in ("X", "Y", "xq")]
    ok = all(np.all(np.isfinite(a)) for a in arrs)
    shapes = (np.shape(inst["X"]) == (N, nx) and np.shape(inst["Y"]) == (N, ny) and np.shape(inst["xq"]) == (nx,))
    return sizes and ok and shapes and w0, f"N={N}, N_x={nx}, N_y={ny}"


DATA_HYP = Hypothesis("data", "finite real data of the stated shapes, N >= 1 (or symbolic data)", _finite_data)


def _symbols(N, nx, ny):
    X = [[sp.Symbol(f"x{i}_{k}") for k in range(nx)] for i in range(N)]
    Y = [[sp.Symbol(f"y{i}_{k}") for k in range(ny)] for i in range(N)]
    xq = [sp.Symbol(f"q{k}") for k in range(nx)]
    return X, Y, xq


def _sympy_num(v):
    return sp.Rational(str(v))


class _LayerIdentity(Claim):
    """Observed: max |constructed layers' output - what the paper says they output| over every token entry, relative
    to max(1, max |entry|); bound: 1e-(dps-5) (1e-45 at 50 digits), 1e-10 in float64.  A symbolic instance runs the
    layers with the SymPy executor on symbolic x, y, x_q: observed = the number of entries whose difference does not
    expand to 0 (bound 0)."""

    hypotheses = (DATA_HYP,)
    methods = (Search(evaluations=3000, floor=200),
               Grid(tier=Tier.SEARCHED, precision="high", label="the spec's sizes at 50 digits"),
               Exact(tier=Tier.SEARCHED, producer="symbolic_grid", label="exact SymPy run on symbolic data"))
    untied = False
    gdpp = False
    max_search_K = 7
    sizes = ((1, 1, 1), (5, 4, 1), (20, 10, 2), (5, 1, 2), (20, 4, 1), (1, 10, 2))
    grid_steps = (1,)

    def layers(self, inst):
        raise NotImplementedError

    def expected(self, inst, X, Y, xq, W0, num):
        """The paper's output tokens for data (X, Y, xq, W0) in a scalar type; ``num`` converts eta / gamma."""
        raise NotImplementedError

    def size(self, instance):
        return instance["N"] * (instance["nx"] + instance["ny"]) * instance["K"]

    def evaluate(self, instance, dps=None):
        layers = self.layers(instance)
        if instance.get("mode") == "symbolic":
            X, Y, xq = _symbols(instance["N"], instance["nx"], instance["ny"])
            W0 = [[_sympy_num(v) for v in r] for r in instance["W0"]]
            out, _ = run_highprec(layers, vo.tokens(X, Y, xq, W0), kind="sympy")
            exp = self.expected(instance, X, Y, xq, W0, _sympy_num)
            nonzero = sum(1 for ra, rb in zip(out, exp) for a, b in zip(ra, rb) if sp.expand(a - b) != 0)
            entries = sum(len(r) for r in exp)
            obs = float(nonzero) if dps is None else mpmath.mpf(nonzero)
            return Evaluation(obs, 0.0 if dps is None else mpmath.mpf(0),
                              {"nonzero_entries": nonzero, "entries": entries,
                               "case": f"N={instance['N']}, N_x={instance['nx']}, N_y={instance['ny']}, symbolic "
                                       "x, y, x_q; W_0 rational"})
        if dps is None:
            F = lambda v: float(Fraction(v)) if isinstance(v, str) else float(v)  # noqa: E731
            H = np.asarray(vo.tokens(instance["X"], instance["Y"], instance["xq"],
                                     [[F(v) for v in r] for r in instance["W0"]]), float)
            with np.errstate(all="ignore"):     # exploding GD++ iterates evaluate to nan and are skipped
                out, _ = run_dense(layers, H)
                conv = lambda a: [[F(v) for v in r] for r in a]  # noqa: E731
                exp = np.asarray(self.expected(instance, conv(instance["X"]), conv(instance["Y"]),
                                               [F(v) for v in instance["xq"]], conv(instance["W0"]), F), float)
                err = float(np.max(np.abs(out - exp))) / max(1.0, float(np.max(np.abs(exp))))
            return Evaluation(err, precision_bound(None))
        with mpmath.workdps(dps):
            conv = lambda a: [[mp(v) for v in r] for r in a]  # noqa: E731
            X, Y, xq, W0 = conv(instance["X"]), conv(instance["Y"]), [mp(v) for v in instance["xq"]], \
                conv(instance["W0"])
            out, _ = run_highprec(layers, vo.tokens(X, Y, xq, W0), kind="mpmath")
            exp = self.expected(instance, X, Y, xq, W0, mp)
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

        return SearchSpace(sample, decode, step=1.0, description=(
            f"random data, N <= 20, N_x <= 10, N_y <= 2, K <= {self.max_search_K}: x, y, x_q free (3 N(0, 1) "
            "start), W_0 ~ 0.5 N(0, 1)"))

    def grid(self, ctx):
        rng = np.random.default_rng(0 if ctx is None else ctx.seed)
        return [_random_instance(rng, N, nx, ny, K, self.untied, self.gdpp)
                for N, nx, ny in self.sizes for K in self.grid_steps]

    def symbolic_grid(self, ctx):
        return [self.symbolic_instance()]

    def symbolic_instance(self) -> dict:
        return {"mode": "symbolic", "N": 3, "nx": 2, "ny": 1, "K": 1, "W0": [["1/3", "-2/5"]], "etas": ["37/100"]}


_IDENTITY_NARROWING = ("the search draws N <= 20, N_x <= 10, N_y <= 2 and K <= {K} (the paper states any sizes)",
                       "the exact SymPy run on symbolic data is one size: N = 3, N_x = 2, N_y = 1")


class OneStep(_LayerIdentity):
    max_search_K = 1
    id = "vonoswald2023.prop1.one_step"
    source = _src("Proposition 1 and App. A.1 (construction of W_K, W_Q, W_V, P)")
    statement = ("one LSA layer with W_K = W_Q = [[I,0],[0,0]], W_V = [[0,0],[W_0,-I]], P = (eta/N) I maps every "
                 "token e_j = (x_j, y_j) to (x_j, y_j - Delta W x_j) and the query to (x_q, -(W_0 + Delta W) x_q), "
                 "Delta W = -eta grad L(W_0) (one GD step)")
    narrowing = (_IDENTITY_NARROWING[0].format(K=1), _IDENTITY_NARROWING[1])

    def layers(self, inst):
        return vo.gd_construction(inst["nx"], inst["ny"], inst["N"], inst["etas"][:1], inst["W0"]).layers

    def expected(self, inst, X, Y, xq, W0, num):
        return vo.gd_tokens(X, Y, xq, W0, [num(inst["etas"][0])])


class KSteps(_LayerIdentity):
    id = "vonoswald2023.prop1.k_steps"
    source = _src("Section 3 and App. A.1 (K stacked / recurrent layers = K GD steps)")
    statement = ("K stacked constructed layers (tied, or untied with P_k = (eta_k/N) I) leave (x_j, y_j - (W_K - W_0) "
                 "x_j) on the context and (x_q, -W_K x_q) on the query, W_K after K GD steps")
    grid_steps = (2, 4, 7)
    narrowing = (_IDENTITY_NARROWING[0].format(K=7), _IDENTITY_NARROWING[1])

    def layers(self, inst):
        return vo.gd_construction(inst["nx"], inst["ny"], inst["N"], inst["etas"], inst["W0"]).layers

    def expected(self, inst, X, Y, xq, W0, num):
        return vo.gd_tokens(X, Y, xq, W0, [num(e) for e in inst["etas"]])

    def grid(self, ctx):
        seed = 0 if ctx is None else ctx.seed
        untied = [_random_instance(np.random.default_rng(seed + 1), N, nx, ny, 3, untied=True)
                  for N, nx, ny in self.sizes]
        return super().grid(ctx) + untied

    def symbolic_instance(self):
        return {"mode": "symbolic", "N": 3, "nx": 2, "ny": 1, "K": 2, "W0": [["1/3", "-2/5"]], "etas": ["1/3", "1/2"]}


class GDPlusPlus(_LayerIdentity):
    id = "vonoswald2023.gdpp.layer"
    source = _src("App. A.10 (GD++: W_V = [[I,0],[W,-I]], P = diag(-gamma I, (eta/N) I))")
    statement = ("one GD++ layer maps every token (query included) to ((I - gamma X X^T) x_j, y_j - Delta W x_j), "
                 "X X^T = sum_{i<=N} x_i x_i^T un-normalised; iterating the layer iterates the map")
    gdpp = True
    grid_steps = (1, 2, 3)
    max_search_K = 3
    narrowing = (_IDENTITY_NARROWING[0].format(K=3) + "; eta = 37/100, gamma = 13/1000", _IDENTITY_NARROWING[1])

    def layers(self, inst):
        layer = vo.gdpp_layer(inst["nx"], inst["ny"], inst["N"], inst["eta"], inst["gamma"], inst["W0"])
        return [layer] * inst["K"]

    def expected(self, inst, X, Y, xq, W0, num):
        return vo.gdpp_tokens(X, Y, xq, W0, num(inst["eta"]), num(inst["gamma"]), inst["K"])

    def symbolic_instance(self):
        return {"mode": "symbolic", "N": 3, "nx": 2, "ny": 1, "K": 1, "W0": [["1/3", "-2/5"]], "eta": "37/100",
                "gamma": "13/1000"}


def _hessian_hyp(inst):
    if inst.get("mode") == "identity":
        return True, "symbolic H (non-commutative) and gamma"
    return _finite_data(inst)


class GDPlusPlusHessian(Claim):
    id = "vonoswald2023.gdpp.hessian"
    source = _src("App. A.10 (GD++ curvature correction: H -> H++ = (I - gamma H) H (I - gamma H))")
    statement = ("after one GD++ layer the data Hessian X'X'^T equals (I - gamma H) H (I - gamma H), H = X X^T, with "
                 "eigenvalues lambda - 2 gamma lambda^2 + gamma^2 lambda^3")
    hypotheses = (Hypothesis("data", "finite data (or the symbolic identity)", _hessian_hyp),)
    methods = Exact(tier=Tier.SEARCHED, label="exact Fraction runs of the constructed layer + SymPy identity")
    narrowing = ("the constructed layer is run exactly at (N, N_x) in {(3, 2), (5, 4), (10, 10)}, N_y = 1; the "
                 "polynomial identity and the eigenvalue map are symbolic (any size)",)

    def evaluate(self, instance, dps=None):
        """Exact.  Layer instances: the constructed layer run on Fraction data, observed = max |X'X'^T - H++|.
        The identity instance: (I - gamma H) H (I - gamma H) - (H - 2 gamma H^2 + gamma^2 H^3) expanded with a
        non-commutative symbol H, and the scalar eigenvalue map; observed = number of non-zero residuals."""
        if instance.get("mode") == "identity":
            H, g, lam = sp.Symbol("H", commutative=False), sp.Symbol("gamma"), sp.Symbol("lambda")
            res1 = sp.expand((1 - g * H) * H * (1 - g * H) - (H - 2 * g * H**2 + g**2 * H**3))
            res2 = sp.expand(vo.gdpp_hessian(sp.Matrix([[lam]]), g)[0] - (lam - 2 * g * lam**2 + g**2 * lam**3))
            bad = int(res1 != 0) + int(res2 != 0)
            return Evaluation(float(bad) if dps is None else mpmath.mpf(bad), 0.0 if dps is None else mpmath.mpf(0),
                              {"matrix_identity_residual": str(res1), "eigenvalue_map_residual": str(res2)})
        nx, N = instance["nx"], instance["N"]
        F = lambda a: [[Fraction(v) for v in r] for r in a]  # noqa: E731
        H0 = vo.tokens(F(instance["X"]), F(instance["Y"]), [Fraction(v) for v in instance["xq"]], F(instance["W0"]))
        layer = vo.gdpp_layer(nx, instance["ny"], N, instance["eta"], instance["gamma"], instance["W0"])
        out, _ = run_highprec([layer], H0, kind="fraction")
        X1 = sp.Matrix([r[:nx] for r in out[:N]])
        X0 = sp.Matrix([r[:nx] for r in H0[:N]])
        diff = X1.T * X1 - vo.gdpp_hessian(X0.T * X0, sp.Rational(str(Fraction(instance["gamma"]))))
        err = max(abs(v) for v in diff)
        obs = float(err) if dps is None else mpmath.mpf(sp.Rational(err).p) / sp.Rational(err).q
        return Evaluation(obs, 0.0 if dps is None else mpmath.mpf(0), {"exact_max_abs_diff": str(err)})

    def grid(self, ctx):
        rng = np.random.default_rng(0 if ctx is None else ctx.seed)
        return [{"mode": "identity"}] + [_random_instance(rng, N, nx, 1, 1, gdpp=True)
                                         for N, nx in ((3, 2), (5, 4), (10, 10))]


# ----------------------------------------------------------------------------------------------------------
# Closed-form optimal GD rate (ours), Monte Carlo

def _mc_hyp(inst):
    ok = int(inst["tasks"]) >= 1000 and inst["N"] >= 1 and inst["nx"] >= 1
    return ok, f"{inst['tasks']} tasks, N = {inst['N']}, N_x = {inst['nx']}"


class OptimalRate(Claim):
    id = "vonoswald2023.gd.optimal_rate"
    source = _src("spec 1.5: closed form for the paper's data (x ~ U(-1,1)^10, W ~ N(0,I), N = 10)", "ours")
    statement = ("one GD step from W_0 = 0: eta* = m1/m2 = 50/(33 a^2), half-loss* = 245 a^2/297 for d = N = 10, "
                 "x ~ U(-a, a); a Monte Carlo estimate of the half-loss at eta* agrees with the closed form within 2% "
                 "(4-SE interval)")
    hypotheses = (Hypothesis("sample", "at least 1000 Monte Carlo tasks", _mc_hyp),)
    methods = MonteCarlo()
    narrowing = ("a = 1 (the paper's inputs U(-1, 1)); N and N_x as configured (default 10, 10)",)

    def closed_form(self, d, N, a) -> dict:
        """eta* and half-loss* of spec 1.5 (SymPy)."""
        return vo.optimal_gd_rate(d, N, *vo.uniform_moments(a))

    def grid(self, ctx):
        o = (ctx.options if ctx is not None else {}) or {}
        seed = 0 if ctx is None else ctx.seed
        return [{"N": o.get("N", 10), "nx": o.get("nx", 10), "a": "1", "tasks": scaled(ctx, 400_000, 20_000),
                 "seed": seed, "tolerance": "0.02", "scan_tasks": 10_000, "scan_seed": seed + 1}]

    def evaluate(self, instance, dps=None):
        from numeric.linear_icl.vonoswald import gd_loss_mc, gd_rate_scan

        N, d = instance["N"], instance["nx"]
        cf = self.closed_form(d, N, sp.Rational(instance["a"]))
        gcf = vo.optimal_gd_rate(d, N, *vo.gaussian_moments())
        eta, half = float(cf["eta_star"]), float(cf["half_loss_star"])
        m, se = memo("vo_gd_mc", {"eta": eta, "N": N, "d": d, "tasks": instance["tasks"], "seed": instance["seed"]},
                     lambda: gd_loss_mc(eta, N, d, instance["tasks"], seed=instance["seed"]))
        scan = memo("vo_scan", {"N": N, "d": d, "tasks": instance["scan_tasks"], "seed": instance["scan_seed"]},
                    lambda: gd_rate_scan(N, d, instance["scan_tasks"], seed=instance["scan_seed"]))
        rel, spread = abs(m - half) / half, 4 * se / half
        details = {"eta_star": str(cf["eta_star"]), "half_loss_star": str(cf["half_loss_star"]),
                   "gaussian_eta_star": str(gcf["eta_star"]), "mc_half_loss": m, "mc_se": se,
                   "tasks": instance["tasks"], "z": abs(m - half) / se, "paper_scan": scan}
        if dps is None:
            return Evaluation(rel, float(instance["tolerance"]), details, spread=spread)
        return Evaluation(mpmath.mpf(rel), mp(instance["tolerance"]), details, spread=mpmath.mpf(spread))


# ----------------------------------------------------------------------------------------------------------
# The trained single layer (Section 4, Fig. 2), its roll-out (App. A.6), GD++ gammas (App. A.10)

TRAIN_STEPS = 2000


def _train_params(inst) -> dict:
    keys = ("N", "nx", "steps", "batch", "lr", "seed", "heads", "init_std", "clip")
    return {k: inst[k] for k in keys}


def trained_layer(inst) -> dict:
    """The single-head LSA layer trained as in Section 4 (spec C-6), memoised on its complete parameters, so the
    roll-out claim judges the same layer as vonoswald2023.trained.matches_gd."""
    from numeric.linear_icl.vonoswald import train_lsa

    p = _train_params(inst)
    return memo("vo_lsa", p, lambda: train_lsa(p["N"], p["nx"], p["steps"], batch=p["batch"], lr=p["lr"],
                                               heads=p["heads"], seed=p["seed"], init_std=p["init_std"],
                                               clip=p["clip"], log_every=25))


def _train_hyp(inst):
    ok = all(int(inst[k]) >= 1 for k in ("N", "nx", "steps", "batch", "heads")) and float(inst["lr"]) > 0
    return ok, f"N = {inst['N']}, N_x = {inst['nx']}, {inst['steps']} Adam steps of batch {inst['batch']}"


TRAIN_HYP = Hypothesis("setting", "N, N_x >= 1; x ~ U(-1, 1)^{N_x}, W ~ N(0, I); a positive step count", _train_hyp)


def _optimal_eta(N, nx) -> float:
    return float(vo.optimal_gd_rate(nx, N, *vo.uniform_moments(1))["eta_star"])


class _TrainedClaim(Claim):
    hypotheses = (TRAIN_HYP,)
    methods = Training()
    narrowing = ("CPU size: one head, 2000 Adam steps at batch 2048 (lr 1e-2, then 1e-3) instead of the paper's "
                 "longer runs; one seed",)

    def train_instance(self, ctx) -> dict:
        o = (ctx.options if ctx is not None else {}) or {}
        seed = 0 if ctx is None else ctx.seed
        return {"N": o.get("N", 10), "nx": o.get("nx", 10),
                "steps": o.get("train_steps") or scaled(ctx, TRAIN_STEPS, 100), "batch": 2048, "lr": 1e-2,
                "seed": seed, "heads": 1, "init_std": 0.002, "clip": 10.0}


class TrainedMatchesGD(_TrainedClaim):
    id = "vonoswald2023.trained.matches_gd"
    source = _src("Section 4, Fig. 2 (a trained single LSA layer matches one step of GD)", about="figure")
    statement = ("a single LSA layer trained on the paper's regression tasks reaches the loss of one GD step at the "
                 "best rate, and agrees with it in predictions and in the query sensitivities; checked (spec C-6): "
                 "relative prediction difference < 5%, loss gap < 2%, sensitivity cosine > 0.99")

    def grid(self, ctx):
        return [{**self.train_instance(ctx), "val_tasks": 10_000, "val_seed": (0 if ctx is None else ctx.seed) + 7}]

    def evaluate(self, instance, dps=None):
        """Observed: the relative prediction difference (bound 5%), or bound x the worst other criterion's fraction
        of its threshold (loss gap / 2%, (1 - cos) / 1%) when that binds."""
        from numeric.linear_icl.vonoswald import compare_to_gd, interpolate

        N, nx = instance["N"], instance["nx"]
        eta = _optimal_eta(N, nx)
        run = trained_layer(instance)
        model = run["model"]
        m = compare_to_gd(lambda Z: model.predict(Z, N), eta, N, nx, instance["val_tasks"], seed=instance["val_seed"])
        interp, beta = interpolate(model, eta, N, nx)
        mi = compare_to_gd(interp, eta, N, nx, instance["val_tasks"], seed=instance["val_seed"])
        gap = (m["loss_trained"] - m["loss_gd"]) / m["loss_gd"]
        obs = criteria(m["preds_rel_diff"], 0.05, [(abs(gap), 0.02), (1 - m["model_cos"], 0.01)])
        details = {**m, "loss_gap": gap, "eta_gd": eta, "train_steps": run["train"].steps,
                   "interpolated_loss": mi["loss_trained"], "beta": beta, "history": run["train"].history}
        if dps is None:
            return Evaluation(obs, 0.05, details)
        return Evaluation(mpmath.mpf(obs), mpmath.mpf("0.05"), details)


class DampedRollout(_TrainedClaim):
    id = "vonoswald2023.rollout.dampened"
    source = _src("App. A.6 (the trained 1-layer model applied 50 times with dampening lambda = 0.75 behaves like GD "
                  "with rate lambda eta)", about="figure")
    statement = ("the trained single LSA layer, applied repeatedly as Z <- Z + lambda (LSA(Z) - Z), lambda = 0.75, gives "
                 "per-step losses that follow GD at rate lambda eta*; checked: within 5% for the first 20 steps and no "
                 "divergence (loss > 10x GD's) within 50 (spec C-7)")

    def grid(self, ctx):
        return [{**self.train_instance(ctx), "rollout_tasks": 10_000, "lam": 0.75, "rollout_steps": 50,
                 "rollout_seed": (0 if ctx is None else ctx.seed) + 11}]

    def evaluate(self, instance, dps=None):
        """Observed: the worst relative loss gap over steps 1-20 (bound 5%); infinite when the roll-out diverges
        (loss > 10x GD's) within ``rollout_steps``."""
        from numeric.linear_icl.vonoswald import rollout_comparison

        N, nx = instance["N"], instance["nx"]
        eta = _optimal_eta(N, nx)
        run = trained_layer(instance)
        tr = rollout_comparison(run["model"], eta, N, nx, instance["rollout_tasks"], steps=instance["rollout_steps"],
                                lam=instance["lam"], seed=instance["rollout_seed"])
        bad = next((t for t, (a, b) in enumerate(zip(tr["tf"], tr["gd"]), 1) if not a <= 10 * b), None)
        worst20 = max(tr["rel_gap"][:20]) if bad is None else math.inf
        details = {"trained": tr, "eta": eta, "train_steps": run["train"].steps, "diverges_from_step": bad,
                   "worst_gap_all_steps": max(tr["rel_gap"]) if bad is None else None}
        if dps is None:
            return Evaluation(worst20, 0.05, details)
        return Evaluation(mpmath.mpf(worst20), mpmath.mpf("0.05"), details)

    def side_checks(self, ctx):
        """The comparison itself: the constructed layer rolled out the same way is GD at rate lambda eta* exactly."""
        from numeric.linear_icl.vonoswald import rollout_comparison

        inst = self.grid(ctx)[0]
        eta = _optimal_eta(inst["N"], inst["nx"])
        con = rollout_comparison(None, eta, inst["N"], inst["nx"], 2000, steps=inst["rollout_steps"], lam=inst["lam"],
                                 seed=inst["rollout_seed"])
        gap = max(con["rel_gap"])
        return [SideCheck("construction roll-out = GD", bool(gap < 1e-10),
                          f"the constructed layer's dampened roll-out matches GD at rate lambda eta* to {gap:.1e} "
                          "(2000 tasks, float64)")]


PAPER_GAMMA = {10: 0.179, 25: 0.099, 50: 0.056, 100: 0.029}


def _gamma_hyp(inst):
    ok = len(inst["Ns"]) == len(inst["gamma_paper"]) == len(inst["tasks"]) and all(int(t) >= 100 for t in inst["tasks"])
    return ok, f"N = {inst['Ns']}, tasks {inst['tasks']}"


class LearnedGamma(Claim):
    id = "vonoswald2023.gdpp.learned_gamma"
    source = _src("App. A.10 (gamma learned by 2-layer recurrent TFs: 0.179, 0.099, 0.056, 0.029 for N = 10, 25, 50, "
                  "100)", about="reported_number")
    statement = ("the curvature-correction strength gamma of 2-layer recurrent GD++ on the paper's tasks is 0.179, "
                 "0.099, 0.056, 0.029 for N = 10, 25, 50, 100 (checked: within 10% of the optimal gamma, i.e. "
                 "|log(paper / optimum)| <= log 1.1)")
    hypotheses = (Hypothesis("sample", "a Monte Carlo sample of at least 100 tasks per N", _gamma_hyp),)
    methods = Training(label="L-BFGS over (eta, gamma) on fixed Monte Carlo samples (optimisation evidence)")
    narrowing = ("the optimum is over tied (eta, gamma) of 2-layer recurrent GD++ on fixed samples of "
                 "max(800, 2e6 / N^2) tasks per N",)

    def grid(self, ctx):
        Ns = list(PAPER_GAMMA)
        return [{"Ns": Ns, "gamma_paper": [PAPER_GAMMA[N] for N in Ns], "nx": 10, "layers": 2,
                 "tasks": [scaled(ctx, max(800, int(2_000_000 / N**2)), 400) for N in Ns],
                 "seed": 0 if ctx is None else ctx.seed}]

    def evaluate(self, instance, dps=None):
        """Observed: max over N of |log(paper gamma / optimal gamma)|; bound log 1.1."""
        from numeric.linear_icl.vonoswald import gdpp_optimum

        rows = []
        for N, g_paper, tasks in zip(instance["Ns"], instance["gamma_paper"], instance["tasks"]):
            p = {"N": N, "nx": instance["nx"], "tasks": tasks, "layers": instance["layers"], "seed": instance["seed"]}
            opt = memo("vo_gdpp", p, lambda p=p: gdpp_optimum(p["N"], p["nx"], p["tasks"], layers=p["layers"],
                                                                 seed=p["seed"]))
            g = opt["gdpp"]["gamma"]
            rows.append({"N": N, "gamma_paper": g_paper, "gamma_opt": g, "ratio_paper_over_opt": g_paper / g,
                         "gamma_opt_times_N": g * N, "eta_opt": opt["gdpp"]["eta"],
                         "half_loss_gdpp": opt["gdpp"]["half_loss"], "half_loss_gd2": opt["gd"]["half_loss"],
                         "tasks": opt["tasks"]})
        worst = max(abs(math.log(r["ratio_paper_over_opt"])) if r["ratio_paper_over_opt"] > 0 else math.inf
                    for r in rows)                       # a fit with gamma <= 0 (tiny samples) is no evidence
        details = {"rows": rows, "convention": "x_j <- (I - gamma X X^T) x_j, X X^T un-normalised (App. A.10)",
                   "reading": "a constant factor ~4 at every N: exactly 4 is what the optimum gives for inputs "
                              "U(-1/2, 1/2) instead of the stated U(-1, 1) ((eta a^2, gamma a^2) is scale invariant), "
                              "or for gamma read off P without normalising the W_KQ gauge"}
        if dps is None:
            return Evaluation(worst, math.log(1.1), details)
        return Evaluation(mpmath.mpf(worst), mpmath.log(mpmath.mpf("1.1")), details)


CLAIMS = [OneStep(), KSteps(), GDPlusPlus(), GDPlusPlusHessian(), OptimalRate(), TrainedMatchesGD(), DampedRollout(),
          LearnedGamma()]


def configure(args) -> dict:
    """torch uses 2 threads (spec 4). --context N (default 10), --dim N_x (default 10), --steps (Adam steps of the
    trained layer, default 2000 times the --budget multiplier)."""
    from numeric.linear_icl.training import set_threads

    set_threads()
    opts = {"N": 10, "nx": 10}
    if getattr(args, "context", None) is not None:
        opts["N"] = require_int("--context", args.context, 1, 200)
    if getattr(args, "dim", None) is not None:
        opts["nx"] = require_int("--dim", args.dim, 1, 50)
    if getattr(args, "steps", None) is not None:
        opts["train_steps"] = require_int("--steps", args.steps, 1, 10**6)
    return opts
